"""The one way peitu speaks HTTP to image providers: a call goes where its provider's URL policy allows,
redirects are followed by hand (each hop checked again), and the whole exchange — connecting, sending,
waiting for the answer and reading every byte of it — ends by its deadline, however slowly a server
drips. Both directions are logged at DEBUG (for --debug) with every secret redacted.

Each connection goes to the address the policy checked (the Host header, TLS SNI and certificate check
keep the name), and is kept alive for the next request to that same address and name only. A failure
before connecting is known to have sent nothing.

Behind a proxy (HTTPS_PROXY, an http:// proxy, with NO_PROXY honoured), https requests go through a
CONNECT tunnel to the checked address; TLS runs end to end inside it, so the proxy sees neither the key
nor the answer. Plain http never goes through a proxy (a key would cross it in clear)."""

from __future__ import annotations

import http.client
import io
import logging
import os
import re
import socket
import ssl
import threading
import time
import urllib.request
from base64 import b64encode
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import certifi
import urllib3.exceptions
from urllib3.connection import HTTPConnection, HTTPSConnection

from .. import __version__
from ..providers.base import Answer, Call
from ..secrets import redact
from .errors import Broken, ConnectFailed, DeadlineExceeded, TimedOut, TooLarge, TransportError, UrlRefused
from .policy import SECRET_HEADER, Target, UrlPolicy, shown

log = logging.getLogger("peitu.http")
CONNECT_S = 10.0                   # at most this long to connect (TCP and TLS), within the request's time
MAX_HOPS = 3                       # redirects followed
KEEP_ALIVE = 8                     # idle connections kept per address
PIECE = 64 * 1024
REDIRECTS = (301, 302, 303, 307, 308)
BLOB = re.compile(r"[A-Za-z0-9+/=]{200,}")
LOG_CHARS = 800


@dataclass(frozen=True)
class Proxy:
    """An http:// proxy that tunnels https with CONNECT."""

    host: str
    port: int
    headers: dict[str, str]            # Proxy-Authorization when the URL has a user

    @classmethod
    def from_env(cls) -> Proxy | None:
        url = urllib.request.getproxies_environment().get("https")
        if not url:
            return None
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme != "http" or not parts.hostname:
            log.warning("HTTPS_PROXY: only an http:// proxy (CONNECT) is supported; %s://%s is not used",
                        parts.scheme, parts.hostname)       # never its user or password
            return None
        headers = {}
        if parts.username:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            headers["Proxy-Authorization"] = "Basic " + b64encode(pair).decode()
        return cls(parts.hostname, parts.port or 8080, headers)

    def applies(self, target: Target) -> bool:
        return target.scheme == "https" and not urllib.request.proxy_bypass(target.host)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class Transport:
    """Sends providers' calls; safe to share between threads."""

    def __init__(self, *, connect_s: float = CONNECT_S, ca_certs: str | None = None):
        self.connect_s = connect_s
        self._pool: dict[tuple[str, str, int, str], list[HTTPConnection]] = {}
        self._lock = threading.Lock()
        # SSL_CERT_FILE names a CA bundle of your own (a company proxy's, a test server's); else certifi's
        self.ca_certs = ca_certs or os.environ.get("SSL_CERT_FILE") or certifi.where()
        self.proxy = Proxy.from_env()

    def send(self, call: Call, policy: UrlPolicy, *, timeout_s: float, left_s: float, max_bytes: int) -> Answer:
        """Make `call`, following redirects the policy allows. Everything ends within min(timeout_s, left_s);
        past that TimedOut, or DeadlineExceeded when left_s (the image's deadline) was the shorter."""
        budget = max(0.0, min(timeout_s, left_s))
        late = DeadlineExceeded if left_s < timeout_s else TimedOut
        ends = time.monotonic() + budget
        method, url = call.method, call.url
        body, content_type = call.payload()
        headers = call.headers | content_type
        for hop in range(MAX_HOPS + 1):
            try:
                target = policy.target(url)
                answer = self._exchange(target, method, policy.headers_for(target, headers), body,
                                        ends, budget, late, max_bytes)
            except TransportError as err:
                err.sent = err.sent or hop > 0         # an earlier hop already reached the server
                raise
            location = answer.headers.get("location")
            if answer.status not in REDIRECTS or not location:
                return answer
            url = urljoin(url, location)
            if answer.status == 303 or (answer.status in (301, 302) and method not in ("GET", "HEAD")):
                method, body = "GET", None
            log.debug("↪ %s redirects to %s", answer.status, redact(url))
        loop = UrlRefused(f"refused, more than {MAX_HOPS} redirects: {shown(call.url)}")
        loop.sent = True
        raise loop

    def _exchange(self, target: Target, method: str, headers: dict[str, str], body: bytes | None,
                  ends: float, budget: float, late: type[TimedOut], max_bytes: int) -> Answer:
        if log.isEnabledFor(logging.DEBUG):
            shown = "" if body is None else " body=" + _text(body)
            log.debug("→ %s %s [%s]%s", method, redact(target.url), _headers(headers), shown)
        start = time.monotonic()
        conn = self._idle(target) or self._connect(target, ends, budget, late)
        keep = False
        try:
            conn.sock.ends = ends                                  # type: ignore[union-attr]
            conn.request(method, target.path, body=body, preload_content=False,
                         headers={"Host": target.host_header, "User-Agent": f"peitu/{__version__}", **headers})
            resp = conn.getresponse()
            answer = Answer(resp.status, resp.headers, _read(resp, max_bytes))
            keep = resp.version >= 11 and "close" not in resp.headers.get("connection", "").lower()
        except (TimeoutError, urllib3.exceptions.TimeoutError):
            raise late(f"no complete answer within {budget:.3g}s", sent=True) from None
        except (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError) as err:
            raise Broken(f"the connection broke: {redact(str(err))[:200]}") from None
        finally:
            if keep:
                self._keep(target, conn)
            else:
                conn.close()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("← %s %s in %.0f ms [%s] %s", answer.status, redact(target.url),
                      1000 * (time.monotonic() - start), _headers(answer.headers),
                      _text(answer.body, answer.headers.get("content-type", "")))
        return answer

    def _connect(self, target: Target, ends: float, budget: float, late: type[TimedOut]) -> HTTPConnection:
        left = ends - time.monotonic()
        timeout = min(self.connect_s, left)
        if timeout <= 0:
            raise late(f"no time left to connect (within {budget:.3g}s)", sent=False)
        conn: HTTPConnection
        proxy = self.proxy if self.proxy and self.proxy.applies(target) else None
        if proxy:
            conn = HTTPSConnection(proxy.host, proxy.port, timeout=timeout, server_hostname=target.host,
                                   ca_certs=self.ca_certs)
            conn.set_tunnel(target.ip, target.port, headers=proxy.headers)
        elif target.scheme == "https":
            conn = HTTPSConnection(target.ip, target.port, timeout=timeout, server_hostname=target.host,
                                   ca_certs=self.ca_certs)
        else:
            conn = HTTPConnection(target.ip, target.port, timeout=timeout)
        where = target.host + (f" through the proxy {proxy}" if proxy else "")
        try:
            conn.connect()
        except urllib3.exceptions.NewConnectionError as err:     # (a ConnectTimeoutError subclass)
            conn.close()
            raise ConnectFailed(f"could not connect to {where}: {redact(str(err))[:200]}") from None
        except (TimeoutError, urllib3.exceptions.ConnectTimeoutError):
            conn.close()
            kind = late if left < self.connect_s else TimedOut
            raise kind(f"could not connect to {where} within {timeout:.3g}s", sent=False) from None
        except (OSError, ssl.SSLError, urllib3.exceptions.HTTPError) as err:
            conn.close()
            raise ConnectFailed(f"could not connect to {where}: {redact(str(err))[:200]}") from None
        conn.sock = _Bounded(conn.sock, ends)
        return conn

    def _idle(self, target: Target) -> HTTPConnection | None:
        """A kept-alive connection to this very address and name that the server has not closed, if any."""
        with self._lock:
            idle = self._pool.get(_key(target), [])
            while idle:
                conn = idle.pop()
                if conn.is_connected:
                    return conn
                conn.close()
        return None

    def _keep(self, target: Target, conn: HTTPConnection) -> None:
        with self._lock:
            idle = self._pool.setdefault(_key(target), [])
            if len(idle) < KEEP_ALIVE:
                idle.append(conn)
                return
        conn.close()


def _key(target: Target) -> tuple[str, str, int, str]:
    return target.scheme, target.ip, target.port, target.host


class _Bounded:
    """A connected socket whose every read and write ends by `ends` (time.monotonic): before each one the
    socket timeout is set to the time left, so no server can hold a request past its deadline by
    dripping bytes, in the headers or the body."""

    def __init__(self, sock: socket.socket, ends: float):
        self._sock = sock
        self.ends = ends                 # set again for each request on a kept-alive connection
        self._readers = 0
        self._closing = False

    def _arm(self) -> None:
        left = self.ends - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline")
        self._sock.settimeout(left)

    def sendall(self, data: Any, *args: Any) -> None:
        self._arm()
        self._sock.sendall(data, *args)

    def recv_into(self, buffer: Any, *args: Any) -> int:
        self._arm()
        return self._sock.recv_into(buffer, *args)

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        self._readers += 1
        return io.BufferedReader(_Reader(self))

    def close(self) -> None:
        """Like a socket's own: the descriptor stays open while a reader made by makefile is (http.client
        closes the connection as soon as it reads the headers of an answer that ends the connection)."""
        self._closing = True
        if not self._readers:
            self._sock.close()

    def reader_closed(self) -> None:
        self._readers -= 1
        if self._closing and not self._readers:
            self._sock.close()

    def settimeout(self, value: float | None) -> None:
        """Ignored: the deadline sets the timeout before each read and write."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _Reader(io.RawIOBase):
    def __init__(self, sock: _Bounded):
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            self._sock.reader_closed()
        super().close()


def _read(resp: Any, max_bytes: int) -> bytes:
    length = resp.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise TooLarge(f"answer is {int(length):,} bytes, over the {max_bytes:,}-byte cap "
                       f"(providers.max_download_bytes)")
    chunks, size = [], 0
    while piece := resp.read(PIECE):
        size += len(piece)
        if size > max_bytes:
            raise TooLarge(f"answer is over the {max_bytes:,}-byte cap (providers.max_download_bytes)")
        chunks.append(piece)
    return b"".join(chunks)


def _headers(headers: Mapping[str, str]) -> str:
    return ", ".join(f"{k}: {'***' if SECRET_HEADER.search(k) else redact(str(v))}" for k, v in headers.items())


def _text(raw: bytes, ctype: str = "application/json") -> str:
    if not any(t in ctype for t in ("json", "text", "xml", "html")):
        return f"<{len(raw)} bytes {ctype or 'binary'}>"
    text = BLOB.sub(lambda m: f"<{len(m.group())} chars of base64>", raw.decode("utf-8", "replace"))
    text = redact(text)
    return text if len(text) <= LOG_CHARS else text[:LOG_CHARS] + f"… ({len(text)} chars)"
