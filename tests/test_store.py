"""The state store: migrations (adopting a state file made before them), modes, transactions shared by
threads and processes, and named locks with expiry; the account lock built on them."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError, PeituError
from pipeline.fsutil import atomic_write
from pipeline.library import Library, search
from pipeline.locks import account_lock, runtime_dir
from pipeline.store import MIGRATIONS, LockHeld, Store, StoreLease, holder_gone, lock_owner

from .conftest import REPO, wechat_config

BEFORE_MIGRATIONS = REPO / "tests" / "fixtures" / "state-before-migrations.sql"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def child(code: str, *args: str) -> subprocess.Popen:
    """Python running `code` in another process, with this checkout importable."""
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


# ---- schema ------------------------------------------------------------------------------------------

def test_a_new_state_file_gets_every_table_at_the_latest_version(tmp_path):
    store = Store.open(tmp_path / "state.db")
    assert store.query("PRAGMA user_version")[0][0] == len(MIGRATIONS) == 2
    assert tables(store.path) >= {"provider_usage", "image_cache", "library_images", "library_tags", "library_files",
                                  "library_uses", "library_uploads", "library_fts", "nightly_articles",
                                  "wechat_uploads", "wechat_added_drafts", "wechat_tokens", "provider_failures",
                                  "locks"}
    store.execute("INSERT INTO provider_failures (day, provider, reason, count) VALUES ('2026-01-01', 'zhipu', "
                  "'http_429', 1) ON CONFLICT (day, provider, reason) DO UPDATE SET count = count + 1")
    assert store.query("SELECT count FROM provider_failures")[0]["count"] == 1


def test_migration_1_adopts_a_state_file_made_before_migrations(tmp_path):
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:
        db.executescript(BEFORE_MIGRATIONS.read_text(encoding="utf-8"))
    before = tables(path)
    assert "locks" not in before and "wechat_uploads" in before
    with sqlite3.connect(path) as db:
        counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in
                  ("library_images", "library_tags", "wechat_uploads", "wechat_added_drafts", "wechat_tokens",
                   "nightly_articles", "provider_usage")}
    store = Store.open(path)
    assert store.query("PRAGMA user_version")[0][0] == len(MIGRATIONS)
    assert {t: store.query(f"SELECT count(*) FROM {t}")[0][0] for t in counts} == counts     # nothing lost
    assert tables(path) == before | {"provider_failures", "locks"}
    cfg = load_config(REPO / "config.yaml")
    cfg.paths.state = path
    lib = Library.open(cfg)
    assert search(lib, "管理").total >= 1                 # the old full-text index still answers
    entry = lib.get(1)
    assert entry.tags and entry.uploads
    done = store.query("SELECT status FROM wechat_uploads")
    assert {r["status"] for r in done} == {"done"}


def test_a_state_file_from_a_newer_peitu_or_not_a_database_is_refused_with_a_hint(tmp_path):
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(ConfigError, match="newer peitu"):
        Store.open(newer)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigError, match="cannot be used") as err:
        Store.open(junk)
    assert "paths.state" in str(err.value)


def test_an_unwritable_state_folder_is_a_config_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="paths.state"):
        Store.open(blocker / "state.db")


# ---- modes -------------------------------------------------------------------------------------------

def test_state_folder_is_0700_and_its_databases_0600_even_when_made_looser_before(tmp_path):
    folder = tmp_path / ".peitu"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    (folder / "state.db").touch()
    os.chmod(folder / "state.db", 0o644)
    store = Store.open(folder / "state.db")
    store.execute("INSERT INTO locks (name, owner, expires) VALUES ('x', 'y', 0)")   # a write: -wal and -shm exist
    assert mode(folder) == 0o700
    for name in ("state.db", "state.db-wal", "state.db-shm", "ratelimit.sqlite"):
        assert mode(folder / name) == 0o600, name


def test_output_files_follow_the_umask_and_private_files_are_0600(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "a.html", "<p>x</p>")
        atomic_write(tmp_path / "cache.img", b"x", private=True)
        os.umask(0o002)
        atomic_write(tmp_path / "b.jpg", b"x")
    finally:
        os.umask(old)
    assert (mode(tmp_path / "a.html"), mode(tmp_path / "b.jpg"), mode(tmp_path / "cache.img")) == (0o640, 0o664, 0o600)
    assert not list(tmp_path.glob(".*.tmp"))


# ---- connections and transactions ------------------------------------------------------------------------

COUNT = ("INSERT INTO provider_failures (day, provider, reason, count) VALUES ('d', 'p', 'r', 1) "
         "ON CONFLICT (day, provider, reason) DO UPDATE SET count = provider_failures.count + 1")


def bump(store: Store, times: int) -> None:
    for _ in range(times):
        with store.tx():
            store.execute(COUNT)


def count(store: Store) -> int:
    rows = store.query("SELECT count FROM provider_failures WHERE day = 'd'")
    return rows[0]["count"] if rows else 0


def test_one_store_per_path_shared_by_threads(tmp_path):
    store = Store.open(tmp_path / "state.db")
    assert Store.open(tmp_path / "." / "state.db") is store
    threads = [threading.Thread(target=bump, args=(store, 50)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count(store) == 200


def test_processes_share_the_file_without_losing_a_write(tmp_path):
    path = tmp_path / "state.db"
    store = Store.open(path)
    code = ("import sys; from pathlib import Path; from pipeline.store import Store\n"
            "s = Store.open(Path(sys.argv[1]))\n"
            f"for _ in range(100):\n    with s.tx():\n        s.execute({COUNT!r})\n")
    others = [child(code, str(path)) for _ in range(2)]
    bump(store, 100)
    for p in others:
        assert p.wait(120) == 0, p.stdout.read()
    assert count(store) == 300


def test_a_transaction_rolls_back_on_error_and_an_inner_one_joins_it(tmp_path):
    store = Store.open(tmp_path / "state.db")
    with pytest.raises(RuntimeError):
        with store.tx():
            store.execute(COUNT)
            with store.tx():
                store.execute(COUNT)
            raise RuntimeError("boom")
    assert count(store) == 0
    with store.tx():
        store.execute(COUNT)
        with store.tx():
            store.execute(COUNT)
    assert count(store) == 2


# ---- locks with expiry --------------------------------------------------------------------------------

class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_lock_is_refused_while_held_and_taken_when_expired_or_released(tmp_path):
    store, clock = Store.open(tmp_path / "state.db"), Clock()
    first = StoreLease(store, "nightly:a", 10, clock=clock)
    first.acquire()
    second = StoreLease(store, "nightly:a", 10, clock=clock)
    with pytest.raises(LockHeld, match=f"process {os.getpid()}"):
        second.acquire()
    StoreLease(store, "nightly:b", 10, clock=clock).acquire()        # another name is another lock
    clock.now += 5
    assert first.renew()                                             # renewed: now held until 1015
    clock.now += 9
    with pytest.raises(LockHeld):
        second.acquire()
    clock.now += 2                                                   # 1016: expired, never renewed
    second.acquire()
    assert not first.renew()                                         # the first holder lost it
    first.release()                                                  # and cannot release another's
    with pytest.raises(LockHeld):
        StoreLease(store, "nightly:a", 10, clock=clock).acquire()
    second.release()
    StoreLease(store, "nightly:a", 10, clock=clock).acquire()


def test_a_held_lock_is_renewed_by_its_heartbeat_and_released_on_exit(tmp_path):
    store = Store.open(tmp_path / "state.db")
    with store.lock("nightly:a", 0.3) as lease:
        first = store.query("SELECT expires FROM locks")[0][0]
        end = time.monotonic() + 30
        while store.query("SELECT expires FROM locks")[0][0] == first and time.monotonic() < end:
            time.sleep(0.02)                                         # waiting for the heartbeat thread
        assert store.query("SELECT expires FROM locks")[0][0] > first
        lease.check()
    assert store.query("SELECT count(*) FROM locks")[0][0] == 0


def test_a_lost_lock_stops_the_holder_at_its_next_check(tmp_path):
    store = Store.open(tmp_path / "state.db")
    lease = store.lock("nightly:a", 60)
    with lease:
        store.execute("UPDATE locks SET owner = 'elsewhere/1/x'")   # another run took it after it expired
        lease.renew() or lease.lost.set()                            # what the heartbeat does on its beat
        with pytest.raises(PeituError, match="lost the lock"):
            lease.check()


def test_a_holder_killed_on_this_machine_frees_the_lock_at_once_one_elsewhere_only_by_expiry(tmp_path):
    path = tmp_path / "state.db"
    store = Store.open(path)
    holder = child("import sys, time; from pathlib import Path; from pipeline.store import Store\n"
                   "lease = Store.open(Path(sys.argv[1])).lock('nightly:a', 3600).__enter__()\n"
                   "print('held', flush=True); time.sleep(600)\n", str(path))
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(LockHeld):
        StoreLease(store, "nightly:a", 60).acquire()
    holder.send_signal(signal.SIGKILL)
    holder.wait(30)
    StoreLease(store, "nightly:a", 60).acquire()                    # its process is gone: free now

    far = "another-host/12345/abcdef"
    store.execute("UPDATE locks SET owner = ?, expires = ?", (far, time.time() + 60))
    assert not holder_gone(far) and not holder_gone(lock_owner())
    with pytest.raises(LockHeld, match="another-host"):
        StoreLease(store, "nightly:a", 60).acquire()
    StoreLease(store, "nightly:a", 60, clock=lambda: time.time() + 61).acquire()


# ---- the account lock -----------------------------------------------------------------------------------

def test_two_state_files_on_one_machine_never_hold_one_account(tmp_path, fake):
    one = load_config(wechat_config(tmp_path / "one", fake))
    two = load_config(wechat_config(tmp_path / "two", fake))
    stores = [Store.open(c.path(c.paths.state)) for c in (one, two)]
    with account_lock(one, stores[0], "https://api|wx1", "nightly run"):
        with pytest.raises(PeituError, match="another nightly run is in progress") as err:
            with account_lock(two, stores[1], "https://api|wx1", "nightly run"):
                pass
        assert "held by another process on this machine" in str(err.value)
        with account_lock(two, stores[1], "https://api|wx2", "nightly run"):   # another account: fine
            pass
    with account_lock(two, stores[1], "https://api|wx1", "nightly run"):
        pass
    assert mode(Path(os.environ["XDG_RUNTIME_DIR"]) / "peitu") == 0o700


def test_one_state_file_refuses_a_second_run_from_another_lock_folder(tmp_path, fake, monkeypatch):
    cfg = load_config(wechat_config(tmp_path, fake))
    store = Store.open(cfg.path(cfg.paths.state))
    with account_lock(cfg, store, "https://api|wx1", "nightly run"):
        elsewhere = tmp_path / "run2"
        elsewhere.mkdir(mode=0o700)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(elsewhere))    # as from a container sharing the state file
        with pytest.raises(PeituError, match="another nightly run") as err:
            with account_lock(cfg, store, "https://api|wx1", "nightly run"):
                pass
        assert str(store.path) in str(err.value) and f"held by process {os.getpid()}" in str(err.value)


def test_the_lock_folder_must_be_private(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    (tmp_path / "peitu").mkdir(mode=0o777)
    os.chmod(tmp_path / "peitu", 0o777)
    with pytest.raises(PeituError, match="not a private folder"):
        runtime_dir()
