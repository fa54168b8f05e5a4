"""A tiny WSGI framework for `peitu web`: routing, JSON in and out, static files, and the guards.

Guards: the Host header must name this server (a DNS-rebinding page cannot talk to it), and every POST
must carry the page's per-process token in X-Peitu-Token, send JSON, and (when the browser says where it
comes from) come from this origin — so another site open in the same browser cannot change anything.
"""

from __future__ import annotations

import hmac
import json
import logging
import mimetypes
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from ..errors import PeituError
from ..secrets import redact

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
MAX_BODY = 2_000_000
TOKEN_HEADER = "HTTP_X_PEITU_TOKEN"
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
_STATIC_NAME = re.compile(r"^[a-z0-9_-]+\.(css|js|svg|png|ico)$")


class HTTPError(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(message)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    environ: dict
    params: dict[str, str] = field(default_factory=dict)     # from the route pattern

    def header(self, name: str) -> str:
        return self.environ.get("HTTP_" + name.upper().replace("-", "_"), "")

    def json(self) -> dict[str, Any]:
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise HTTPError(400, "bad Content-Length") from None
        if length > MAX_BODY:
            raise HTTPError(413, "请求太大 (request body too large)")
        raw = self.environ["wsgi.input"].read(length) if length else b"{}"
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise HTTPError(400, "请求不是有效的 JSON (body is not JSON)") from None
        if not isinstance(data, dict):
            raise HTTPError(400, "JSON body must be an object")
        return data


@dataclass
class Response:
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False).encode("utf-8"), status=status)


def file_response(path: Path, *, cache: bool = False) -> Response:
    ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    try:
        body = path.read_bytes()
    except OSError:
        raise HTTPError(404, f"文件不见了 (file missing): {path.name}") from None
    headers = [("Cache-Control", "max-age=86400, immutable" if cache else "no-cache")]
    return Response(body, ctype, headers=headers)


Handler = Callable[[Request], Response]
STATUS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
          413: "Payload Too Large", 415: "Unsupported Media Type", 500: "Internal Server Error"}


class App:
    """Routes requests to handlers; `allowed_hosts` None accepts any Host (an explicit --host)."""

    def __init__(self, allowed_hosts: set[str] | None, token: str | None = None):
        self.allowed_hosts = allowed_hosts
        self.token = token or secrets.token_urlsafe(24)
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.on_close: list[Callable[[], None]] = []
        self.route("GET", "/", self.index)
        self.route("GET", "/static/(?P<name>[^/]+)", self.static)

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(f"^{pattern}$"), handler))

    def close(self) -> None:
        for fn in self.on_close:
            fn()

    def index(self, req: Request) -> Response:
        html = (STATIC / "index.html").read_text(encoding="utf-8").replace("__PEITU_TOKEN__", self.token)
        return Response(html.encode("utf-8"), "text/html; charset=utf-8",
                        headers=[("Cache-Control", "no-store"), ("Content-Security-Policy", CSP)])

    def static(self, req: Request) -> Response:
        name = req.params["name"]
        if not _STATIC_NAME.match(name) or not (STATIC / name).is_file():
            raise HTTPError(404, "no such file")
        return file_response(STATIC / name)

    def check(self, req: Request) -> None:
        host = req.environ.get("HTTP_HOST", "").lower()
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            raise HTTPError(403, f"Host '{host[:80]}' is not this server; open the address peitu web printed")
        if req.method == "POST":
            origin = req.header("Origin")
            if origin and origin.lower() not in (f"http://{host}", f"https://{host}"):
                raise HTTPError(403, "cross-site request refused")
            if not hmac.compare_digest(req.environ.get(TOKEN_HEADER, ""), self.token):
                raise HTTPError(403, "missing or wrong page token; reload the page")
            if not req.environ.get("CONTENT_TYPE", "").startswith("application/json"):
                raise HTTPError(415, "send JSON (Content-Type: application/json)")

    def dispatch(self, req: Request) -> Response:
        allowed = False
        for method, pattern, handler in self.routes:
            m = pattern.match(req.path)
            if not m:
                continue
            allowed = True
            if method == req.method:
                req.params = m.groupdict()
                return handler(req)
        raise HTTPError(405 if allowed else 404, "method not allowed" if allowed else "not found")

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        raw_query = environ.get("QUERY_STRING", "").encode("latin-1").decode("utf-8", "replace")
        query = {k: v[-1] for k, v in parse_qs(raw_query).items()}
        path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
        req = Request(environ["REQUEST_METHOD"].upper(), path, query, environ)
        try:
            self.check(req)
            resp = self.dispatch(req)
        except HTTPError as err:
            resp = json_response({"error": err.message}, err.status)
        except PeituError as err:
            resp = json_response({"error": redact(str(err))}, 400)
        except Exception:  # noqa: BLE001 - one broken request must not take the server down
            log.exception("peitu web: %s %s failed", req.method, req.path)
            resp = json_response({"error": "内部错误，详情见终端日志 (internal error; see the terminal)"}, 500)
        headers = [("Content-Type", resp.content_type), ("Content-Length", str(len(resp.body))),
                   ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                   ("Referrer-Policy", "no-referrer"), *resp.headers]
        start_response(f"{resp.status} {STATUS.get(resp.status, 'OK')}", headers)
        return [resp.body]
