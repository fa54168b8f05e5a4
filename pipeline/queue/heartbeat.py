"""Worker heartbeats in Redis: each worker process writes `<namespace>:workers:<host>/<pid>` (JSON: host, pid,
threads, started, jobs done and failed) every BEAT_S seconds, expiring after 3 beats, so a killed worker drops
out of `peitu doctor`'s list by itself."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from typing import Any

from dramatiq.middleware import Middleware

from .health import workers_key

log = logging.getLogger(__name__)

BEAT_S = 5.0


class Heartbeats(Middleware):
    """Writes this worker process's heartbeat while it runs; counts the jobs it finished."""

    def __init__(self, namespace: str, beat_s: float = BEAT_S):
        self.namespace, self.beat_s = namespace, beat_s
        self.who = f"{socket.gethostname()}/{os.getpid()}"
        self.info: dict[str, Any] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def after_worker_boot(self, broker: Any, worker: Any) -> None:
        self.who = f"{socket.gethostname()}/{os.getpid()}"      # the forked process, not the parent
        self.info = {"host": socket.gethostname(), "pid": os.getpid(), "threads": worker.worker_threads,
                     "started": time.time(), "done": 0, "failed": 0}
        threading.Thread(target=self._beat, args=(broker.client,), name="peitu-heartbeat", daemon=True).start()

    def after_process_message(self, broker: Any, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:
        with self._lock:
            self.info["failed" if exception else "done"] = self.info.get("failed" if exception else "done", 0) + 1

    def before_worker_shutdown(self, broker: Any, worker: Any) -> None:
        self._stop.set()
        try:
            broker.client.delete(workers_key(self.namespace, self.who))
        except Exception as err:  # shutting down anyway: the key expires by itself
            log.debug("could not remove the heartbeat: %s", err)

    def _beat(self, client: Any) -> None:
        while True:
            with self._lock:
                info = dict(self.info, beat=time.time())
            try:
                client.set(workers_key(self.namespace, self.who), json.dumps(info), px=int(3 * self.beat_s * 1000))
            except Exception as err:  # Redis away for a moment: the next beat tries again
                log.warning("worker heartbeat not written: %s", err)
            if self._stop.wait(self.beat_s):
                return
