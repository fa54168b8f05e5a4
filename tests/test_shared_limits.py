"""The limits every worker shares, on their own: in-flight slots and request rates in a real redis-server
(shared by processes, a dead holder's slot freed by expiry), the ledger of a draft's upload steps, and WeChat
calls per AppID on one machine (no Redis)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import redis

from pipeline.config import ProviderSettings, load_config
from pipeline.generate.inflight import RedisInFlight
from pipeline.generate.ratelimit import RedisRateLimiter, rates
from pipeline.nightly import run_nightly

from .conftest import REPO, broker_config, seed, wechat_config

HOLDER = """
import sys, time, redis
from pipeline.generate.inflight import RedisInFlight
slots = RedisInFlight(redis.Redis.from_url(sys.argv[1]), "p", 2, 2.0)
with slots.slot(time.monotonic() + 5) as held:
    print("held" if held else "none", flush=True)
    time.sleep(600)
"""


def test_in_flight_slots_in_redis_are_shared_and_a_dead_holders_slot_expires(broker_url):
    client = redis.Redis.from_url(broker_url)
    holders = [subprocess.Popen([sys.executable, "-c", HOLDER, broker_url], stdout=subprocess.PIPE, text=True)
               for _ in range(2)]
    try:
        assert [h.stdout.readline().strip() for h in holders] == ["held", "held"]
        time.sleep(2.5)         # past the 2 s expiry (Redis's clock, which no test can drive): renewals keep them
        ours = RedisInFlight(client, "p", 2, 2.0)
        start = time.monotonic()
        with ours.slot(time.monotonic() + 0.3) as held:
            assert not held and time.monotonic() - start >= 0.3        # both taken by the other processes
        holders[0].kill()
        holders[0].wait(10)
        killed = time.monotonic()
        with ours.slot(time.monotonic() + 10) as held:
            assert held and time.monotonic() - killed <= 2.0 + 0.5     # freed by expiry, not before renewals stop
            assert client.zcard("peitu:inflight:p") == 2
    finally:
        for h in holders:
            h.kill()
            h.wait(10)
    assert client.zcard("peitu:inflight:p") <= 1


def test_request_rates_and_pauses_in_redis_are_shared_by_limiters(broker_url):
    """Two limiters on two connections (two workers): together they get 3 slots a second, not 6; a pause one
    sets holds the other."""
    limits = rates(ProviderSettings(rate_per_second=3))
    ours, theirs = (RedisRateLimiter(redis.Redis.from_url(broker_url)) for _ in range(2))
    taken = [limiter.wait_time("p", limits) == 0 for limiter in (ours, theirs, ours, theirs, ours, theirs)]
    assert taken == [True, True, True, False, False, False]
    assert 0 < theirs.wait_time("p", limits) <= 1.05
    ours.pause("q", 30)
    assert 29 < theirs.paused("q") <= 30 and theirs.wait_time("q", []) > 29
    ours.pause("q", 5)                                   # a shorter pause never shortens a longer one
    assert theirs.paused("q") > 29


def test_each_upload_is_a_step_in_the_drafts_ledger_before_the_update(tmp_path, fake):
    drafts = seed(fake, 2)
    media_id = next(m for m, d in drafts.items() if d["kind"] == 1)
    cfg = load_config(wechat_config(tmp_path, fake))
    ledger: list[dict] = []

    def before_update(api, server):
        if api == "draft/update":
            from pipeline.store import Store

            row = Store.open(cfg.path(cfg.paths.state)).query(
                "SELECT status, work FROM nightly_articles WHERE media_id = ?", (media_id,))[0]
            ledger.append({"status": row["status"], **json.loads(row["work"])})

    fake.before_call = before_update
    assert run_nightly(cfg).illustrated == 1
    (seen,) = ledger
    steps = seen["steps"]
    assert seen["status"] == "updating"
    assert set(steps) == {"material:cover", "uploadimg:inline-1.jpg", "uploadimg:inline-2.jpg"}
    item = fake.drafts[media_id].news_item[0]
    assert steps["material:cover"]["media_id"] == item["thumb_media_id"]
    assert all(step["url"] in item["content"] for name, step in steps.items() if name.startswith("uploadimg"))


def test_wechat_calls_keep_to_the_appids_rate_on_one_machine(tmp_path, fake):
    stamps: list[float] = []
    fake.before_call = lambda api, server: stamps.append(time.monotonic()) if api != "stable_token" else None
    seed(fake, 4)
    cfg = load_config(wechat_config(tmp_path, fake, wechat={"accounts": {"default": {"base_url": fake.url}},
                                                           "call_limits": {"rate_per_second": 3}}))
    assert run_nightly(cfg).illustrated == 3
    assert len(stamps) >= 12
    assert max(sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps) <= 3


@pytest.mark.slow
def test_the_fanout_bench_runs_small_and_says_nothing_was_done_twice_or_lost(broker_url):
    """bench/fanout.py with 3 accounts × 3 drafts, 1 and 2 workers, and a worker killed mid-run."""
    run = subprocess.run([sys.executable, str(REPO / "bench" / "fanout.py"), "--accounts", "3", "--drafts", "3",
                          "--workers", "1", "2", "--redis-url", broker_url, "--timeout", "240", "--redeliver", "5"],
                         capture_output=True, text=True, timeout=900, cwd=REPO)
    last = run.stdout.strip().splitlines()[-1]
    assert run.returncode == 0, run.stdout + run.stderr
    assert last.startswith("ratio_1w=") and " ratio_2w=" in last and last.endswith("duplicates=0 lost=0"), last
    assert "2 workers, one killed" in run.stdout and "killed worker 1 of 2" in run.stdout


def test_a_broker_configured_without_its_variable_runs_in_one_process(tmp_path, fake, monkeypatch):
    """broker.url_env names a variable that is unset: the embedded default (the walk runs here)."""
    monkeypatch.delenv("PEITU_BROKER_URL", raising=False)
    seed(fake, 2)
    from pipeline.schedule import nightly_job

    nightly_job(str(broker_config(tmp_path, fake)), "default")
    assert fake.calls["draft/update"] == 1
