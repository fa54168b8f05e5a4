"""Per-provider request rates (per second and per minute) that hold across processes on one machine.

pyrate-limiter keeps the count: a sliding-window log per provider in ratelimit.sqlite beside the state
file (its own file, so counting never waits behind the state file's writers; nothing in it matters for
longer than its longest window), behind pyrate-limiter's file lock, so every peitu process on the machine shares
one budget. Kept here, in a few lines: waits bounded by the image's deadline (give up at once rather
than sleep past it, so the router tries the next provider) and a provider's Retry-After pausing every
thread of every process (a row in the same file's `pauses` table, in wall time)."""

from __future__ import annotations

import math
import sqlite3
import threading
from pathlib import Path

from pyrate_limiter import Limiter, Rate, RateItem, SQLiteBucket

from ..config import ProviderSettings
from .clock import SYSTEM, Clock

SLACK_MS = 50     # a request reaches the provider a little after we count it: windows are this much longer


def rates(settings: ProviderSettings) -> list[Rate]:
    """The provider's limits as pyrate-limiter Rates; a rate below one per window becomes one per longer window.
    pyrate-limiter wants the longer window no denser than the shorter, so a limit the other implies is dropped
    and one it does not is met by stretching the longer window (stricter, never looser)."""
    windows = sorted(((int(rate), round(period * 1000) + SLACK_MS) if rate >= 1
                      else (1, round(period / rate * 1000) + SLACK_MS)
                      for rate, period in ((settings.rate_per_second, 1.0), (settings.rate_per_minute, 60.0))
                      if rate), key=lambda w: w[1])
    if len(windows) == 2:
        (n1, ms1), (n2, ms2) = windows
        if n1 * math.ceil(ms2 / ms1) <= n2:          # the short window's limit already bounds the long one
            windows = [(n1, ms1)]
        elif n2 <= n1:                               # the long window's limit already bounds the short one
            windows = [(n2, ms2)]
        else:
            windows = [(n1, ms1), (n2, max(ms2, math.ceil(n2 * ms1 / n1)))]
    return [Rate(n, ms) for n, ms in windows]


class RateLimiter:
    """Rate slots per provider, shared by the threads of this process and every process using `path`."""

    def __init__(self, path: Path, clock: Clock = SYSTEM):
        self.path = path
        self.clock = clock
        self._buckets: dict[str, tuple[Limiter, SQLiteBucket]] = {}
        self._pauses: sqlite3.Connection | None = None
        self._lock = threading.Lock()          # one thread at a time at the file lock (it polls every 50 ms)

    def _db(self) -> sqlite3.Connection:
        if self._pauses is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._pauses = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            self._pauses.execute("CREATE TABLE IF NOT EXISTS pauses (provider TEXT PRIMARY KEY, until REAL NOT NULL)")
        return self._pauses

    def pause(self, provider: str, seconds: float) -> None:
        """Hold every new request to `provider`, from any process, for `seconds` (a 429's Retry-After)."""
        with self._lock:
            self._db().execute("INSERT INTO pauses VALUES (?, ?) ON CONFLICT (provider) DO UPDATE "
                               "SET until = MAX(until, excluded.until)", (provider, self.clock.time() + seconds))

    def paused(self, provider: str) -> float:
        """Seconds left of a pause on `provider` (0 when none)."""
        with self._lock:
            row = self._db().execute("SELECT until FROM pauses WHERE provider = ?", (provider,)).fetchone()
        return max(0.0, row[0] - self.clock.time()) if row else 0.0

    def wait_time(self, provider: str, limits: list[Rate]) -> float:
        """Take a slot now and return 0, or return how long to wait before asking again."""
        paused = self.paused(provider)
        if paused > 0:
            return paused
        if not limits:
            return 0.0
        with self._lock:
            if provider not in self._buckets:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                bucket = SQLiteBucket.init_from_file(limits, table=f"rate_{provider}", db_path=str(self.path),
                                                     use_file_lock=True)
                self._buckets[provider] = Limiter(bucket), bucket
            limiter, bucket = self._buckets[provider]
            # timeout=0: one try, no sleep (blocking=False hands filelock >= 4 a bool for its timeout, which it
            # refuses)
            if limiter.try_acquire(provider, timeout=0):
                return 0.0
            # what the refusal said; 1 ms when the file lock was busy (another process counting) and no put was made
            waiting = bucket.waiting(RateItem(provider, bucket.now()))
            assert isinstance(waiting, int)            # a SQLite bucket answers at once (no awaitable)
            return max(1, waiting) / 1000

    def acquire(self, provider: str, limits: list[Rate], deadline: float) -> bool:
        """Block until a slot is ours (True), or False if that would pass `deadline` (clock.monotonic)."""
        while True:
            wait = self.wait_time(provider, limits)
            if wait <= 0:
                return True
            if self.clock.monotonic() + wait > deadline:
                return False
            self.clock.sleep(wait + 0.001)
