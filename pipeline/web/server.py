"""`peitu serve`: the API and the editors' page on one uvicorn server, 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path

from ..asgi import AsgiServer, bind
from ..config import Config
from .app import create_app

DEFAULT_HOST = "127.0.0.1"


class WebServer(AsgiServer):
    """A server for `cfg` on host:port (0: a free port). `page_token` guards the page's changes (made per
    process unless given); `api_token` guards /api/v1 (made unless given)."""

    def __init__(self, cfg: Config, host: str = DEFAULT_HOST, port: int = 0, *, article_dirs: Sequence[Path] = (),
                 page_token: str | None = None, api_token: str | None = None, allow_upload: bool | None = None,
                 page: bool = True):
        sock = bind(host, port)
        self.page_token = page_token or secrets.token_urlsafe(24)
        self.api_token = api_token or secrets.token_urlsafe(32)
        app = create_app(cfg, host, sock.getsockname()[1], article_dirs=article_dirs, page_token=self.page_token,
                         api_token=self.api_token, allow_upload=allow_upload, page=page)
        super().__init__(app, host, sock=sock, name="peitu-serve")
