"""The ASGI app of `peitu serve`: the HTTP API (/api/v1, schema at /openapi.json) and the editors' page
(/, /static, /api/…, /thumb, /image) on one FastAPI app, behind one guard.

FastAPI (on Starlette, served by uvicorn) because the API's schema comes from the same pydantic models
the MCP tools return, so the OpenAPI document, the validation and the results cannot disagree.

The guard: the Host header must name this server when it listens on loopback (a DNS-rebinding page
cannot talk to it); a request that changes something must come from this origin when the browser says
where it comes from, and say how long it is (at most MAX_BODY). /api/v1 needs `Authorization: Bearer
<token>`; the page's own POSTs carry its per-process token in X-Peitu-Token and send JSON, so another site
open in the same browser cannot change anything.
"""

from __future__ import annotations

import hmac
import json
import logging
import mimetypes
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Config
from ..errors import PeituError
from ..netutil import is_loopback
from ..secrets import redact

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
MAX_BODY = 2_000_000
API_PREFIX = "/api/v1"
TOKEN_HEADER = "x-peitu-token"
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
SAFE = ("GET", "HEAD", "OPTIONS")
_STATIC_NAME = re.compile(r"^[a-z0-9_-]+\.(css|js|svg|png|ico)$")
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer")]


class HTTPError(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(message)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status, headers=headers)


def allowed_hosts(host: str, port: int) -> set[str] | None:
    """The Host headers served on a loopback address; None (any) for an address given with --host."""
    if not is_loopback(host):
        return None
    return {f"{h}:{port}" for h in ("127.0.0.1", "localhost", "[::1]")}


def file_response(path: Path, *, cache: bool = False) -> Response:
    try:
        body = path.read_bytes()
    except OSError:
        raise HTTPError(404, f"文件不见了 (file missing): {path.name}") from None
    return Response(body, media_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
                    headers={"Cache-Control": "max-age=86400, immutable" if cache else "no-cache"})


async def json_body(request: Request) -> dict[str, Any]:
    """The page's JSON request body: an object, at most MAX_BODY bytes."""
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise HTTPError(413, "请求太大 (request body too large)")
    try:
        data = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HTTPError(400, "请求不是有效的 JSON (body is not JSON)") from None
    if not isinstance(data, dict):
        raise HTTPError(400, "JSON body must be an object")
    return data


JsonBody = Annotated[dict[str, Any], Depends(json_body)]


def _same(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


class Guard:
    """ASGI middleware: Host, Origin, length and token checks before the app; security headers after."""

    def __init__(self, app: ASGIApp, *, hosts: set[str] | None, page_token: str, api_token: str):
        self.app, self.hosts, self.page_token, self.api_token = app, hosts, page_token, api_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = self.refusal(scope)
        if refused is not None:
            await refused(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).raw.extend(SECURITY_HEADERS)
            await send(message)

        await self.app(scope, receive, with_headers)

    def refusal(self, scope: Scope) -> Response | None:
        headers = Headers(scope=scope)
        host, path, unsafe = headers.get("host", "").lower(), scope["path"], scope["method"] not in SAFE
        if self.hosts is not None and host not in self.hosts:
            return error(403, f"Host '{host[:80]}' is not this server; open the address peitu serve printed")
        if unsafe:
            origin = headers.get("origin", "").lower()
            if origin and origin not in (f"http://{host}", f"https://{host}"):
                return error(403, "cross-site request refused")
            length = headers.get("content-length", "")
            if not length and "transfer-encoding" in headers:
                return error(411, "send a Content-Length")
            if length and (not length.isdigit() or int(length) > MAX_BODY):
                return error(413, "请求太大 (request body too large)")
        scheme, _, bearer = headers.get("authorization", "").partition(" ")
        api_ok = scheme.lower() == "bearer" and _same(bearer.strip(), self.api_token)
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            if not api_ok:
                return error(401, "missing or wrong API token: send Authorization: Bearer <token> "
                                  "(the token peitu serve printed, or the value of serve.token_env)",
                             {"WWW-Authenticate": "Bearer"})
        elif unsafe:
            if not (api_ok or _same(headers.get(TOKEN_HEADER, ""), self.page_token)):
                return error(403, "missing or wrong page token; reload the page")
            if not headers.get("content-type", "").startswith("application/json"):
                return error(415, "send JSON (Content-Type: application/json)")
        return None


def create_app(cfg: Config, host: str, port: int, *, article_dirs: Sequence[Path] = (), page_token: str,
               api_token: str, allow_upload: bool | None = None, page: bool = True) -> FastAPI:
    """The API, and (with `page`) the editors' page, for `cfg` on host:port."""
    from ..library import Library
    from ..tools import Tools
    from .api import api_router
    from .editor_views import EditorViews
    from .library_views import LibraryViews

    tools = Tools(cfg, article_dirs, allow_upload=cfg.serve.allow_upload if allow_upload is None else allow_upload)
    Library.open(cfg).close()                      # create the tables before the first request
    editor = EditorViews(cfg, tools)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        editor.close()
        tools.close()

    app = FastAPI(title="peitu", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="配图: plan, illustrate and check WeChat articles, search the image library. "
                              "Send Authorization: Bearer <token>.")
    app.include_router(api_router(tools))
    if page:
        app.include_router(LibraryViews(cfg).router())
        app.include_router(editor.router())
        app.add_api_route("/", index(page_token), include_in_schema=False)
        app.add_api_route("/static/{name}", static, include_in_schema=False)

    @app.exception_handler(HTTPError)
    async def _http_error(request: Request, exc: HTTPError) -> Response:
        return error(exc.status, exc.message)

    @app.exception_handler(PeituError)
    async def _peitu_error(request: Request, exc: PeituError) -> Response:
        return error(400, redact(str(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def _routing(request: Request, exc: StarletteHTTPException) -> Response:
        said = {404: "not found", 405: "method not allowed"}.get(exc.status_code, str(exc.detail))
        return error(exc.status_code, said)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        log.error("peitu serve: %s %s failed: %s", request.method, request.url.path, redact(repr(exc)))
        return error(500, "内部错误，详情见终端日志 (internal error; see the terminal)")

    app.add_middleware(Guard, hosts=allowed_hosts(host, port), page_token=page_token, api_token=api_token)
    return app


def index(page_token: str) -> Callable[[], Response]:
    def page() -> Response:
        html = (STATIC / "index.html").read_text(encoding="utf-8").replace("__PEITU_TOKEN__", page_token)
        return Response(html, media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-store", "Content-Security-Policy": CSP})
    return page


def static(name: str) -> Response:
    if not _STATIC_NAME.match(name) or not (STATIC / name).is_file():
        raise HTTPError(404, "no such file")
    return file_response(STATIC / name)
