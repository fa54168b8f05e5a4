"""Requests in flight per provider, limited across every peitu process that shares a state folder, or, when a
Redis is shared (pipeline.redis_shared), across every worker on every machine (`RedisInFlight`).

A provider's `max_in_flight` slots are files (`<state folder>/inflight/<provider>.<n>.lock`); holding a
slot is holding an exclusive `flock` on its file. The kernel frees the lock when the holder closes it or
dies (even by kill -9), so a crashed run never leaks a slot. flock locks belong to an open file, so
threads of one process exclude each other as processes do. When every slot is taken, a waiter polls
briefly (and wakes at once when a thread of this process frees one), never past its deadline."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..config import Config
from ..store import lock_owner
from .clock import SYSTEM, Clock

log = logging.getLogger(__name__)

POLL_S = 0.02           # how often a waiter looks for a slot another process freed
REDIS_POLL_S = 0.05     # the same through Redis (every waiting thread of every worker asks)


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


# Take a slot if one is free: expired holders (dead workers) are dropped first. KEYS[1] the slots (a sorted set
# of holders by expiry, in Redis's own clock); ARGV: limit, holder, ttl ms.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
"""
# Push the expiry of the holders still there (a slot that already expired is not taken back). ARGV: ttl ms, holders…
_RENEW = """
local t = redis.call('TIME')
local expiry = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local kept = 0
for i = 2, #ARGV do
  kept = kept + redis.call('ZADD', KEYS[1], 'XX', 'CH', expiry, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return kept
"""


class RedisInFlight:
    """A provider's `max_in_flight` slots in Redis: a semaphore with expiry that every worker on every machine
    shares. A holder's slots are renewed every ttl/3 by one thread per process; a worker that dies stops
    renewing, and its slots free themselves within `ttl_s`."""

    def __init__(self, client: Any, provider: str, limit: int, ttl_s: float, clock: Clock = SYSTEM,
                 prefix: str = "peitu"):
        self.redis, self.limit, self.ttl_ms, self.clock = client, limit, max(1000, int(ttl_s * 1000)), clock
        self.key = f"{prefix}:inflight:{provider}"
        self._take, self._renew = client.register_script(_TAKE), client.register_script(_RENEW)
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._freed = threading.Condition()
        self._renewer: threading.Thread | None = None

    def _try(self) -> str | None:
        holder = lock_owner()
        if self._take(keys=[self.key], args=[self.limit, holder, self.ttl_ms]):
            with self._lock:
                self._held.add(holder)
                if self._renewer is None or not self._renewer.is_alive():
                    self._renewer = threading.Thread(target=self._renew_loop, name=f"slots {self.key}", daemon=True)
                    self._renewer.start()
            return holder
        return None

    def _renew_loop(self) -> None:
        while True:
            time.sleep(self.ttl_ms / 3000)
            with self._lock:
                held = sorted(self._held)
                if not held:
                    self._renewer = None
                    return
            try:
                self._renew(keys=[self.key], args=[self.ttl_ms, *held])
            except Exception as err:  # Redis away for a moment: the next round tries again; else they expire
                log.warning("could not renew in-flight slots of %s: %s", self.key, err)

    @contextmanager
    def slot(self, deadline: float) -> Iterator[bool]:
        """Hold a slot for the block (True), or run it without one (False) if none freed before `deadline`."""
        holder = self._try()
        while holder is None and self.clock.monotonic() < deadline:
            with self._freed:
                self.clock.wait(self._freed, min(REDIS_POLL_S, deadline - self.clock.monotonic()))
            holder = self._try()
        try:
            yield holder is not None
        finally:
            if holder is not None:
                with self._lock:
                    self._held.discard(holder)
                self.redis.zrem(self.key, holder)
                with self._freed:
                    self._freed.notify()


def in_flight(cfg: Config, folder: Path, provider: str, limit: int, clock: Clock = SYSTEM) -> InFlight | RedisInFlight:
    """Redis slots when a Redis is shared (every worker on every machine; expiring broker.lease_s after a
    dead worker's last renewal), else slot files under `folder` (this machine; freed by the kernel)."""
    from ..redis_shared import shared_redis

    client = shared_redis(cfg)
    if client is None:
        return InFlight(folder, provider, limit, clock)
    return RedisInFlight(client, provider, limit, cfg.broker.lease_s, clock)
