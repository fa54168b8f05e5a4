"""`peitu worker`: Dramatiq workers that run the nightly jobs the scheduler sends (broker.url_env)."""

from __future__ import annotations

import os
import sys

import click

from . import App, pass_app


@click.command()
@click.option("--processes", "-p", default=1, show_default=True, type=click.IntRange(1, 64),
              help="worker processes on this machine")
@click.option("--threads", "-t", default=8, show_default=True, type=click.IntRange(1, 256),
              help="jobs each process runs at once (one draft per job)")
@pass_app
def worker(app: App, processes: int, threads: int) -> int:
    """任务队列的工作进程 Run the nightly jobs from the broker until stopped (SIGTERM: running jobs finish first).

    \b
    Needs broker.url_env in config.yaml naming a variable that holds redis://… (and
    `pip install 'peitu[workers]'`). `peitu schedule` then sends one job per account at
    its time; a worker lists the account's drafts and sends one job per draft to do,
    which any worker takes. A job is acknowledged only when it ends; a worker that dies
    (even kill -9) leaves its jobs to the others after broker.redeliver_after_s, and
    they resume from the state every worker shares (the same state file, or PostgreSQL),
    with nothing uploaded twice. Start as many as you like, on as many machines.
    \b
    Examples:
      peitu worker                     # one process, 8 jobs at a time
      peitu worker -p 2 -t 4           # two processes of 4
    """
    from ..queue.broker import QUEUE, make_broker
    from ..queue.worker import CONFIG_ENV
    from ..redis_shared import redis_source

    cfg = app.config
    broker = make_broker(cfg)                       # a missing setting or package fails here, in one line
    try:
        broker.client.ping()
    except Exception as err:
        from ..errors import ConfigError

        raise ConfigError(f"cannot reach the broker ({type(err).__name__})", where=str(cfg.broker.url_env),
                          hint="check that Redis runs and the URL in that variable") from None
    finally:
        broker.close()
    shared = redis_source(cfg)
    click.echo(f"peitu worker: {processes} process(es) × {threads} thread(s) on the broker in "
               f"{cfg.broker.url_env}; limits and locks shared through {shared[0] if shared else 'the state'}",
               err=True)
    env = dict(os.environ)
    if app.config_path is not None:
        env[CONFIG_ENV] = str(app.config_path.resolve())
    elif os.path.exists("config.yaml"):
        env[CONFIG_ENV] = os.path.abspath("config.yaml")
    argv = [sys.executable, "-m", "dramatiq", "pipeline.queue.worker:setup", "--processes", str(processes),
            "--threads", str(threads), "--queues", QUEUE] + (["-v"] if app.debug else [])
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)          # Dramatiq's own process manager from here on (signals, restarts)
