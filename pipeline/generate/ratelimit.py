"""Per-provider request rates (per second and per minute) that hold across processes on one machine.

A sliding-window log in the state file: a request may start when fewer than N requests started in
the last window. Written here rather than with pyrate-limiter so the log lives in the one state file,
waits respect the image's deadline, and a provider's Retry-After pauses every thread."""

from __future__ import annotations

import threading
import time

from ..config import ProviderSettings
from .store import Store

SLACK_S = 0.05        # a request reaches the provider a little after we count it: keep windows apart by this


def windows(settings: ProviderSettings) -> list[tuple[int, float]]:
    """(requests, seconds) pairs; a rate below one per window becomes one per longer window."""
    out = []
    for rate, period in ((settings.rate_per_second, 1.0), (settings.rate_per_minute, 60.0)):
        if rate:
            out.append((int(rate), period) if rate >= 1 else (1, period / rate))
    return out


class RateLimiter:
    def __init__(self, store: Store):
        self.store = store
        self._paused: dict[str, float] = {}
        self._lock = threading.Lock()

    def pause(self, provider: str, seconds: float) -> None:
        """Hold every new request to `provider` for `seconds` (a 429's Retry-After)."""
        with self._lock:
            self._paused[provider] = max(self._paused.get(provider, 0.0), time.time() + seconds)

    def wait_time(self, provider: str, limits: list[tuple[int, float]]) -> float:
        """Take a slot now and return 0, or return how long to wait before asking again."""
        with self._lock:
            paused = self._paused.get(provider, 0.0) - time.time()
        if paused > 0:
            return paused
        if not limits:
            return 0.0
        longest = max(p for _, p in limits)
        with self.store.tx() as db:
            now = time.time()
            db.execute("DELETE FROM provider_calls WHERE provider = ? AND at < ?",
                       (provider, now - longest - SLACK_S))
            wait = 0.0
            for n, period in limits:
                row = db.execute("SELECT at FROM provider_calls WHERE provider = ? AND at > ? ORDER BY at DESC "
                                 "LIMIT 1 OFFSET ?", (provider, now - period - SLACK_S, n - 1)).fetchone()
                if row:
                    wait = max(wait, row["at"] + period + SLACK_S - now)
            if wait <= 0:
                db.execute("INSERT INTO provider_calls (provider, at) VALUES (?, ?)", (provider, now))
        return max(wait, 0.0)

    def acquire(self, provider: str, limits: list[tuple[int, float]], deadline: float) -> bool:
        """Block until a slot is ours (True), or False if that would pass `deadline` (time.monotonic)."""
        while True:
            wait = self.wait_time(provider, limits)
            if wait <= 0:
                return True
            if time.monotonic() + wait > deadline:
                return False
            time.sleep(wait + 0.001)
