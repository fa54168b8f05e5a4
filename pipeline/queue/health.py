"""What `peitu doctor` reads from Redis: queue depth and the live workers' heartbeats (see heartbeat.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class QueueStatus:
    """The queue as Redis holds it now."""

    waiting: int = 0                 # jobs not yet taken
    running: int = 0                 # taken, not yet acknowledged (running, or held by a worker that died)
    delayed: int = 0                 # retries waiting for their backoff
    dead: int = 0                    # failed for good (Dramatiq's dead-letter queue, kept 7 days)
    workers: list[dict[str, Any]] = field(default_factory=list)


def workers_key(namespace: str, who: str = "*") -> str:
    return f"{namespace}:workers:{who}"


def queue_status(client: Any, namespace: str, queue: str) -> QueueStatus:
    """Depths of `queue` and the live workers' heartbeats (raises redis errors when Redis cannot be reached)."""
    base = f"{namespace}:{queue}"
    status = QueueStatus(waiting=int(client.llen(base)), delayed=int(client.hlen(f"{base}.DQ.msgs")),
                         dead=int(client.zcard(f"{base}.XQ")))
    for key in client.scan_iter(match=f"{namespace}:__acks__.*", count=500):
        name = key.decode() if isinstance(key, bytes) else key
        if name.endswith(f".{queue}"):
            status.running += int(client.scard(key))
    for key in client.scan_iter(match=workers_key(namespace), count=500):
        raw = client.get(key)
        if raw:
            status.workers.append(json.loads(raw))
    status.workers.sort(key=lambda w: (w.get("host", ""), w.get("pid", 0)))
    return status
