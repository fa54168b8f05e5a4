"""The state store: migrations (adopting a state file made before them), modes, transactions shared by
threads and processes, and named locks with expiry; the account lock built on them. Every test that is not
about the SQLite file itself runs on both backends: SQLite and PostgreSQL (a schema of its own each)."""

from __future__ import annotations

import inspect
import os
import re
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
from pipeline.generate.quota import Usage
from pipeline.library import Library, search
from pipeline.locks import account_lock, runtime_dir
from pipeline.store import MIGRATIONS, LockHeld, Store, StoreLease, holder_gone, lock_owner
from pipeline.store_pg import placeholders, postgres_ddl

from .conftest import REPO, STATE_URL_ENV, free_port, peitu, run_to_end, wechat_config

BEFORE_MIGRATIONS = REPO / "tests" / "fixtures" / "state-before-migrations.sql"
pytestmark = pytest.mark.backends("sqlite", "postgresql")


@pytest.fixture
def target(backend, tmp_path) -> str:
    """What Store.open takes for this test's backend: the SQLite file, or the URL of a fresh schema."""
    return str(tmp_path / "state.db") if backend == "sqlite" else os.environ[STATE_URL_ENV]


@pytest.fixture
def store(target, tmp_path) -> Store:
    return Store.open(target, folder=tmp_path)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def tables_of(store: Store) -> set[str]:
    if store.dialect == "sqlite":
        return {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {r[0] for r in store.query("SELECT table_name FROM information_schema.tables "
                                      "WHERE table_schema = current_schema()")}


def child(code: str, *args: str) -> subprocess.Popen:
    """Python running `code` in another process, with this checkout importable."""
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


# ---- schema ------------------------------------------------------------------------------------------

def test_a_new_state_file_gets_every_table_at_the_latest_version(store):
    assert (store.migrated_from, store.version()) == (0, len(MIGRATIONS)) == (0, 2)
    assert tables_of(store) >= {"provider_usage", "image_cache", "library_images", "library_tags", "library_files",
                                "library_uses", "library_uploads", "library_fts", "nightly_articles",
                                "wechat_uploads", "wechat_added_drafts", "wechat_tokens", "provider_failures",
                                "locks"}
    for _ in range(2):
        store.execute("INSERT INTO provider_failures (day, provider, reason, count) VALUES ('2026-01-01', 'zhipu', "
                      "'http_429', 1) ON CONFLICT (day, provider, reason) DO UPDATE SET count = provider_failures.count + 1")
    assert store.query("SELECT count FROM provider_failures")[0]["count"] == 2
    if store.dialect == "sqlite":
        assert store.query("PRAGMA user_version")[0][0] == 2


@pytest.mark.backends("postgresql")
def test_postgresql_gets_the_same_schema_through_the_type_mapping(store):
    columns = {(r["table_name"], r["column_name"]): (r["data_type"], r["is_identity"]) for r in store.query(
        "SELECT table_name, column_name, data_type, is_identity FROM information_schema.columns "
        "WHERE table_schema = current_schema()")}
    assert columns["library_images", "id"] == ("bigint", "YES")           # INTEGER PRIMARY KEY
    assert columns["library_images", "seed"][0] == "bigint"                # 64-bit, as in SQLite
    assert columns["locks", "expires"][0] == columns["image_cache", "created"][0] == "double precision"
    assert columns["library_fts", "doc"][0] == "tsvector"
    seed = 2 ** 40                                                         # beyond a 32-bit INTEGER
    store.execute("INSERT INTO image_cache (key, sha256, provider, model, seed, created) VALUES (?,?,?,?,?,?)",
                  ("k", "s", "p", "m", seed, 1.5))
    assert tuple(store.query("SELECT seed, created FROM image_cache")[0]) == (seed, 1.5)


def test_the_dialect_translations():
    assert placeholders("SELECT a FROM t WHERE b = ? AND c LIKE 'x%?' -- it's ?\n AND d = ?") == \
        "SELECT a FROM t WHERE b = %s AND c LIKE 'x%?' -- it's ?\n AND d = %s"
    assert placeholders("SELECT 5 % ?, \"odd?\"") == "SELECT 5 %% %s, \"odd?\""
    assert postgres_ddl("id INTEGER PRIMARY KEY, n INTEGER NOT NULL, t REAL, b BLOB, s TEXT") == \
        "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n BIGINT NOT NULL, t DOUBLE PRECISION, " \
        "b BYTEA, s TEXT"


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


OPEN = ("import sys; from pathlib import Path; from pipeline.store import Store\n"
        "try:\n    Store.open(sys.argv[1], folder=Path(sys.argv[2]))\n"
        "except Exception as err:\n    print(type(err).__name__, err)\n")


def test_a_database_from_a_newer_peitu_is_refused(target, store, tmp_path):
    if store.dialect == "sqlite":
        store.execute("PRAGMA user_version = 99")
    else:
        store.execute("UPDATE peitu_schema SET version = 99")
    out = child(OPEN, target, str(tmp_path)).communicate(timeout=120)[0]     # another process opening it
    assert out.startswith("ConfigError") and "newer peitu" in out and "upgrade peitu" in out, out
    assert store.where in out and (store.dialect == "sqlite" or ":***@" in store.where)


@pytest.mark.backends("postgresql")
def test_an_unreachable_or_refusing_database_is_a_config_error_without_the_password(target, tmp_path):
    from sqlalchemy import make_url

    url = make_url(target)
    for wrong, why in ((url.set(port=free_port()), "refused"), (url.set(password="not-the-password"), "password")):
        text = wrong.render_as_string(hide_password=False)
        with pytest.raises(ConfigError, match="cannot reach the state database") as err:
            Store.open(text, folder=tmp_path)
        assert why in str(err.value) and "state.database_url_env" in str(err.value)
        assert wrong.password not in str(err.value) and url.password not in str(err.value)


@pytest.mark.backends("sqlite")
def test_the_configured_database_variable_must_be_set_and_never_holds_the_url(cfg, monkeypatch, tmp_path):
    cfg.state.database_url_env = "PEITU_TEST_UNSET_DATABASE_URL"
    monkeypatch.delenv("PEITU_TEST_UNSET_DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="PEITU_TEST_UNSET_DATABASE_URL, which is not set") as err:
        Store.for_config(cfg)
    assert "postgresql://" in err.value.hint and "paths.state" not in err.value.message
    config = tmp_path / "config.yaml"
    config.write_text("state:\n  database_url_env: postgresql://peitu:hunter22@db/peitu\n")
    with pytest.raises(ConfigError, match="state.database_url_env: must name an environment variable") as err:
        load_config(config)
    assert "hunter22" not in str(err.value)


def test_a_state_file_that_is_not_a_database_is_refused_with_a_hint(tmp_path):
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


def test_a_shared_sticky_folder_like_tmp_keeps_its_mode(tmp_path):
    shared = tmp_path / "tmp"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    Store.open(shared / "state.db").execute("INSERT INTO locks (name, owner, expires) VALUES ('x', 'y', 0)")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777 and mode(shared / "state.db") == 0o600


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
    """A read-modify-write in two statements: it loses counts unless tx() keeps every other writer out
    from its start to its commit."""
    for _ in range(times):
        with store.tx():
            rows = store.query("SELECT count FROM provider_failures WHERE day = 'd'")
            if rows:
                store.execute("UPDATE provider_failures SET count = ? WHERE day = 'd'", (rows[0][0] + 1,))
            else:
                store.execute("INSERT INTO provider_failures (day, provider, reason, count) VALUES ('d','p','r',1)")


def count(store: Store) -> int:
    rows = store.query("SELECT count FROM provider_failures WHERE day = 'd'")
    return rows[0]["count"] if rows else 0


def test_one_store_per_path_shared_by_threads(target, store, tmp_path):
    again = tmp_path / "." / "state.db" if store.dialect == "sqlite" else target
    assert Store.open(again, folder=tmp_path) is store
    threads = [threading.Thread(target=bump, args=(store, 50)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count(store) == 200


def test_processes_share_the_database_without_losing_a_write(target, store, tmp_path):
    code = ("from __future__ import annotations\nimport sys; from pathlib import Path; from pipeline.store import Store\n"
            f"{inspect.getsource(bump)}\nbump(Store.open(sys.argv[1], folder=Path(sys.argv[2])), 100)\n")
    others = [child(code, target, str(tmp_path)) for _ in range(2)]
    bump(store, 100)
    for p in others:
        assert p.wait(120) == 0, p.stdout.read()
    assert count(store) == 300


def test_a_write_outside_a_transaction_waits_for_it(store):
    """Another thread's single UPDATE (its own connection on PostgreSQL) cannot land between a transaction's
    read and its write."""
    store.execute(COUNT)
    read, wrote = threading.Event(), threading.Event()

    def other() -> None:
        read.wait(30)
        store.execute("UPDATE provider_failures SET count = count + 10 WHERE day = 'd'")
        wrote.set()

    thread = threading.Thread(target=other)
    thread.start()
    with store.tx():
        seen = store.query("SELECT count FROM provider_failures WHERE day = 'd'")[0][0]
        read.set()
        assert not wrote.wait(0.5)                                   # held back while this transaction runs
        store.execute("UPDATE provider_failures SET count = ? WHERE day = 'd'", (seen + 1,))
    thread.join(30)
    assert count(store) == 12                                         # 1 + 1 here + 10 there: nothing lost


def test_a_daily_quota_shared_by_threads_grants_exactly_its_calls_and_reports_whole_numbers(store):
    usage = Usage(store)
    granted: list[bool] = []
    threads = [threading.Thread(target=lambda: granted.extend(usage.reserve("zhipu", 50) for _ in range(20)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert granted.count(True) == usage.used("zhipu") == 50
    usage.refund("zhipu")
    for _ in range(3):
        usage.made("zhipu")
    usage.failed("zhipu", "timeout")
    report = usage.report(1)
    assert report == [{"provider": "zhipu", "calls": 49, "failures": 1, "images": 3}]
    assert all(type(report[0][k]) is int for k in ("calls", "failures", "images"))    # SUM: not a Decimal


def test_a_transaction_rolls_back_on_error_and_an_inner_one_joins_it(store):
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


def test_a_lock_is_refused_while_held_and_taken_when_expired_or_released(store):
    clock = Clock()
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


def test_a_held_lock_is_renewed_by_its_heartbeat_and_released_on_exit(store):
    with store.lock("nightly:a", 0.3) as lease:
        first = store.query("SELECT expires FROM locks")[0][0]
        end = time.monotonic() + 30
        while store.query("SELECT expires FROM locks")[0][0] == first and time.monotonic() < end:
            time.sleep(0.02)                                         # waiting for the heartbeat thread
        assert store.query("SELECT expires FROM locks")[0][0] > first
        lease.check()
    assert store.query("SELECT count(*) FROM locks")[0][0] == 0


def test_a_lost_lock_stops_the_holder_at_its_next_check(store):
    lease = store.lock("nightly:a", 60)
    with lease:
        store.execute("UPDATE locks SET owner = 'elsewhere/1/x'")   # another run took it after it expired
        lease.renew() or lease.lost.set()                            # what the heartbeat does on its beat
        with pytest.raises(PeituError, match="lost the lock"):
            lease.check()


def test_a_holder_killed_on_this_machine_frees_the_lock_at_once_one_elsewhere_only_by_expiry(target, store,
                                                                                             tmp_path):
    holder = child("import sys, time; from pathlib import Path; from pipeline.store import Store\n"
                   "lease = Store.open(sys.argv[1], folder=Path(sys.argv[2])).lock('nightly:a', 3600).__enter__()\n"
                   "print('held', flush=True); time.sleep(600)\n", target, str(tmp_path))
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
    stores = [Store.for_config(c) for c in (one, two)]
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
    store = Store.for_config(cfg)
    with account_lock(cfg, store, "https://api|wx1", "nightly run"):
        elsewhere = tmp_path / "run2"
        elsewhere.mkdir(mode=0o700)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(elsewhere))    # as from a container sharing the state file
        with pytest.raises(PeituError, match="another nightly run") as err:
            with account_lock(cfg, store, "https://api|wx1", "nightly run"):
                pass
        assert store.where in str(err.value) and f"held by process {os.getpid()}" in str(err.value)


def test_doctor_reports_the_backend_its_schema_and_the_migrations_that_were_pending(store, tmp_path, fake,
                                                                                  monkeypatch):
    for sql in ("DROP TABLE provider_failures", "DROP TABLE locks",         # as an older peitu left it
                "PRAGMA user_version = 1" if store.dialect == "sqlite" else "UPDATE peitu_schema SET version = 1"):
        store.execute(sql)
    config = wechat_config(tmp_path, fake)
    first = " ".join(run_to_end(peitu(config, "doctor", "--offline"))[1].split())
    second = " ".join(run_to_end(peitu(config, "doctor", "--offline"))[1].split())
    if store.dialect == "sqlite":
        assert f"✓ state: SQLite {tmp_path / 'state.db'} (schema 2 of 2, 1 pending migration applied now)" in first
        assert f"✓ state: SQLite {tmp_path / 'state.db'} (schema 2 of 2), private to you" in second
    else:
        assert re.search(rf"✓ state: PostgreSQL {re.escape(store.where)}: reachable \(\d+ ms\), schema 2 of 2, "
                         r"1 pending migration applied now", first), first
        assert "schema 2 of 2; files in" in second and "pending" not in second
        monkeypatch.setenv(STATE_URL_ENV, os.environ[STATE_URL_ENV].replace(":" + str(store.url.port), ":1"))
        down = " ".join(run_to_end(peitu(config, "doctor", "--offline"))[1].split())
        assert "✗ state: cannot reach the state database" in down and "→ start PostgreSQL" in down, down
        assert store.url.password not in first + second + down
    assert store.version() == 2 and "locks" in tables_of(store)


@pytest.mark.slow
def test_without_its_service_a_test_fails_under_ci_and_is_skipped_elsewhere(tmp_path):
    dead = {"PEITU_TEST_POSTGRES_URL": f"postgresql://peitu:pw@127.0.0.1:{free_port()}/postgres",
            "PEITU_TEST_REDIS_URL": f"redis://127.0.0.1:{free_port()}"}
    tests = ["tests/test_store.py::test_a_lost_lock_stops_the_holder_at_its_next_check[postgresql]",
             "tests/test_wechat_redis.py::test_two_machines_share_one_token_through_redis"]
    for ci, expect in (("true", "2 errors"), ("", "2 skipped")):
        env = {**os.environ, **dead, "CI": ci}
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                               "-rfs", *tests], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        out = done.stdout + done.stderr
        assert expect in out and done.returncode == (1 if ci else 0), out
        for what in ("PostgreSQL", "Redis"):
            assert (f"{what} is needed in CI and could not start" if ci else f"{what} is not available") in out
    assert "pw@" not in out


def test_the_lock_folder_must_be_private(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    (tmp_path / "peitu").mkdir(mode=0o777)
    os.chmod(tmp_path / "peitu", 0o777)
    with pytest.raises(PeituError, match="not a private folder"):
        runtime_dir()
