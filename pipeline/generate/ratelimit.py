"""Per-provider request rates (per second and per minute) that hold across processes on one machine.

pyrate-limiter keeps the count: a sliding-window log per provider in ratelimit.sqlite beside the state
file (its own file, so counting never waits behind the state file's writers; nothing in it matters for
longer than its longest window), behind pyrate-limiter's file lock, so every peitu process on the machine shares
one budget. Kept here, in a few lines: waits bounded by the image's deadline (give up at once rather
than sleep past it, so the router tries the next provider) and a provider's Retry-After pausing every
thread."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

from pyrate_limiter import Limiter, Rate, RateItem, SQLiteBucket

from ..config import ProviderSettings

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

    def __init__(self, path: Path):
        self.path = path
        self._buckets: dict[str, tuple[Limiter, SQLiteBucket]] = {}
        self._paused: dict[str, float] = {}
        self._lock = threading.Lock()          # one thread at a time at the file lock (it polls every 50 ms)

    def pause(self, provider: str, seconds: float) -> None:
        """Hold every new request to `provider` for `seconds` (a 429's Retry-After)."""
        with self._lock:
            self._paused[provider] = max(self._paused.get(provider, 0.0), time.time() + seconds)

    def wait_time(self, provider: str, limits: list[Rate]) -> float:
        """Take a slot now and return 0, or return how long to wait before asking again."""
        with self._lock:
            paused = self._paused.get(provider, 0.0) - time.time()
            if paused > 0:
                return paused
            if not limits:
                return 0.0
            if provider not in self._buckets:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                bucket = SQLiteBucket.init_from_file(limits, table=f"rate_{provider}", db_path=str(self.path),
                                                     use_file_lock=True)
                self._buckets[provider] = Limiter(bucket), bucket
            limiter, bucket = self._buckets[provider]
            # timeout=0: one try, no sleep. (blocking=False hands filelock >= 4 a bool for its timeout, which it refuses.)
            if limiter.try_acquire(provider, timeout=0):
                return 0.0
            # what the refusal said; 1 ms when the file lock was busy (another process counting) and no put was made
            return max(1, bucket.waiting(RateItem(provider, bucket.now()))) / 1000

    def acquire(self, provider: str, limits: list[Rate], deadline: float) -> bool:
        """Block until a slot is ours (True), or False if that would pass `deadline` (time.monotonic)."""
        while True:
            wait = self.wait_time(provider, limits)
            if wait <= 0:
                return True
            if time.monotonic() + wait > deadline:
                return False
            time.sleep(wait + 0.001)
