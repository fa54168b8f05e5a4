"""Workers on a real broker (Dramatiq on a real redis-server): the schedule sends jobs, workers illustrate each
draft once; a worker killed mid-job (kill -9) leaves its job to another, which resumes it from the ledger with
nothing uploaded twice; two workers never work on one draft at once; a dead worker's in-flight slots free
themselves by expiry; and the limits hold across worker processes. Redis comes from conftest (PEITU_TEST_REDIS_URL
or a private redis-server); these tests fail under CI without one."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter

import pytest
import redis

from pipeline.config import load_config
from pipeline.doctor import run_checks
from pipeline.fakes.providers import fake as provider_fake
from pipeline.fakes.wechat import FakeWeChat
from pipeline.nightly import DraftBusy, Nightly
from pipeline.queue.broker import QUEUE
from pipeline.queue.health import queue_status
from pipeline.schedule import nightly_job

from .conftest import (
    broker_config,
    check_exactly_once,
    live_workers,
    pause_at,
    peitu,
    run_to_end,
    seed,
    start_worker,
    stop_workers,
    wait_until,
)


def illustrated(fake: FakeWeChat, drafts: dict[str, dict]) -> bool:
    return all(fake.drafts[m].updates >= 1 for m, d in drafts.items() if d["kind"])


def by_area(checks):
    return {c.area: c for c in checks}


def test_the_schedule_sends_one_job_per_account_and_doctor_shows_it_waiting(tmp_path, fake, broker_url):
    seed(fake, 4)
    config = broker_config(tmp_path, fake)
    rc, out = run_to_end(peitu(config, "schedule", "--once"))
    assert rc == 0 and "nightly [default]: sent to the workers" in out, out
    assert sum(fake.calls.values()) == 0                           # nothing ran here: the job went to the queue
    status = queue_status(redis.Redis.from_url(broker_url), "peitu", QUEUE)
    assert (status.waiting, status.running, status.workers) == (1, 0, [])
    checks = by_area(run_checks(config))
    assert checks["broker"].status == "ok" and "1 waiting" in checks["broker"].found
    assert broker_url not in checks["broker"].found and "PEITU_BROKER_URL" in checks["broker"].found
    assert checks["workers"].status == "warn" and "peitu worker" in checks["workers"].fix


def test_an_unset_broker_variable_is_a_failure_doctor_names(tmp_path, fake, monkeypatch):
    monkeypatch.delenv("PEITU_BROKER_URL", raising=False)
    check = by_area(run_checks(broker_config(tmp_path, fake)))["broker"]
    assert check.status == "fail" and "PEITU_BROKER_URL is not set" in check.found


def test_two_workers_never_work_on_one_draft_at_once(tmp_path, fake):
    """The draft's lock (in the state every worker shares): while one worker is uploading, another given the
    same draft is refused before any WeChat call, and finds it done afterwards."""
    drafts = seed(fake, 2)
    media_id = next(m for m, d in drafts.items() if d["kind"] == 1)
    cfg = load_config(broker_config(tmp_path, fake))
    held, release = pause_at(fake, "material/add_material")
    first = threading.Thread(target=lambda: Nightly(cfg, "default").run_draft(media_id))
    first.start()
    try:
        assert held()
        calls = Counter(fake.calls)
        with pytest.raises(DraftBusy, match="being illustrated by another worker"):
            Nightly(cfg, "default").run_draft(media_id)
        assert Counter(fake.calls) == calls
    finally:
        release()
        first.join(120)
    again = Nightly(cfg, "default").run_draft(media_id)
    assert (again.done_before, again.illustrated) == (1, 0) and fake.drafts[media_id].updates == 1


@pytest.mark.slow
def test_workers_illustrate_every_draft_once_and_doctor_lists_them(tmp_path, fake, broker_url):
    drafts = seed(fake, 8)
    config = broker_config(tmp_path, fake)
    workers = [start_worker(config, log=tmp_path / "workers.log") for _ in range(2)]
    try:
        wait_until(lambda: live_workers(broker_url) == 2, what="two workers")
        nightly_job(str(config), "default")
        wait_until(lambda: illustrated(fake, drafts), what="every draft illustrated")
        checks = by_area(run_checks(config))
    finally:
        stop_workers(*workers)
    check_exactly_once(fake, drafts)
    assert all(fake.drafts[m].updates == 1 for m, d in drafts.items() if d["kind"])
    assert checks["workers"].status == "ok" and "2 worker process(es)" in checks["workers"].found
    assert fake.secret not in (tmp_path / "workers.log").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("api", ["material/add_material", "draft/update"])
def test_a_job_redelivered_after_its_worker_was_killed_resumes_without_duplicates(tmp_path, fake, broker_url, api):
    """Worker A is killed (kill -9, its whole process group) right after WeChat did a call and before the answer
    reached it; worker B gets A's jobs once A has been silent for broker.redeliver_after_s, and finishes them
    from the state: the cover found by name, the update that landed recognised; nothing twice."""
    drafts = seed(fake, 8)
    config = broker_config(tmp_path, fake)
    log = tmp_path / "workers.log"
    a = start_worker(config, log=log)
    wait_until(lambda: live_workers(broker_url) == 1, what="worker A")
    seen = [0]

    def kill_a(name: str, server: FakeWeChat) -> None:
        if name == api:
            seen[0] += 1
            if seen[0] == 2:
                server.on_call = None
                os.killpg(a.pid, signal.SIGKILL)

    fake.on_call = kill_a
    nightly_job(str(config), "default")
    assert a.wait(120) == -signal.SIGKILL
    b = start_worker(config, log=log)
    try:
        wait_until(lambda: illustrated(fake, drafts), what="every draft illustrated after the kill")
        time.sleep(1)                                 # nothing more may happen: no second update, no upload
        calls = Counter(fake.calls)
        wait_until(lambda: queue_status(redis.Redis.from_url(broker_url), "peitu", QUEUE).running == 0,
                   what="every job acknowledged")
    finally:
        stop_workers(b)
    check_exactly_once(fake, drafts)                  # one material per cover, none spare
    assert all(fake.drafts[m].updates == 1 for m, d in drafts.items() if d["kind"])
    assert calls["material/add_material"] == sum(1 for d in drafts.values() if d["kind"] in (1, 3))


@pytest.mark.slow
def test_a_killed_worker_frees_its_in_flight_slots_by_expiry_and_another_finishes_its_draft(tmp_path, fake,
                                                                                           broker_url, monkeypatch):
    """A worker dies while its provider request is in flight: its slot in Redis (and its draft's lock) free
    themselves within broker.lease_s, and another worker illustrates the draft."""
    drafts = seed(fake, 2)
    with provider_fake("siliconflow", latency=60.0).start() as slow:
        config = broker_config(tmp_path, fake, providers={
            "order": ["siliconflow"], "last_resort": None, "cache": False,
            "settings": {"siliconflow": {"base_url": slow.base_url, "allow_http": True, "key_env": "PEITU_TEST_KEY",
                                         "max_in_flight": 1}}})
        monkeypatch.setenv("PEITU_TEST_KEY", slow.key)
        client = redis.Redis.from_url(broker_url)
        a = start_worker(config, threads=1, log=tmp_path / "workers.log")
        try:
            wait_until(lambda: live_workers(broker_url) == 1, what="worker A")
            nightly_job(str(config), "default")
            wait_until(lambda: slow.generations >= 1, what="a request in flight")
            assert client.zcard("peitu:inflight:siliconflow") == 1
            os.killpg(a.pid, signal.SIGKILL)
            killed = time.monotonic()
            wait_until(lambda: client.zcard("peitu:inflight:siliconflow") == 0, timeout=30, what="the slot expired")
            assert time.monotonic() - killed <= 3 + 2          # broker.lease_s, and a moment
        finally:
            stop_workers(a)
        slow.latency = 0.0
        b = start_worker(config, log=tmp_path / "workers.log")
        try:
            wait_until(lambda: illustrated(fake, drafts), what="the draft finished by worker B")
        finally:
            stop_workers(b)
    check_exactly_once(fake, drafts)


@pytest.mark.slow
def test_limits_hold_across_worker_processes(tmp_path, fake, broker_url, monkeypatch):
    """Two workers × 4 threads against a provider that answers 429 to a third request in flight or a fourth in
    a second, and WeChat calls per AppID limited to 5 a second: no 429, never more than 2 in flight, and no
    second with more than 5 WeChat calls of that AppID."""
    drafts = seed(fake, 12)
    stamps: list[float] = []
    fake.before_call = lambda api, server: stamps.append(time.monotonic())
    with provider_fake("siliconflow", latency=0.3, rate_per_s=3, max_concurrent=2).start() as limited:
        config = broker_config(tmp_path, fake, providers={
            "order": ["siliconflow"], "last_resort": None, "cache": False,
            "settings": {"siliconflow": {"base_url": limited.base_url, "allow_http": True,
                                         "key_env": "PEITU_TEST_KEY", "max_in_flight": 2, "rate_per_second": 3}}},
                               wechat={"accounts": {"default": {"base_url": fake.url}},
                                       "call_limits": {"rate_per_second": 5, "rate_per_minute": 300}})
        monkeypatch.setenv("PEITU_TEST_KEY", limited.key)
        workers = [start_worker(config, threads=4, log=tmp_path / "workers.log") for _ in range(2)]
        try:
            wait_until(lambda: live_workers(broker_url) == 2, what="two workers")
            nightly_job(str(config), "default")
            wait_until(lambda: illustrated(fake, drafts), timeout=240, what="every draft illustrated")
        finally:
            stop_workers(*workers)
        assert limited.generations >= 9 and limited.throttles == {"rate": 0, "concurrency": 0}
        assert limited.peak <= 2
    busiest = max(sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps)
    # Unlimited, these workers make ~18 calls a second. A call is counted before it is sent, so two calls
    # counted 1.05 s apart (the window plus SLACK_MS) may reach the fake closer together on a busy machine.
    assert busiest <= 5 + 2
    check_exactly_once(fake, drafts)
