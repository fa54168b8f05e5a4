"""Many fake WeChat accounts behind one server on 127.0.0.1: account n (its own AppID, AppSecret, materials
and drafts: a FakeWeChat) answers at `{hub.url}/a{n}/cgi-bin/…`, so 50 accounts need one port and one
thread, not 50. For benchmarks and tests of many accounts (bench/fanout.py)."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .wechat import FakeWeChat, _Server

_PREFIX = re.compile(r"^/a(\d+)(/.*)$")


class _HubServer(_Server):
    request_queue_size = 256          # every worker thread of every account connects here (the default is 5)


class FakeWeChatHub:
    """`with FakeWeChatHub(50) as hub:` → hub.fakes[n] is account n, at hub.base_url(n)."""

    def __init__(self, count: int, host: str = "127.0.0.1"):
        self.fakes = [FakeWeChat(appid=f"wx{n:016x}", secret=f"{n + 1:032x}") for n in range(count)]
        self.host = host
        self._server: _HubServer | None = None

    def start(self) -> FakeWeChatHub:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                m = _PREFIX.match(parts.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if hub._server is None or not m or int(m.group(1)) >= len(hub.fakes):
                    status, payload, ctype = 404, b"not found", "text/plain"
                else:
                    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                    status, payload, ctype = hub.fakes[int(m.group(1))].handle(
                        method, m.group(2), query, body, self.headers.get("Content-Type", ""), self.client_address[0])
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, format: str, *args: Any) -> None:   # quiet: tokens are in the query
                pass

        self._server = _HubServer((self.host, 0), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-wechat-hub", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            server, self._server = self._server, None
            server.shutdown()
            server.server_close()

    def __enter__(self) -> FakeWeChatHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server, "start() the hub first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def base_url(self, n: int) -> str:
        """What account n configures as its base_url."""
        return f"{self.url}/a{n}"
