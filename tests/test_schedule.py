"""The schedule: cron per account, persistent jobs (a missed night runs once on restart within the grace
time), one scheduler per account, and a clean stop on SIGTERM that lets the running job finish."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from pipeline.config import load_config
from pipeline.errors import PeituError
from pipeline.fakes.wechat import seed_sandbox
from pipeline.schedule import NightlyScheduler, job_id, nightly_job

from .conftest import wechat_config


def wait_for(condition, timeout: float = 120.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return False


def make_due(config, account: str = "default", in_s: float = 1.0) -> None:
    """Leave the stored job due `in_s` seconds from now, as if the machine went down before it fired."""
    cfg = load_config(config)
    sched = NightlyScheduler(cfg, [account], str(config))
    sched.start()
    sched.scheduler.modify_job(job_id(account), jobstore=account,
                               next_run_time=datetime.now(UTC) + timedelta(seconds=in_s))
    sched.stop()


def test_jobs_follow_each_accounts_time_and_timezone(tmp_path, fake):
    config = wechat_config(tmp_path, fake, wechat={"accounts": {
        "default": {"base_url": fake.url},
        "food": {"base_url": fake.url, "schedule": {"time": "06:30", "timezone": "Europe/Berlin"}}}})
    cfg = load_config(config)
    sched = NightlyScheduler(cfg, ["default", "food"], str(config))
    sched.start()
    try:
        runs = sched.next_runs()
        job = sched.scheduler.get_job(job_id("default"), jobstore="default")
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 3600)
    finally:
        sched.stop()
    assert (runs["default"].hour, runs["default"].minute, str(runs["default"].tzinfo)) == (2, 0, "Asia/Shanghai")
    assert (runs["food"].hour, runs["food"].minute, str(runs["food"].tzinfo)) == (6, 30, "Europe/Berlin")
    assert runs["default"] > datetime.now(UTC)


def test_one_scheduler_per_account(tmp_path, fake):
    config = wechat_config(tmp_path, fake)
    cfg = load_config(config)
    first = NightlyScheduler(cfg, ["default"], str(config))
    first.start()
    try:
        with pytest.raises(PeituError, match="already running"):
            NightlyScheduler(cfg, ["default"], str(config)).start()
    finally:
        first.stop()
    second = NightlyScheduler(cfg, ["default"], str(config))
    second.start()                                     # free again once the first stopped
    second.stop()


def test_a_changed_time_reschedules_and_an_unchanged_one_keeps_the_stored_run(tmp_path, fake):
    config = wechat_config(tmp_path, fake)
    cfg = load_config(config)
    make_due(config, in_s=3600)
    kept = NightlyScheduler(cfg, ["default"], str(config))
    kept.start()
    stored = kept.next_runs()["default"]
    kept.stop()
    assert abs((stored - datetime.now(UTC)).total_seconds() - 3600) < 60
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["schedule"] = {"time": "03:15", "timezone": "Asia/Shanghai"}
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    moved = NightlyScheduler(load_config(config), ["default"], str(config))
    moved.start()
    when = moved.next_runs()["default"]
    moved.stop()
    assert (when.hour, when.minute) == (3, 15)


def test_a_missed_night_runs_once_on_restart(tmp_path, fake, caplog):
    caplog.set_level(logging.INFO, logger="pipeline")
    config = wechat_config(tmp_path, fake)
    seed_sandbox(fake)
    make_due(config, in_s=2)
    time.sleep(3)                                      # the machine was off when the job was due
    sched = NightlyScheduler(load_config(config), ["default"], str(config))
    sched.start()
    try:
        assert wait_for(lambda: any("drafts (" in r.getMessage() for r in caplog.records))
        when = sched.next_runs()["default"]
    finally:
        sched.stop()
    assert fake.calls["draft/update"] == 4
    assert sum("drafts (" in r.getMessage() for r in caplog.records) == 1
    assert (when.hour, when.minute) == (2, 0)          # then back to the nightly time


def test_a_night_missed_beyond_the_grace_time_is_skipped_and_said(tmp_path, fake, caplog):
    caplog.set_level(logging.INFO)
    config = wechat_config(tmp_path, fake, schedule={"time": "02:00", "timezone": "Asia/Shanghai",
                                                    "misfire_grace_s": 1})
    make_due(config, in_s=2)
    time.sleep(4)
    sched = NightlyScheduler(load_config(config), ["default"], str(config))
    sched.start()
    try:
        assert wait_for(lambda: any("was missed" in r.getMessage() for r in caplog.records), timeout=10)
        when = sched.next_runs()["default"]
    finally:
        sched.stop()
    assert fake.calls["draft/batchget"] == 0
    assert (when.hour, when.minute) == (2, 0)


def test_the_job_logs_one_line_with_counts(tmp_path, fake, caplog):
    caplog.set_level(logging.INFO, logger="pipeline.schedule")
    config = wechat_config(tmp_path, fake)
    seed_sandbox(fake)
    nightly_job(str(config), "default")
    lines = [r.getMessage() for r in caplog.records if r.name == "pipeline.schedule"]
    uploads = fake.calls["media/uploadimg"] + fake.calls["material/add_material"]
    assert len(lines) == 1 and re.fullmatch(
        rf"nightly \[default\]: 5 drafts \(6 articles\): 4 illustrated \(0 resumed\), 0 already done, "
        rf"2 not needed, 0 failed; {uploads} images; \d+\.\d s", lines[0]), lines


def test_a_failing_job_logs_the_error_and_keeps_the_scheduler_alive(tmp_path, fake, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="pipeline.schedule")
    monkeypatch.setenv("WECHAT_SECRET", "wrong-secret-value")
    nightly_job(str(wechat_config(tmp_path, fake)), "default")
    (line,) = [r.getMessage() for r in caplog.records if r.name == "pipeline.schedule"]
    assert "failed" in line and "40125" in line and "wrong-secret-value" not in line


@pytest.mark.slow
def test_sigterm_lets_the_running_job_finish_then_exits_0(tmp_path, fake):
    config = wechat_config(tmp_path, fake)
    seed_sandbox(fake)
    make_due(config, in_s=2)
    time.sleep(2.5)
    env = {**os.environ, "COLUMNS": "250"}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "--config", str(config), "schedule"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def term_on_first_update(api, server):
        if api == "draft/update":
            server.on_call = None
            os.kill(proc.pid, signal.SIGTERM)

    fake.on_call = term_on_first_update
    out = proc.communicate(timeout=300)[0]
    assert proc.returncode == 0, out
    assert fake.calls["draft/update"] == 4                      # the run finished after SIGTERM
    assert "nightly [default]: 5 drafts" in out and "peitu schedule: stopped" in out
    assert fake.secret not in out and not any(t in out for t in fake.tokens)
