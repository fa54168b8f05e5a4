"""Workers on a real broker: Dramatiq on Redis, when `broker.url_env` names a set variable.

    peitu schedule   APScheduler fires each account's night → `enqueue_accounts` sends one small job per account
    peitu worker     Dramatiq workers: an account's job lists its draft box and sends one job per draft that
                     has something to do; a draft's job runs `Nightly.run_draft` (the same code as `peitu nightly`)

A message is acknowledged only after its job ends; a job of a worker that went silent for
`broker.redeliver_after_s` is redelivered to another, which resumes it from the state store (the draft's lock
and ledger: see pipeline.nightly). With no broker configured, everything runs in one process as before.
"""
