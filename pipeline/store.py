"""The one state store: every table, its migrations and its connections.

    store = Store.for_config(cfg)            # SQLite at paths.state, or PostgreSQL (state.database_url_env)
    store = Store.open(path_or_url)          # one per target per process, shared by its threads
    with store.tx():                         # a write transaction: one writer at a time, across processes
        store.execute(sql, params)
    rows = store.query(sql, params)
    with store.lock(name, ttl_s) as lease:   # a named lock with expiry, renewed while held
        lease.check()

Stages keep their own SQL and write it portably (standard SQL, `?` parameters, `INSERT … ON CONFLICT`,
`RETURNING`); the same four calls run it on either backend. `tx()` takes the write lock at once (SQLite's
BEGIN IMMEDIATE, a transaction-scoped advisory lock on PostgreSQL), and so does every write made outside
one, so two processes never interleave a read-modify-write, and reads never wait for the writer.

The schema is one list of numbered migrations for both backends, written in SQLite's spelling; PostgreSQL
gets the same statements through a small type mapping (store_pg.py). Where the backends truly differ (the
library's full-text index, the insertion order SQLite keeps in rowid) each has its own statements in
`SQLITE_ONLY` / `POSTGRES_ONLY`.

SQLite (the default; sqlite3, no SQLAlchemy: it is the faster path): WAL (readers never wait for the
writer), a busy timeout (writers of several processes queue), foreign keys on; the version lives in
`PRAGMA user_version`; migration 1 adopts a state file made before migrations existed (its tables are
already there). The state folder is made private (0700) and the database files (and their -wal/-shm) 0600:
the file holds the WeChat access token.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import sqlite3
import stat
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import ConfigError, PeituError

if TYPE_CHECKING:
    from .config import Config

log = logging.getLogger(__name__)

Params = Sequence[Any]
BUSY_TIMEOUT_S = 30.0
SIBLINGS = ("ratelimit.sqlite",)          # other databases peitu keeps beside the state file (also 0600)

# ---- the schema ------------------------------------------------------------------------------------

# Migration 1: the tables as the code before migrations made them (IF NOT EXISTS: an existing state file
# is adopted as it is).
_V1 = (
    # generate: usage and quotas per provider per day; the image cache's index
    """CREATE TABLE IF NOT EXISTS provider_usage (
        day TEXT NOT NULL, provider TEXT NOT NULL,
        calls INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0, images INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, provider))""",
    """CREATE TABLE IF NOT EXISTS image_cache (
        key TEXT PRIMARY KEY, sha256 TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
        seed INTEGER, created REAL NOT NULL)""",
    # library: images, their tags, files, uses by articles and uploads to WeChat
    """CREATE TABLE IF NOT EXISTS library_images (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        file TEXT NOT NULL,
        role TEXT NOT NULL DEFAULT 'inline',
        plan_key TEXT NOT NULL DEFAULT '',
        prompt TEXT NOT NULL DEFAULT '',
        negative_prompt TEXT NOT NULL DEFAULT '',
        style TEXT NOT NULL DEFAULT '',
        template TEXT NOT NULL DEFAULT '',
        template_version TEXT NOT NULL DEFAULT '',
        provider TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        seed INTEGER,
        width INTEGER NOT NULL DEFAULT 0,
        height INTEGER NOT NULL DEFAULT 0,
        article_slug TEXT NOT NULL DEFAULT '',
        article_title TEXT NOT NULL DEFAULT '',
        article_type TEXT NOT NULL DEFAULT '',
        reusable INTEGER NOT NULL DEFAULT 0,
        origin TEXT NOT NULL DEFAULT 'generated',
        plan TEXT NOT NULL DEFAULT '{}',
        created_at REAL NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS library_images_created ON library_images(created_at)",
    "CREATE INDEX IF NOT EXISTS library_images_type ON library_images(article_type)",
    """CREATE TABLE IF NOT EXISTS library_tags (
        image_id INTEGER NOT NULL REFERENCES library_images(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (image_id, tag))""",
    "CREATE INDEX IF NOT EXISTS library_tags_tag ON library_tags(tag)",
    """CREATE TABLE IF NOT EXISTS library_files (
        image_id INTEGER NOT NULL REFERENCES library_images(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        PRIMARY KEY (image_id, path))""",
    "CREATE INDEX IF NOT EXISTS library_files_sha ON library_files(sha256)",
    """CREATE TABLE IF NOT EXISTS library_uses (
        image_id INTEGER NOT NULL REFERENCES library_images(id) ON DELETE CASCADE,
        article_slug TEXT NOT NULL,
        plan_key TEXT NOT NULL,
        reused INTEGER NOT NULL DEFAULT 0,
        used_at REAL NOT NULL,
        PRIMARY KEY (image_id, article_slug, plan_key))""",
    "CREATE INDEX IF NOT EXISTS library_uses_slug ON library_uses(article_slug)",
    """CREATE TABLE IF NOT EXISTS library_uploads (
        image_id INTEGER NOT NULL REFERENCES library_images(id) ON DELETE CASCADE,
        account TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        media_id TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL DEFAULT '',
        uploaded_at REAL NOT NULL,
        PRIMARY KEY (account, sha256))""",
    # nightly: one row per draft article, its progress
    """CREATE TABLE IF NOT EXISTS nightly_articles (
        scope TEXT NOT NULL,              -- base URL|AppID of the account
        media_id TEXT NOT NULL,           -- the draft
        idx INTEGER NOT NULL,             -- the article within it (0-based)
        account TEXT NOT NULL,
        title TEXT NOT NULL,
        status TEXT NOT NULL,             -- rendered | updating | done | failed
        source_hash TEXT NOT NULL,        -- the article as found (title, content, cover)
        result_hash TEXT,                 -- the article as sent to draft/update
        work TEXT,                        -- JSON: plans and saved renditions, while in progress
        error TEXT,
        updated REAL NOT NULL,
        PRIMARY KEY (scope, media_id, idx))""",
    # WeChat: the upload ledger, the drafts added, the access token
    """CREATE TABLE IF NOT EXISTS wechat_uploads (
        scope TEXT NOT NULL,              -- base URL and AppID: one account on one server
        kind TEXT NOT NULL,               -- 'material' (permanent image) | 'uploadimg' (body image)
        sha TEXT NOT NULL,                -- sha256 of the bytes sent
        name TEXT NOT NULL,               -- file name sent (materials are found by it after a crash)
        status TEXT NOT NULL,             -- 'sending' (intent recorded) | 'done' (result recorded)
        media_id TEXT,
        url TEXT,
        updated REAL NOT NULL,
        PRIMARY KEY (scope, kind, sha))""",
    "CREATE INDEX IF NOT EXISTS wechat_uploads_media ON wechat_uploads (scope, media_id)",
    """CREATE TABLE IF NOT EXISTS wechat_added_drafts (
        scope TEXT NOT NULL,
        article_hash TEXT NOT NULL,       -- sha256 of the article JSON sent to draft/add
        status TEXT NOT NULL,             -- 'sending' | 'done'
        media_id TEXT,
        updated REAL NOT NULL,
        PRIMARY KEY (scope, article_hash))""",
    """CREATE TABLE IF NOT EXISTS wechat_tokens (
        scope TEXT NOT NULL,              -- the API base URL the token belongs to
        key TEXT NOT NULL,                -- wechatpy's session key, "{appid}_access_token"
        value TEXT NOT NULL,              -- JSON
        expires_at REAL,                  -- unix time after which the value is not returned
        PRIMARY KEY (scope, key))""",
)

# Migration 2: failures per provider per day by reason (written by the router); named locks with expiry.
_V2 = (
    """CREATE TABLE provider_failures (
        day TEXT NOT NULL, provider TEXT NOT NULL, reason TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, provider, reason))""",
    """CREATE TABLE locks (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,              -- host/pid/random of the holder
        expires REAL NOT NULL)            -- unix time; an expired lock is free""",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2)

# Statements of one backend only, by migration number: the library's full-text index (SQLite's FTS5; on
# PostgreSQL a tsvector over the same jieba-split words, with the 'simple' configuration, weighted like
# FTS5's bm25 weights: tags, then title, then prompt), and on PostgreSQL a `rowid` column where callers
# read rows in the order they were inserted (SQLite keeps that order in its implicit rowid).
SQLITE_ONLY: dict[int, tuple[str, ...]] = {
    1: ("""CREATE VIRTUAL TABLE IF NOT EXISTS library_fts USING fts5(
            tags, prompt, title, tokenize = 'unicode61 remove_diacritics 2')""",),
}
POSTGRES_ONLY: dict[int, tuple[str, ...]] = {
    1: ("""CREATE TABLE IF NOT EXISTS library_fts (
            rowid BIGINT PRIMARY KEY REFERENCES library_images(id) ON DELETE CASCADE,
            tags TEXT NOT NULL, prompt TEXT NOT NULL, title TEXT NOT NULL,
            doc tsvector GENERATED ALWAYS AS (setweight(to_tsvector('simple', tags), 'A')
                || setweight(to_tsvector('simple', title), 'B')
                || setweight(to_tsvector('simple', prompt), 'C')) STORED)""",
        "CREATE INDEX IF NOT EXISTS library_fts_doc ON library_fts USING gin (doc)",
        "ALTER TABLE library_tags ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED ALWAYS AS IDENTITY",
        "ALTER TABLE library_files ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED ALWAYS AS IDENTITY"),
}


class Row:
    """One result row, the same from either backend: by position (`row[0]`), by column name
    (`row["id"]`), unpacked (`a, b = row`), or as a dict (`dict(row)`)."""

    __slots__ = ("_names", "_values")

    def __init__(self, values: Sequence[Any], names: Mapping[str, int]):
        self._values, self._names = tuple(values), names

    def __getitem__(self, key: int | str) -> Any:
        return self._values[self._names[key] if isinstance(key, str) else key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return self._values == (other._values if isinstance(other, Row) else other)

    __hash__ = None  # type: ignore[assignment]

    def keys(self) -> list[str]:
        return list(self._names)

    def __repr__(self) -> str:
        return f"Row({ {name: self._values[i] for name, i in self._names.items()}!r})"


def rows_of(values: Sequence[Sequence[Any]], columns: Sequence[str]) -> list[Row]:
    names: dict[str, int] = {}
    for i, name in enumerate(columns):
        names.setdefault(name, i)                     # a name given twice means its first column
    return [Row(v, names) for v in values]


@dataclass
class Result:
    """What a statement gave: its rows (fetched at once, so threads never share a cursor) and rowcount."""

    rows: list[Row]
    rowcount: int

    def fetchone(self) -> Row | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[Row]:
        return self.rows


# ---- the store -------------------------------------------------------------------------------------

class Store(ABC):
    """The state database. Use `Store.for_config(cfg)` or `Store.open(target)`: the instance is shared by
    every caller in this process and closed when the last of them lets go."""

    dialect: ClassVar[str]              # "sqlite" | "postgresql"
    folder: Path                        # files kept beside the state: library images, nightly work, rate limits
    where: str                          # what messages name: the file, or the database URL without password
    migrated_from: int                  # the schema version this process found on opening it

    _open: ClassVar[weakref.WeakValueDictionary[tuple[Any, ...], Store]] = weakref.WeakValueDictionary()
    _open_lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def open(cls, target: Path | str, *, folder: Path | None = None) -> Store:
        """The store for `target`: a SQLite file (created, made private and migrated on first use), or a
        `postgresql://` URL (migrated on first use; `folder` holds the files kept beside the state)."""
        url = str(target)
        if url.startswith(("postgresql:", "postgresql+", "postgres:")):
            try:
                from .store_pg import PostgresStore
            except ImportError as err:
                raise ConfigError(f"the state in PostgreSQL needs SQLAlchemy and psycopg ({err})",
                                  hint="pip install 'peitu[postgres]'") from None
            place = Path(folder or ".peitu").expanduser().resolve()
            return cls._shared(("postgresql", url, place), lambda: PostgresStore(url, place))
        path = Path(target).expanduser().resolve()
        return cls._shared(("sqlite", path), lambda: SQLiteStore(path))

    @classmethod
    def for_config(cls, cfg: Config) -> Store:
        """The configured store: PostgreSQL when state.database_url_env names a variable, else SQLite at
        paths.state. Files kept beside the state live in paths.state's folder either way."""
        from .secrets import get_secret

        path = cfg.path(cfg.paths.state)
        env = cfg.state.database_url_env
        if not env:
            return cls.open(path)
        url = get_secret(env)
        if not url:
            raise ConfigError(f"state.database_url_env names {env}, which is not set",
                              hint=f"set {env} to postgresql://user:password@host:5432/database (in the "
                                   f"environment or .env), or remove state.database_url_env to use {path}")
        return cls.open(url, folder=path.parent)

    @classmethod
    def _shared(cls, key: tuple[Any, ...], make: Callable[[], Store]) -> Store:
        key = (os.getpid(), *key)
        with cls._open_lock:
            store = cls._open.get(key)
            if store is None:
                store = cls._open[key] = make()
            return store

    # ---- the four calls --------------------------------------------------------------------------

    @abstractmethod
    @contextmanager
    def tx(self) -> Iterator[Store]:
        """A write transaction, holding the write lock from its start, so two processes never interleave;
        a tx inside a tx (in the same thread) joins it. Commits on leaving, rolls back on an exception."""

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> Result:
        """One statement (its own transaction unless inside `tx()`)."""

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """The rows a SELECT (or a statement with RETURNING) gives."""
        return self.execute(sql, params).rows

    def lock(self, name: str, ttl_s: float, *, clock: Callable[[], float] = time.time) -> Lease:
        """A named lock with expiry: `with store.lock("nightly:…", 60) as lease:` (see Lease)."""
        return StoreLease(self, name, ttl_s, clock=clock)

    # ---- schema ----------------------------------------------------------------------------------

    @abstractmethod
    def version(self) -> int:
        """The number of the last migration applied (0: none)."""

    @abstractmethod
    def _set_version(self, number: int) -> None: ...

    @abstractmethod
    def _ddl(self, number: int) -> Sequence[str]:
        """Migration `number`'s statements as this backend runs them."""

    @property
    @abstractmethod
    def engine_url(self) -> str:
        """A SQLAlchemy URL of this database (for APScheduler's job store). It may hold a password: never
        log or show it."""

    def _migrate(self) -> None:
        """Bring the schema to the latest migration (once, whichever process gets there first); note the
        version found in `migrated_from`."""
        latest = len(MIGRATIONS)
        self.migrated_from = self.version()
        if self.migrated_from == latest:
            return
        with self.tx():
            version = self.migrated_from = self.version()      # again, under the write lock
            if version > latest:
                raise ConfigError(f"the state database was made by a newer peitu (schema {version}, this one "
                                  f"knows {latest})", where=self.where, hint="upgrade peitu")
            for number in range(version + 1, latest + 1):
                for sql in self._ddl(number):
                    self.execute(sql)
                self._set_version(number)
                log.debug("state %s: migration %d applied", self.where, number)


class SQLiteStore(Store):
    """The state in one SQLite file; its connection is shared by the process's threads, serialised by a
    lock (a transaction holds it from BEGIN IMMEDIATE to COMMIT)."""

    dialect = "sqlite"

    def __init__(self, path: Path):
        self.path = path
        self.folder = path.parent
        self.where = str(path)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = _connect(path)
        self._migrate()

    @contextmanager
    def tx(self) -> Iterator[Store]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._run("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
                self._run("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

    def execute(self, sql: str, params: Params = ()) -> Result:
        with self._lock:
            cur = self._run(sql, params)
            values = cur.fetchall()
            return Result(rows_of(values, [d[0] for d in cur.description]) if cur.description else [],
                          cur.rowcount)

    def version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _set_version(self, number: int) -> None:
        self._run(f"PRAGMA user_version = {int(number)}")

    def _ddl(self, number: int) -> Sequence[str]:
        return (*MIGRATIONS[number - 1], *SQLITE_ONLY.get(number, ()))

    @property
    def engine_url(self) -> str:
        return f"sqlite:///{self.path}"

    def _run(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.OperationalError as err:
            text = str(err)
            if "locked" in text or "busy" in text:
                raise PeituError(f"the state file stayed busy for {BUSY_TIMEOUT_S:.0f} s ({text})",
                                 where=self.where, hint="another peitu process holds it; run again") from None
            if "readonly" in text or "disk" in text:
                raise ConfigError(f"cannot write the state file ({text})", where=self.where,
                                  hint="check the file's permissions and the free disk space") from None
            raise


def _connect(path: Path) -> sqlite3.Connection:
    """Open (creating) the SQLite file with private modes, WAL, a busy timeout and foreign keys."""
    try:
        private_folder(path.parent)
        for name in (path.name, *SIBLINGS):
            private_file(path.parent / name)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as err:
        raise ConfigError(f"cannot open the state file: {getattr(err, 'strerror', None) or err}", where=str(path),
                          hint="set paths.state in config.yaml to a file in a folder you can write") from None
    try:
        _wal(conn)                                          # reads the header: fails here if not a database
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        for suffix in ("-wal", "-shm"):
            private_file(path.parent / (path.name + suffix), create=False)
        return conn
    except (OSError, sqlite3.DatabaseError) as err:
        conn.close()
        raise ConfigError(f"the state file cannot be used: {err}", where=str(path),
                          hint="if it is not peitu's, set paths.state elsewhere; if it is damaged, move it "
                               "aside (the library records and nightly progress in it are then lost)") from None


def _wal(conn: sqlite3.Connection) -> None:
    """Put the file in WAL mode (it stays so). Two processes creating the file at once may both ask;
    SQLite answers "locked" to the second without waiting on its busy timeout, so ask again briefly."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def private_folder(folder: Path) -> None:
    """Create `folder` (and parents) and make it 0700: only its owner may list or enter it. (A state file
    kept right in the home folder, or in a shared sticky folder such as /tmp, leaves that folder's mode
    alone: making /tmp private would break every other user and service of the machine.)"""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = folder.stat()
    if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) != 0o700 and folder != Path.home() \
            and not st.st_mode & stat.S_ISVTX:
        os.chmod(folder, 0o700)


def private_file(path: Path, *, create: bool = True) -> None:
    """Make `path` 0600 (creating it empty, never readable by others, when `create`)."""
    if create:
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    try:
        if stat.S_IMODE(path.stat().st_mode) != 0o600:
            os.chmod(path, 0o600)
    except FileNotFoundError:
        pass


# ---- named locks with expiry -----------------------------------------------------------------------

class LockHeld(PeituError):
    """Someone else holds the lock."""


HOST = socket.gethostname()


def lock_owner() -> str:
    """Who this process is, as a lock owner: host/pid/random."""
    return f"{HOST}/{os.getpid()}/{secrets.token_hex(6)}"


def holder_gone(owner: str) -> bool:
    """True when `owner` was a process on this machine that no longer runs (killed: its lock is free
    before it expires). A holder on another machine is never judged: only expiry frees its lock."""
    host, _, rest = owner.partition("/")
    pid = rest.partition("/")[0]
    if host != HOST or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:                                   # a zombie (killed, not yet reaped) no longer holds anything
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def describe_holder(owner: str, expires: float | None = None) -> str:
    host, _, rest = owner.partition("/")
    text = f"process {rest.partition('/')[0]} on {host}"
    if expires:
        text += f", until {time.strftime('%H:%M:%S', time.localtime(expires))} unless it renews"
    return text


class Lease(ABC):
    """A lock held for `ttl_s` at a time: `acquire()` or LockHeld, `renew()` (False when lost), `release()`.
    As a context manager it is acquired, renewed by a heartbeat thread every ttl/3 while held, and released
    on exit; a holder that is killed stops renewing, so the lock frees itself when it expires."""

    def __init__(self, name: str, ttl_s: float):
        self.name, self.ttl_s = name, ttl_s
        self.owner = lock_owner()
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    @abstractmethod
    def acquire(self) -> None:
        """Take the lock, or raise LockHeld."""

    @abstractmethod
    def renew(self) -> bool:
        """Push the expiry on by ttl_s; False when the lock is no longer ours."""

    @abstractmethod
    def release(self) -> None:
        """Give the lock up (only if it is still ours)."""

    def check(self) -> None:
        """Raise when the lock was lost (this process stalled past the expiry and another took it)."""
        if self.lost.is_set():
            raise PeituError(f"lost the lock '{self.name}': this process stalled for more than {self.ttl_s:.0f} s "
                             f"and another run may have taken over", hint="run again")

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                ok = self.renew()
            except Exception as err:  # a dropped connection: try again on the next beat, expire if it lasts
                log.warning("could not renew the lock '%s': %s", self.name, err)
                continue
            if not ok:
                log.error("the lock '%s' was lost", self.name)
                self.lost.set()
                return

    def __enter__(self) -> Lease:
        self.acquire()
        self._beat = threading.Thread(target=self._heartbeat, name=f"lease {self.name}", daemon=True)
        self._beat.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._beat:
            self._beat.join()
        self.release()


class StoreLease(Lease):
    """A lease in the `locks` table: every process sharing the state file sees it."""

    def __init__(self, store: Store, name: str, ttl_s: float, *, clock: Callable[[], float] = time.time):
        super().__init__(name, ttl_s)
        self.store, self.clock = store, clock

    def acquire(self) -> None:
        with self.store.tx():
            rows = self.store.query("SELECT owner, expires FROM locks WHERE name = ?", (self.name,))
            now = self.clock()
            if rows and rows[0]["owner"] != self.owner and rows[0]["expires"] > now \
                    and not holder_gone(rows[0]["owner"]):
                raise LockHeld(f"held by {describe_holder(*rows[0])}", where=self.store.where)
            self.store.execute(
                "INSERT INTO locks (name, owner, expires) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires = excluded.expires",
                (self.name, self.owner, now + self.ttl_s))

    def renew(self) -> bool:
        return self.store.execute("UPDATE locks SET expires = ? WHERE name = ? AND owner = ?",
                                  (self.clock() + self.ttl_s, self.name, self.owner)).rowcount == 1

    def release(self) -> None:
        self.store.execute("DELETE FROM locks WHERE name = ? AND owner = ?", (self.name, self.owner))
