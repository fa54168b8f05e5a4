"""Serve an ASGI app with uvicorn on a socket bound up front (so port 0 gives a known free port): in the
foreground until Ctrl+C (the commands) or in a background thread (tests, embedding)."""

from __future__ import annotations

import signal
import socket
import threading
import time
from typing import Any

import uvicorn

from .errors import ConfigError

STARTUP_S = 20.0


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port; a ConfigError a user can act on when the port is taken."""
    # proto=IPPROTO_TCP: asyncio turns Nagle off only on sockets that say so (else each answer waits ~40 ms)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {err.strerror}",
                          hint="pick another --port (0: any free port) or stop what uses it") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class AsgiServer:
    """An ASGI app on host:port (or on `sock`, bound already). `url` is known before it starts; use
    `start()`/`close()` (or `with`) to serve in a thread, or `serve_forever()` in the foreground (returns
    after Ctrl+C or SIGTERM)."""

    def __init__(self, app: Any, host: str, port: int = 0, *, sock: socket.socket | None = None,
                 name: str = "peitu"):
        self.host = host
        self.sock = sock or bind(host, port)
        self.port = self.sock.getsockname()[1]
        self.name = name
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                                    timeout_graceful_shutdown=5, lifespan="on"))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{name}:{self.port}/"

    def serve_forever(self) -> None:
        """Serve in this (the main) thread until Ctrl+C or SIGTERM; uvicorn finishes the requests in flight,
        then hands the signal back, which ends here."""
        def stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, stop)
        try:
            self.server.run(sockets=[self.sock])
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            self.sock.close()

    def start(self) -> AsgiServer:
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, name=self.name,
                                        daemon=True)
        self._thread.start()
        tick, deadline = threading.Event(), time.monotonic() + STARTUP_S
        while not self.server.started and self._thread.is_alive() and time.monotonic() < deadline:
            tick.wait(0.01)                          # uvicorn offers no start-up event
        if not self.server.started:
            raise ConfigError(f"{self.name} did not start on {self.url}", hint="see the log above")
        return self

    def close(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(STARTUP_S)
        self.sock.close()

    def __enter__(self) -> AsgiServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
