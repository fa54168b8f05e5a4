"""`peitu relay`: forward signed WeChat API calls from peitu clients, from a host whose IP is whitelisted.

The relay holds the AppID, AppSecret and access token (it fetches and refreshes the token itself; a
client never sees one). It forwards only the calls peitu makes (ALLOWED), and only requests signed with a
client's key (see signing.py): fresh (within `window_s` of the relay's clock, either way), never seen
before (nonce cache), within the client's rate, and with a body under `max_body_bytes`. Every refusal is
an HTTP 4xx with {"error": "..."} saying why. Log lines name the client, the call and the outcome, never
a token, secret, key or signature.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import PeituError, WeChatError
from ..publish.wechat.client import PeituClient
from ..publish.wechat.errors import TOKEN_INVALID
from ..secrets import redact
from . import signing

log = logging.getLogger(__name__)

# (method, API under /cgi-bin/): what peitu calls, nothing else
ALLOWED = frozenset({
    ("POST", "material/add_material"), ("POST", "material/batchget_material"), ("POST", "material/get_material"),
    ("POST", "material/del_material"), ("GET", "material/get_materialcount"), ("POST", "media/uploadimg"),
    ("POST", "draft/add"), ("POST", "draft/get"), ("POST", "draft/update"), ("POST", "draft/batchget"),
    ("GET", "draft/count"), ("POST", "draft/delete"),
})
MAX_NONCES = 200_000
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class Refused(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        self.status, self.message, self.headers = status, message, headers or {}
        super().__init__(message)


@dataclass
class Bucket:
    tokens: float
    at: float


@dataclass
class Guard:
    """Freshness, replay and rate checks, on the relay's clock (injectable for tests)."""

    window_s: float
    rate_per_minute: float
    burst: int
    clock: Callable[[], float] = time.time
    nonces: dict[tuple[str, str], float] = field(default_factory=dict)     # (client, nonce) → forget after
    buckets: dict[str, Bucket] = field(default_factory=dict)

    def fresh(self, timestamp: str) -> None:
        if not timestamp.isdigit():
            raise Refused(401, f"{signing.TIMESTAMP} must be Unix seconds")
        skew = int(timestamp) - self.clock()
        if skew < -self.window_s:
            raise Refused(401, f"stale request: signed {-skew:.0f} s ago, the relay accepts {self.window_s:.0f} s; "
                               "check the client's clock")
        if skew > self.window_s:
            raise Refused(401, f"request dated {skew:.0f} s in the future; check the client's and the relay's clocks")

    def once(self, client: str, nonce: str) -> None:
        now = self.clock()
        if (client, nonce) in self.nonces:
            raise Refused(401, "replayed request: this nonce was used already")
        if len(self.nonces) >= MAX_NONCES:
            self.nonces = {k: until for k, until in self.nonces.items() if until > now}
            if len(self.nonces) >= MAX_NONCES:
                raise Refused(503, "the relay is busy; try again in a minute", {"Retry-After": "60"})
        self.nonces[(client, nonce)] = now + 2 * self.window_s

    def take(self, client: str) -> None:
        now, rate = self.clock(), self.rate_per_minute / 60
        b = self.buckets.setdefault(client, Bucket(self.burst, now))
        b.tokens, b.at = min(self.burst, b.tokens + (now - b.at) * rate), now
        if b.tokens < 1:
            wait = math.ceil((1 - b.tokens) / rate)
            raise Refused(429, f"too many requests from client '{client}' (limit {self.rate_per_minute:g}/min); "
                               f"retry in {wait} s", {"Retry-After": str(wait)})
        b.tokens -= 1


class Relay:
    """The relay for one WeChat account; `app` is its ASGI app."""

    def __init__(self, wechat: PeituClient, keys: dict[str, str], *, window_s: float = 300,
                 rate_per_minute: float = 120, burst: int = 30, max_body_bytes: int = 11_000_000,
                 clock: Callable[[], float] = time.time):
        self.wechat = wechat                       # fetches and refreshes the token; its base_url is WeChat's
        self.keys = keys                           # client name → key
        self.max_body = max_body_bytes
        self.guard = Guard(window_s, rate_per_minute, burst, clock)
        self.http = requests.Session()
        self.app = Starlette(routes=[Route("/cgi-bin/{api:path}", self.endpoint, methods=["GET", "POST"])])
        self.app.add_exception_handler(404, _not_found)
        self.app.add_exception_handler(405, _not_found)

    async def endpoint(self, request: Request) -> Response:
        api = request.path_params["api"]
        client = request.headers.get(signing.CLIENT, "")[:64]
        started = time.perf_counter()
        try:
            body = await self._body(request)
            self._verify(request, body, client)
            if (request.method, api) not in ALLOWED:
                raise Refused(403, f"not relayed: {request.method} /cgi-bin/{api[:80]} is not a call peitu makes")
            self.guard.take(client)
        except Refused as err:
            log.warning("relay refused %s /cgi-bin/%s (client %r, %s): %s", request.method, api[:80], client,
                        request.client.host if request.client else "?", err.message)
            return JSONResponse({"error": err.message}, err.status, headers=err.headers)
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "access_token"]
        status, payload, ctype, errcode = await run_in_threadpool(
            self.forward, request.method, api, query, body, request.headers.get("content-type", ""))
        log.info("relay %s %s /cgi-bin/%s → %s%s (%d B in, %d B out, %.0f ms)", client, request.method, api,
                 status, f" errcode {errcode}" if errcode else "", len(body), len(payload),
                 (time.perf_counter() - started) * 1000)
        return Response(payload, status, media_type=ctype)

    async def _body(self, request: Request) -> bytes:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            raise Refused(413, f"body of {int(length):,} bytes is over the relay's limit of {self.max_body:,}")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                raise Refused(413, f"body is over the relay's limit of {self.max_body:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _verify(self, request: Request, body: bytes, client: str) -> None:
        h = request.headers
        missing = [n for n in (signing.CLIENT, signing.TIMESTAMP, signing.NONCE, signing.SIGNATURE) if not h.get(n)]
        if missing:
            raise Refused(401, f"unsigned request (no {', '.join(missing)}); peitu signs requests when "
                               "wechat.accounts.*.relay_url is set")
        key = self.keys.get(client)
        if key is None:
            raise Refused(401, f"unknown client '{client}'; add it under relay.clients on the relay")
        timestamp, nonce = h[signing.TIMESTAMP], h[signing.NONCE]
        self.guard.fresh(timestamp)
        if not _NONCE.match(nonce):
            raise Refused(401, f"{signing.NONCE} must be 16-64 letters, digits, - or _")
        raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
        target = signing.canonical_target(raw_path, request.url.query)
        if not signing.matches(key, h[signing.SIGNATURE], request.method, target, body, timestamp, nonce, client):
            raise Refused(401, f"bad signature from client '{client}': its key differs from the relay's "
                               "(relay.clients on the relay, relay_key_env on the client), or the request was altered")
        self.guard.once(client, nonce)

    def forward(self, method: str, api: str, query: list[tuple[str, str]], body: bytes,
                ctype: str) -> tuple[int, bytes, str, int | None]:
        """Send the call to WeChat with the relay's token (a rejected token is refreshed and the call
        sent once more) → (status, body, content type, errcode)."""
        def send() -> tuple[requests.Response, str]:
            token = self.wechat.access_token
            return self.http.request(method, self.wechat.API_BASE_URL + api, data=body, allow_redirects=False,
                                     params=[*query, ("access_token", token)], timeout=self.wechat.timeout,
                                     headers={"Content-Type": ctype} if ctype else {}), token

        try:
            res, token = send()
            if _errcode(res) in TOKEN_INVALID:
                self.wechat.refresh_token(token)
                res, _ = send()
        except WeChatError as err:                     # no token: a 40164 here names the relay's own IP
            return _error(502, f"the relay could not get an access token: {err}", err.errcode)
        except requests.RequestException as err:
            return _error(502, f"the relay cannot reach WeChat: {type(err).__name__}", None)
        except PeituError as err:
            return _error(502, f"the relay failed: {err}", None)
        return res.status_code, res.content, res.headers.get("Content-Type", "application/json"), _errcode(res)


def _errcode(res: requests.Response) -> int | None:
    if not res.content.lstrip().startswith(b"{"):             # get_material answers an image
        return None
    try:
        code = json.loads(res.content).get("errcode")
    except (ValueError, AttributeError):
        return None
    return int(code) if isinstance(code, int) and code else None


def _error(status: int, message: str, errcode: int | None) -> tuple[int, bytes, str, int | None]:
    body: dict[str, Any] = {"error": redact(message)}
    if errcode is not None:
        body["errcode"] = errcode
    return status, json.dumps(body, ensure_ascii=False).encode(), "application/json; charset=utf-8", errcode


async def _not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": f"not relayed: {request.method} {request.url.path[:80]}"}, 404)
