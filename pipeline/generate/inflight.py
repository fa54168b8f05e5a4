"""Requests in flight per provider, limited across every peitu process that shares a state folder.

A provider's `max_in_flight` slots are files (`<state folder>/inflight/<provider>.<n>.lock`); holding a
slot is holding an exclusive `flock` on its file. The kernel frees the lock when the holder closes it or
dies (even by kill -9), so a crashed run never leaks a slot. flock locks belong to an open file, so
threads of one process exclude each other as processes do. When every slot is taken, a waiter polls
briefly (and wakes at once when a thread of this process frees one), never past its deadline."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .clock import SYSTEM, Clock

POLL_S = 0.02           # how often a waiter looks for a slot another process freed


class InFlight:
    def __init__(self, folder: Path, provider: str, limit: int, clock: Clock = SYSTEM):
        self.limit = limit
        self.paths = [folder / f"{provider}.{n}.lock" for n in range(limit)]
        self.clock = clock
        self._freed = threading.Condition()

    def _try(self) -> int | None:
        """An open descriptor holding a free slot, or None when all are taken."""
        self.paths[0].parent.mkdir(parents=True, exist_ok=True)
        for path in self.paths:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return None

    @contextmanager
    def slot(self, deadline: float) -> Iterator[bool]:
        """Hold a slot for the block (True), or run it without one (False) if none freed before `deadline`."""
        fd = self._try()
        while fd is None and self.clock.monotonic() < deadline:
            with self._freed:
                self.clock.wait(self._freed, min(POLL_S, deadline - self.clock.monotonic()))
            fd = self._try()
        try:
            yield fd is not None
        finally:
            if fd is not None:
                os.close(fd)                     # closing the file releases its lock
                with self._freed:
                    self._freed.notify()
