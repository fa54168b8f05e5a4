"""Time as the router sees it: one object for monotonic time, wall time and waiting, so tests drive
time instead of sleeping (breaker rests, quota days, backoff, Retry-After, polling, limiter waits)."""

from __future__ import annotations

import threading
import time


class Clock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        """Wall time (seconds since the epoch): quota days, pauses shared with other processes."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def wait(self, cond: threading.Condition, seconds: float) -> None:
        """Wait on `cond` (held by the caller) until notified or `seconds` pass."""
        cond.wait(max(0.0, seconds))


class ManualClock(Clock):
    """A clock that moves only when told to, or by the time a wait or sleep asks for (returning at once).
    `slept` lists every sleep, so a test can see the waits the router chose."""

    def __init__(self, start: float = 1_800_000_000.0):
        self._mono = 1000.0
        self._wall = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def time(self) -> float:
        with self._lock:
            return self._wall

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._mono += seconds
            self._wall += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(max(0.0, seconds))

    def wait(self, cond: threading.Condition, seconds: float) -> None:
        self.advance(max(0.0, seconds))


SYSTEM = Clock()
