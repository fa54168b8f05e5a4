"""Circuit breaker: rest a provider after repeated failures, or at once when it cannot recover mid-run
(a refused key) or has drifted (the same picture for different prompts). Which failures count, and which
rest a provider at once, is the retry table's say (rules.RULES); a 429 is never one of them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from .clock import SYSTEM, Clock


@dataclass
class _State:
    failures: int = 0
    open_until: float = 0.0
    probing: bool = False
    reason: str = ""


class Breaker:
    def __init__(self, failures: int, rest_s: float, clock: Clock = SYSTEM):
        self.limit = failures
        self.rest_s = rest_s
        self.clock = clock
        self._states: dict[str, _State] = {}
        self._digests: dict[str, OrderedDict[str, str]] = {}
        self._lock = threading.Lock()

    def _state(self, name: str) -> _State:
        return self._states.setdefault(name, _State())

    def allow(self, name: str) -> bool:
        """Closed: yes. Resting: no. Rest over: yes for one probe at a time (half-open)."""
        with self._lock:
            s = self._state(name)
            if s.failures < self.limit and not s.open_until:
                return True
            if self.clock.monotonic() < s.open_until or s.probing:
                return False
            s.probing = True
            return True

    def resting(self, name: str) -> str | None:
        """Why `name` is resting, or None."""
        with self._lock:
            s = self._state(name)
            return s.reason if s.open_until and self.clock.monotonic() < s.open_until else None

    def release(self, name: str) -> None:
        """The probe `allow` granted was not made (no slot, no quota): let another image probe."""
        with self._lock:
            self._state(name).probing = False

    def success(self, name: str) -> None:
        with self._lock:
            self._states[name] = _State()

    def failure(self, name: str, reason: str, *, trip: bool = False) -> None:
        with self._lock:
            s = self._state(name)
            s.failures += 1
            s.probing = False
            if trip or s.failures >= self.limit:
                s.open_until = self.clock.monotonic() + self.rest_s
                s.reason = reason

    def same_image(self, name: str, digest: str, prompt: str) -> bool:
        """Remember which prompt gave `digest`; True if another prompt already gave the same image."""
        with self._lock:
            seen = self._digests.setdefault(name, OrderedDict())
            earlier = seen.get(digest)
            seen[digest] = prompt
            if len(seen) > 256:
                seen.popitem(last=False)
            return earlier is not None and earlier != prompt
