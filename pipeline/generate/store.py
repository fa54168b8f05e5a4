"""The generate stage's handle on the state file: one connection, one lock, short write transactions."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import state

DDL = """
CREATE TABLE IF NOT EXISTS provider_usage (
    day TEXT NOT NULL, provider TEXT NOT NULL,
    calls INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0, images INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, provider));
CREATE TABLE IF NOT EXISTS provider_failures (
    day TEXT NOT NULL, provider TEXT NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, provider, reason));
CREATE TABLE IF NOT EXISTS image_cache (
    key TEXT PRIMARY KEY, sha256 TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
    seed INTEGER, created REAL NOT NULL);
"""


class Store:
    """SQLite shared by threads (through the lock) and processes (through SQLite's own locking)."""

    def __init__(self, path: Path):
        self.conn = state.connect(path)
        self.lock = threading.Lock()
        state.schema(self.conn, DDL)

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, taken at once (BEGIN IMMEDIATE) so two processes never interleave."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def query(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.conn.execute(sql, args).fetchall()
