"""`peitu schedule`: the nightly job on an APScheduler 3 cron trigger, one job per account.

- Time and timezone per account (wechat.accounts.*.schedule, else the top-level schedule; 02:00 Asia/Shanghai).
- Jobs persist in the state database (SQLAlchemyJobStore, a table per account). A job already stored with the
  same trigger keeps its next run time, so a night missed while the machine was off runs on restart if it
  is less than misfire_grace_s late; several missed nights run once (coalesce).
- One scheduler per account at a time (a lock file per account, and a lock in Redis when one is shared);
  SIGTERM/SIGINT let a running job finish, then exit 0.
- With a broker configured (broker.url_env), a job only sends the account's job to the workers
  (`peitu worker`, see pipeline.queue) and logs that; else it runs the walk here and logs one line with its counts.
"""

from __future__ import annotations

import hashlib
import logging
import re
import signal
import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from filelock import FileLock, Timeout

from .config import Config, Schedule, load_config
from .errors import PeituError
from .locks import TTL_S, RedisLease
from .publish.wechat.client import account_config
from .redis_shared import shared_redis
from .secrets import load_dotenv, redact
from .store import LockHeld, Store

log = logging.getLogger(__name__)


def nightly_job(config_path: str | None, account: str) -> None:
    """The scheduled callable (stored by reference): load config, then send the account's job to the workers
    when a broker is configured, else run one account's nightly here; log a line either way."""
    from .nightly import run_nightly
    from .queue.broker import configured
    from .queue.jobs import enqueue_accounts

    try:
        cfg = load_config(config_path)
        load_dotenv(cfg.root)
        if configured(cfg):
            (message,) = enqueue_accounts(cfg, [account])
            log.info("nightly [%s]: sent to the workers (job %s)", account, message)
            return
        report = run_nightly(cfg, account)
    except PeituError as err:
        log.error("nightly [%s] failed: %s", account, redact(str(err)))
        return
    log.info(report.line())
    for line in report.errors:
        log.warning("nightly [%s] %s", account, redact(line))


def job_id(account: str) -> str:
    return f"nightly:{account}"


def _table(account: str) -> str:
    """A SQL-safe table name for an account name (which may be Chinese)."""
    safe = re.sub(r"\W", "_", account, flags=re.ASCII)[:40]
    return f"peitu_schedule_{safe}_{hashlib.sha1(account.encode()).hexdigest()[:6]}"


def trigger_for(schedule: Schedule) -> CronTrigger:
    hour, minute = schedule.time.split(":")
    return CronTrigger(hour=int(hour), minute=int(minute), timezone=schedule.timezone)


class NightlyScheduler:
    """A BackgroundScheduler with one persistent nightly job per account, and the account locks."""

    def __init__(self, cfg: Config, accounts: list[str], config_path: str | None):
        self.cfg, self.accounts, self.config_path = cfg, accounts, config_path
        state = Store.for_config(cfg).engine_url    # created and migrated before APScheduler (holds a password)
        self.locks = ExitStack()
        self.scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1})
        for name in accounts:
            self.scheduler.add_jobstore(SQLAlchemyJobStore(url=state, tablename=_table(name)),
                                        alias=name)
        self.scheduler.add_listener(self._missed, EVENT_JOB_MISSED)

    def _lock(self) -> None:
        folder = self.cfg.path(self.cfg.paths.state).parent
        client = shared_redis(self.cfg)
        for name in self.accounts:
            path = folder / f"schedule-{name}.lock"
            try:
                self.locks.enter_context(FileLock(path, timeout=0))
                if client is not None:             # schedulers on other machines sharing the Redis
                    self.locks.enter_context(RedisLease(client, f"schedule:{name}", TTL_S, "the shared Redis"))
            except Timeout:
                self.locks.close()
                raise PeituError(f"a scheduler for account '{name}' is already running on this machine",
                                 where=str(path), hint="stop it first (one scheduler per account)") from None
            except LockHeld as err:
                self.locks.close()
                raise PeituError(f"a scheduler for account '{name}' is already running ({err.message})",
                                 where=err.where, hint="stop it first (one scheduler per account)") from None

    def start(self) -> None:
        """Take the locks, start paused, bring each stored job in line with the config, then run."""
        self._lock()
        try:
            self.scheduler.start(paused=True)
            for name in self.accounts:
                self._ensure(name)
            self.scheduler.resume()
        except BaseException:
            self.stop()
            raise

    def _ensure(self, name: str) -> None:
        schedule = account_config(self.cfg, name).schedule
        trigger = trigger_for(schedule)
        args = [self.config_path, name]
        job = self.scheduler.get_job(job_id(name), jobstore=name)
        if job is not None and str(job.trigger) == str(trigger) and str(job.trigger.timezone) == str(
                trigger.timezone) and list(job.args) == args:
            if job.misfire_grace_time != schedule.misfire_grace_s:
                job.modify(misfire_grace_time=schedule.misfire_grace_s)
            log.info("nightly [%s]: kept; next run %s", name, job.next_run_time)
            return
        job = self.scheduler.add_job("pipeline.schedule:nightly_job", trigger, args=args, id=job_id(name),
                                     jobstore=name, replace_existing=True, name=f"peitu nightly [{name}]",
                                     misfire_grace_time=schedule.misfire_grace_s, coalesce=True, max_instances=1)
        log.info("nightly [%s]: scheduled at %s %s; next run %s", name, schedule.time, schedule.timezone,
                 job.next_run_time)

    def next_runs(self) -> dict[str, object]:
        return {name: self.scheduler.get_job(job_id(name), jobstore=name).next_run_time for name in self.accounts}

    def _missed(self, event: JobExecutionEvent) -> None:
        log.warning("nightly run of %s due %s was missed (more than misfire_grace_s late); the next one is "
                    "tomorrow", event.job_id, event.scheduled_run_time)

    def stop(self) -> None:
        """Let a running job finish, then release the locks."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.locks.close()


def serve(cfg: Config, accounts: list[str], config_path: str | None,
          on_start: Callable[[NightlyScheduler], None] | None = None) -> None:
    """Run the scheduler until SIGTERM or SIGINT; a running job finishes first."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    sched = NightlyScheduler(cfg, accounts, config_path)
    try:
        sched.start()
        if on_start:
            on_start(sched)
        stop.wait()
        log.info("stopping: waiting for a running job to finish")
    finally:
        sched.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def config_path_of(path: Path | None) -> str | None:
    """The config file as an absolute path (jobs are stored with it), or None for the defaults."""
    if path:
        return str(path.resolve())
    return str(Path("config.yaml").resolve()) if Path("config.yaml").exists() else None
