"""Request rates (per second and per minute) per provider, and per WeChat AppID, that hold across processes.

pyrate-limiter keeps the count, as a sliding-window log per name, in one of two places:
  - `RateLimiter` (the default): ratelimit.sqlite beside the state file (its own file, so counting never
    waits behind the state file's writers; nothing in it matters for longer than its longest window), behind
    pyrate-limiter's file lock, so every peitu process on the machine shares one budget;
  - `RedisRateLimiter`, when a Redis is shared (see pipeline.redis_shared): pyrate-limiter's Redis bucket,
    so every worker on every machine shares one budget (their clocks kept in step, as NTP does).
Kept here, in a few lines: waits bounded by a deadline (give up at once rather than sleep past it, so the
router tries the next provider), a provider's Retry-After pausing every thread of every process (a row in
the file's `pauses` table, or a Redis key, in wall time), and `wechat_throttle`: WeChat API calls per AppID
(`wechat.call_limits`)."""

from __future__ import annotations

import math
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyrate_limiter import AbstractBucket, Limiter, Rate, RateItem, SingleBucketFactory, SQLiteBucket

from ..config import CallLimits, Config, ProviderSettings
from .clock import SYSTEM, Clock

SLACK_MS = 50     # a request reaches the provider a little after we count it: windows are this much longer
WECHAT_WAIT_S = 600.0   # a WeChat call waits at most this long for its AppID's rate


def rates(settings: ProviderSettings | CallLimits) -> list[Rate]:
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


class Limits(ABC):
    """Rate slots per name (a provider, `wechat_<appid>`), with pauses; see the two backends below."""

    clock: Clock

    @abstractmethod
    def pause(self, provider: str, seconds: float) -> None:
        """Hold every new request to `provider`, from any process, for `seconds` (a 429's Retry-After)."""

    @abstractmethod
    def paused(self, provider: str) -> float:
        """Seconds left of a pause on `provider` (0 when none)."""

    def wait_time(self, provider: str, limits: list[Rate]) -> float:
        """Take a slot now and return 0, or return how long to wait before asking again."""
        paused = self.paused(provider)
        if paused > 0:
            return paused
        return self._take(provider, limits) if limits else 0.0

    @abstractmethod
    def _take(self, provider: str, limits: list[Rate]) -> float:
        """wait_time for a provider that is not paused and has limits."""

    def acquire(self, provider: str, limits: list[Rate], deadline: float) -> bool:
        """Block until a slot is ours (True), or False if that would pass `deadline` (clock.monotonic)."""
        while True:
            wait = self.wait_time(provider, limits)
            if wait <= 0:
                return True
            if self.clock.monotonic() + wait > deadline:
                return False
            self.clock.sleep(wait + 0.001)


def _try(limiter: Limiter, bucket: AbstractBucket, name: str) -> float:
    """One try at a slot without sleeping: 0 when taken, else the seconds pyrate-limiter says to wait (1 ms
    when it gave no figure, as when the SQLite bucket's file lock was busy)."""
    # timeout=0: one try, no sleep (blocking=False hands filelock >= 4 a bool for its timeout, which it refuses)
    if limiter.try_acquire(name, timeout=0):
        return 0.0
    waiting = bucket.waiting(RateItem(name, bucket.now()))
    assert isinstance(waiting, int)            # a sync bucket answers at once (no awaitable)
    return max(1, waiting) / 1000


class RateLimiter(Limits):
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
        with self._lock:
            self._db().execute("INSERT INTO pauses VALUES (?, ?) ON CONFLICT (provider) DO UPDATE "
                               "SET until = MAX(until, excluded.until)", (provider, self.clock.time() + seconds))

    def paused(self, provider: str) -> float:
        with self._lock:
            row = self._db().execute("SELECT until FROM pauses WHERE provider = ?", (provider,)).fetchone()
        return max(0.0, row[0] - self.clock.time()) if row else 0.0

    def _take(self, provider: str, limits: list[Rate]) -> float:
        with self._lock:
            if provider not in self._buckets:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                bucket = SQLiteBucket.init_from_file(limits, table=f"rate_{provider}", db_path=str(self.path),
                                                     use_file_lock=True)
                self._buckets[provider] = Limiter(bucket), bucket
            return _try(*self._buckets[provider], provider)


# A pause only ever lengthens: set `until` unless a later one is there (KEYS[1]; ARGV: until, ttl ms)
_PAUSE = """
local current = redis.call('GET', KEYS[1])
if not current or tonumber(current) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1
"""


class RedisRateLimiter(Limits):
    """Rate slots per name in Redis (pyrate-limiter's Redis bucket), shared by every process on every machine
    that uses the same Redis; pauses are keys that expire with them. Entries older than the longest window
    are dropped here every LEAK_EVERY slots (pyrate-limiter's own leaker thread dies with the first Redis
    error, so it is not started)."""

    LEAK_EVERY = 50

    def __init__(self, client: Any, clock: Clock = SYSTEM, prefix: str = "peitu"):
        self.redis, self.clock, self.prefix = client, clock, prefix
        self._buckets: dict[str, tuple[Limiter, AbstractBucket]] = {}
        self._taken: dict[str, int] = {}
        self._pause_script = client.register_script(_PAUSE)
        self._lock = threading.Lock()

    def pause(self, provider: str, seconds: float) -> None:
        self._pause_script(keys=[f"{self.prefix}:pause:{provider}"],
                           args=[repr(self.clock.time() + seconds), max(1, math.ceil(seconds * 1000))])

    def paused(self, provider: str) -> float:
        until = self.redis.get(f"{self.prefix}:pause:{provider}")
        return max(0.0, float(until) - self.clock.time()) if until else 0.0

    def _take(self, provider: str, limits: list[Rate]) -> float:
        from pyrate_limiter import RedisBucket

        with self._lock:
            if provider not in self._buckets:
                bucket = RedisBucket.init(limits, self.redis, f"{self.prefix}:rate:{provider}")
                assert isinstance(bucket, RedisBucket)        # a sync client gives a bucket at once
                self._buckets[provider] = Limiter(SingleBucketFactory(bucket, schedule_leak=False)), bucket
                self._taken[provider] = 0
            limiter, bucket = self._buckets[provider]
            wait = _try(limiter, bucket, provider)
            if not wait:
                self._taken[provider] += 1
                if self._taken[provider] % self.LEAK_EVERY == 0:
                    bucket.leak(bucket.now())
            return wait


_shared: dict[str, Limits] = {}
_shared_lock = threading.Lock()


def rate_limiter(cfg: Config, path: Path, clock: Clock = SYSTEM) -> Limits:
    """Redis when one is shared (every worker on every machine), else the file at `path` (this machine)."""
    from ..redis_shared import shared_redis

    client = shared_redis(cfg)
    return RateLimiter(path, clock) if client is None else RedisRateLimiter(client, clock)


def wechat_throttle(cfg: Config, appid: str) -> Callable[[], None]:
    """What a WeChat client calls before each API call: wait for a slot of its AppID's rate
    (`wechat.call_limits`), shared like the providers' rates. One limiter per place per process."""
    from ..redis_shared import shared_redis

    limits = rates(cfg.wechat.call_limits)
    client = shared_redis(cfg)
    where = str(cfg.path(cfg.paths.state).parent / "ratelimit.sqlite") if client is None else f"redis:{id(client)}"
    with _shared_lock:
        limiter = _shared.get(where)
        if limiter is None:
            limiter = _shared[where] = (RateLimiter(Path(where)) if client is None
                                             else RedisRateLimiter(client))
    name = f"wechat_{appid}"

    def throttle() -> None:
        if limits:
            limiter.acquire(name, limits, limiter.clock.monotonic() + WECHAT_WAIT_S)

    return throttle
