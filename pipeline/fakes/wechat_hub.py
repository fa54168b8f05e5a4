"""Many fake WeChat accounts behind one server on 127.0.0.1: account n (its own AppID, AppSecret, materials
and drafts: a FakeWeChat) answers at `{hub.url}/a{n}/cgi-bin/…`, so 50 accounts need one port and one
thread, not 50. For benchmarks and tests of many accounts (bench/fanout.py)."""

from __future__ import annotations

import re
import threading

from .server import QuietServer
from .wechat import FakeWeChat, _Handler

_PREFIX = re.compile(r"^/a(\d+)(/.*)$")


class _HubServer(QuietServer):
    request_queue_size = 256          # every worker thread of every account connects here (the default is 5)


class FakeWeChatHub:
    """`with FakeWeChatHub(50) as hub:` → hub.fakes[n] is account n, at hub.base_url(n)."""

    def __init__(self, count: int, host: str = "127.0.0.1"):
        self.fakes = [FakeWeChat(appid=f"wx{n:016x}", secret=f"{n + 1:032x}") for n in range(count)]
        self.host = host
        self._server: _HubServer | None = None

    def start(self) -> FakeWeChatHub:
        hub = self

        class Handler(_Handler):
            def _route(self, path: str) -> tuple[FakeWeChat | None, str] | None:
                if hub._server is None:
                    return None
                m = _PREFIX.match(path)
                if not m or int(m.group(1)) >= len(hub.fakes):
                    return None, path
                return hub.fakes[int(m.group(1))], m.group(2)

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
