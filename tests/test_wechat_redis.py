"""The access token shared through Redis (wechat.redis_url_env): one fetch serves every machine. The Redis
server is conftest's `redis_url` (.ci/run's, or a private redis-server; the tests fail under CI without one)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.errors import PeituError
from pipeline.fakes.wechat import FakeWeChat
from pipeline.publish.wechat.client import BASE_URL_ENV, build_client

redis = pytest.importorskip("redis", reason="the redis package is not installed (pip install '.[dev]')")


def machine(cfg: Config, tmp_path: Path, name: str, fake: FakeWeChat) -> Config:
    """A config as on another machine: its own state file, the same Redis."""
    other = cfg.model_copy(deep=True)
    other.paths.state = tmp_path / name / "state.db"
    other.wechat.redis_url_env = "PEITU_TEST_REDIS_URL"
    other.wechat.accounts["default"].base_url = fake.url
    return other


def test_two_machines_share_one_token_through_redis(cfg, tmp_path, redis_url, monkeypatch):
    with FakeWeChat() as fake:
        monkeypatch.setenv("WECHAT_APPID", fake.appid)
        monkeypatch.setenv("WECHAT_SECRET", fake.secret)
        monkeypatch.setenv("PEITU_TEST_REDIS_URL", redis_url)
        monkeypatch.delenv(BASE_URL_ENV, raising=False)
        first = build_client(machine(cfg, tmp_path, "a", fake), "default")
        second = build_client(machine(cfg, tmp_path, "b", fake), "default")
        first.draft.count()
        second.draft.count()
        assert fake.calls["stable_token"] + fake.calls["token"] == 1
        assert fake.calls["draft/count"] == 2
        stored = b" ".join(redis.Redis.from_url(redis_url).keys("peitu:*"))
        assert stored and fake.secret.encode() not in stored
        for name in ("a", "b"):                                # not in the machines' own state files
            db = tmp_path / name / "state.db"
            if db.exists():
                with sqlite3.connect(db) as conn:
                    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
                    assert "wechat_tokens" not in tables or not conn.execute(
                        "SELECT COUNT(*) FROM wechat_tokens").fetchone()[0]


def test_two_machines_never_run_one_account_at_once(cfg, tmp_path, redis_url, monkeypatch):
    """Each with its own state file and its own lock folder: only Redis sees both."""
    from pipeline.locks import account_lock
    from pipeline.store import Store

    monkeypatch.setenv("PEITU_TEST_REDIS_URL", redis_url)
    with FakeWeChat() as fake:
        a, b = machine(cfg, tmp_path, "a", fake), machine(cfg, tmp_path, "b", fake)
        runs = []
        for name in ("run-a", "run-b"):
            (tmp_path / name).mkdir(mode=0o700)
            runs.append(str(tmp_path / name))
        monkeypatch.setenv("XDG_RUNTIME_DIR", runs[0])
        with account_lock(a, Store.open(a.path(a.paths.state)), "https://api|wx1", "nightly run"):
            monkeypatch.setenv("XDG_RUNTIME_DIR", runs[1])
            with pytest.raises(PeituError, match="another nightly run is in progress") as err:
                with account_lock(b, Store.open(b.path(b.paths.state)), "https://api|wx1", "nightly run"):
                    pass
            assert "Redis (PEITU_TEST_REDIS_URL)" in str(err.value) and redis_url not in str(err.value)
            assert redis.Redis.from_url(redis_url).pttl("peitu:lock:account:https://api|wx1") > 0
        with account_lock(b, Store.open(b.path(b.paths.state)), "https://api|wx1", "nightly run"):
            pass
        assert not redis.Redis.from_url(redis_url).keys("peitu:lock:*")


def test_a_redis_lock_of_a_killed_process_here_is_free_at_once_one_elsewhere_waits(redis_url):
    from pipeline.locks import RedisLease
    from pipeline.store import LockHeld

    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time, redis; from pipeline.locks import RedisLease\n"
                               "RedisLease(redis.Redis.from_url(sys.argv[1]), 'account:x', 3600).__enter__()\n"
                               "print('held', flush=True); time.sleep(600)\n", redis_url],
                              stdout=subprocess.PIPE, text=True)
    client = redis.Redis.from_url(redis_url)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld):
            RedisLease(client, "account:x", 60).acquire()
    finally:
        holder.kill()
        holder.wait(30)
    lease = RedisLease(client, "account:x", 60)
    lease.acquire()
    assert lease.renew() and 0 < client.pttl("peitu:lock:account:x") <= 60_000
    client.set("peitu:lock:account:x", "another-host/1/abc", px=60_000)     # a holder on another machine
    assert not lease.renew()
    with pytest.raises(LockHeld, match="another-host"):
        RedisLease(client, "account:x", 60).acquire()
    lease.release()                                                        # not ours: left alone
    assert client.get("peitu:lock:account:x") == b"another-host/1/abc"
