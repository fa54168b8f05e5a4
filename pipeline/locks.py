"""One run per WeChat account at a time, wherever it starts.

`account_lock(cfg, store, scope, what)` holds three locks keyed by the account (base URL + AppID), so no two
runs ever work on one account at once:
  - on this machine, a file lock in a per-user folder outside the state folder ($XDG_RUNTIME_DIR/peitu, or
    the temp folder): two state files on one machine share it; the OS frees it when the process dies;
  - in the state store (`locks`, with expiry): every process sharing the state file sees it;
  - in Redis when one is shared (`wechat.redis_url_env`, else `broker.url_env`; SET NX PX, renewed,
    released by compare-and-delete): every machine sharing the Redis sees it.
A killed holder frees the store and Redis locks when they expire, at once when it was on this machine.

`draft_lock(cfg, store, scope, media_id)` is the lock of one draft, held by whichever worker or walk is
illustrating it (in the state store every worker shares, expiring `broker.lease_s` after its holder's last
renewal), so two workers never work on one draft at once.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from .config import Config
from .errors import PeituError
from .store import Lease, LockHeld, Store, describe_holder, holder_gone

TTL_S = 60.0                      # a lock's expiry; renewed every TTL_S / 3 while held


def runtime_dir() -> Path:
    """This user's private folder for machine-wide locks (0700, checked: the temp folder is shared)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(base) / "peitu" if base and Path(base).is_dir() else \
        Path(tempfile.gettempdir()) / f"peitu-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    st = folder.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise PeituError("the lock folder is not a private folder of this user", where=str(folder),
                         hint="remove it (another user may have made it), or set XDG_RUNTIME_DIR")
    return folder


@contextmanager
def machine_lock(name: str) -> Iterator[Path]:
    """A file lock for `name` shared by every process of this user on this machine (LockHeld if taken)."""
    path = runtime_dir() / f"{hashlib.sha256(name.encode()).hexdigest()[:24]}.lock"
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise LockHeld("held by another process on this machine", where=str(path)) from None
    try:
        yield path
    finally:
        lock.release()


class RedisLease(Lease):
    """A lease in Redis through redis-py's Lock (SET NX PX; renew and release compare the owner)."""

    def __init__(self, client: Any, name: str, ttl_s: float, what: str = "Redis"):
        super().__init__(name, ttl_s)
        self.redis, self.key, self.what = client, f"peitu:lock:{name}", what
        self._lock = client.lock(self.key, timeout=ttl_s, blocking=False, thread_local=False)

    def acquire(self) -> None:
        from redis.exceptions import LockError, RedisError

        try:
            if self._lock.acquire(token=self.owner):
                return
            holder = self.redis.get(self.key)
            holder = holder.decode() if isinstance(holder, bytes) else holder
            if holder and holder_gone(holder):
                with suppress(LockError):
                    self._lock.do_release(holder)       # compare-and-delete: only that dead holder's lock
                if self._lock.acquire(token=self.owner):
                    return
            left = self.redis.pttl(self.key)
        except RedisError as err:
            raise PeituError(f"cannot reach Redis for the lock '{self.name}' ({type(err).__name__})",
                             where=self.what, hint="check that Redis runs and the URL in that variable") from None
        until = time.time() + max(left, 0) / 1000
        raise LockHeld(f"held by {describe_holder(holder or '?', until)}", where=f"Redis ({self.what})")

    def renew(self) -> bool:
        from redis.exceptions import LockNotOwnedError

        try:
            self._lock.reacquire()
            return True
        except LockNotOwnedError:
            return False

    def release(self) -> None:
        from redis.exceptions import LockError

        with suppress(LockError):                      # expired meanwhile: nothing of ours to delete
            self._lock.release()


class AccountLock:
    """The leases held for one account; `check()` raises when one was lost."""

    def __init__(self, leases: list[Lease]):
        self.leases = leases

    def check(self) -> None:
        for lease in self.leases:
            lease.check()


@contextmanager
def account_lock(cfg: Config, store: Store, scope: str, what: str) -> Iterator[AccountLock]:
    """Hold the account's locks on this machine, in the store and in Redis (when configured), or raise a
    PeituError saying that `what` is already in progress."""
    from .redis_shared import redis_source, shared_redis

    name = f"account:{scope}"
    with ExitStack() as stack:
        try:
            stack.enter_context(machine_lock(name))
            leases: list[Lease] = [stack.enter_context(store.lock(name, TTL_S))]
            client = shared_redis(cfg)
            if client is not None:
                env = (redis_source(cfg) or ("Redis", ""))[0]
                leases.append(stack.enter_context(RedisLease(client, name, TTL_S, env)))
        except LockHeld as err:
            raise PeituError(f"another {what} is in progress ({err.message})", where=err.where,
                             hint="wait for it to finish; a run that was killed frees the lock within "
                                  f"{TTL_S:.0f} s") from None
        yield AccountLock(leases)


def draft_lock(cfg: Config, store: Store, scope: str, media_id: str) -> Lease:
    """The lock of one draft of one account (enter it; LockHeld when another worker or run holds it)."""
    return store.lock(f"draft:{scope}:{media_id}", cfg.broker.lease_s)
