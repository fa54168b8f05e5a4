"""Serve the editors' page: a threaded WSGI server bound to 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Sequence
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from ..config import Config
from ..library import Library
from ..netutil import is_loopback
from .app import App
from .editor_views import EditorViews
from .library_views import LibraryViews

log = logging.getLogger(__name__)
DEFAULT_HOST = "127.0.0.1"


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        log.debug("%s - %s", self.address_string(), format % args)


def build_app(cfg: Config, host: str, port: int, *, article_dirs: Sequence[Path] = (),
              token: str | None = None) -> App:
    """The page and its API. On a loopback address only Host headers naming it are served."""
    allowed = None
    if is_loopback(host):
        allowed = {f"{h}:{port}" for h in ("127.0.0.1", "localhost", "[::1]")}
    app = App(allowed, token)
    Library.open(cfg).close()                      # create the tables before the first request
    LibraryViews(cfg).register(app)
    editor = EditorViews(cfg, article_dirs)
    editor.register(app)
    app.on_close.append(editor.close)
    return app


class WebServer:
    """A running server; `port=0` picks a free port. Use as a context manager or call close()."""

    def __init__(self, cfg: Config, host: str = DEFAULT_HOST, port: int = 0, *,
                 article_dirs: Sequence[Path] = (), token: str | None = None):
        server_class = _Server6 if ":" in host else _Server
        self.httpd = make_server(host, port, lambda e, s: self.app(e, s), server_class, _Quiet)
        self.host = host
        self.port = self.httpd.server_address[1]
        self.app = build_app(cfg, host, self.port, article_dirs=article_dirs, token=token)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{name}:{self.port}/"

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> WebServer:
        """Serve in a background thread (tests, embedding)."""
        self._thread = threading.Thread(target=self.serve_forever, name="peitu-web", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread:
            self.httpd.shutdown()
            self._thread.join(5)
        self.httpd.server_close()
        self.app.close()

    def __enter__(self) -> WebServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
