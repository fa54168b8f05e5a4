"""The one SQLite state file: each stage declares its own tables through `schema()`."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(path: Path) -> sqlite3.Connection:
    """Open the state database (WAL, busy timeout) so several processes can share it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def schema(conn: sqlite3.Connection, ddl: str) -> None:
    """Create a stage's tables and indexes if they are missing (idempotent DDL only)."""
    conn.executescript(ddl)
