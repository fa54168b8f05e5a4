"""The shared part of every fake provider: real HTTP on 127.0.0.1 (random port), real PNGs that differ
per prompt and seed, latency, rate and concurrency limits (429 + Retry-After), and injected faults.

Hostile servers too, for the client's defences: answers that drip a byte at a time (`drip` fault: the
whole answer, status line and headers included; `drip_images`: every image body), answers whose links
point elsewhere (`link_base` rewrites the fake's own address in every answer, as a provider handing out
URLs on another host would), result files that redirect (`redirect_files`), and https with a
self-signed certificate (`tls`; trust it through `ca_file`).

A protocol module subclasses FakeServer, lists its routes and says how its errors look. Written from
specs/providers.md and specs/sdk-behaviour.md, not from peitu's clients.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import ipaddress
import json
import random
import re
import ssl
import struct
import tempfile
import threading
import time
import uuid
import zlib
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from PIL import Image, ImageDraw

from ..server import QuietServer

STATUS_FAULTS = ("400", "401", "403", "404", "429", "500", "502", "503")
SYNC_FAULTS = (*STATUS_FAULTS, "timeout", "malformed", "oddshape", "empty", "truncated", "notimage", "huge",
               "drip", "cutjpeg")
# valid JSON where every field a client reads has the wrong type: parsers must fail cleanly, never crash
ODD_SHAPE = {"data": {"url": 5}, "images": {"url": 5}, "output": {"task_id": [1], "task_status": 7, "results": 3},
             "status": ["COMPLETED"], "id": {"x": 1}, "prompt_id": {"a": 1}, "response_url": 5, "status_url": None,
             "info": 7, "seed": "x", "inference_status": "done", "error": {"code": []}}
URL_FAULTS = ("expired",)                    # only where the image comes back as a URL
JOB_FAULTS = ("jobfail",)                    # only for async APIs
ANY = "*"                                    # key=ANY: any credential in the provider's form is accepted


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]                  # lower-case names
    body: bytes
    at: float = field(default_factory=time.monotonic)
    port: int = 0                            # the fake's port it came to (a fake may serve several origins)

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drip: bool = False                       # send it a byte at a time, status line and headers too

    @classmethod
    def of(cls, obj: Any, status: int = 200, **headers: str) -> Response:
        body = json.dumps(obj, ensure_ascii=False).encode()
        return cls(status, body, {"Content-Type": "application/json", **headers})


@lru_cache(maxsize=512)
def png(prompt: str, seed: int, width: int, height: int) -> bytes:
    """A real PNG that differs with prompt and seed (at most 512 px on the long side, to stay fast)."""
    scale = min(1.0, 512 / max(width, height))
    w, h = max(16, int(width * scale)), max(16, int(height * scale))
    rnd = random.Random(hashlib.sha256(f"{prompt}\0{seed}".encode()).digest())
    img = Image.new("RGB", (w, h), tuple(rnd.randrange(40, 216) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x, y, r = rnd.randrange(w), rnd.randrange(h), rnd.randrange(8, max(9, min(w, h) // 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rnd.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    img.save(out, "PNG", compress_level=1)
    return out.getvalue()


def cut_jpeg(data: bytes) -> bytes:
    """`data` (a PNG) as a JPEG cut at half its length and closed with an end-of-image marker: what
    Pillow decodes "successfully", grey below the cut."""
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(out, "JPEG", quality=90)
    jpeg = out.getvalue()
    return jpeg[: len(jpeg) // 2] + b"\xff\xd9"


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key, as PEM files in `folder`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "peitu fake provider")])
    now = dt.datetime.now(dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "fake.crt", folder / "fake.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def bomb(size: int) -> bytes:
    """`size` bytes that start as a PNG declaring 20000×20000 pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    head = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0))
    return head + chunk(b"IDAT", bytes(max(0, size - len(head) - 12)))


class FakeServer:
    """Subclasses set `name`, `routes` [(method, path regex, handler name, generates)] and `error()`.

    `key` is the credential it accepts: None accepts requests without one, ANY accepts any credential
    in the provider's own form (an official SDK pointed at a fake need not know its key), anything
    else only that one."""

    name = "fake"
    routes: ClassVar[list[tuple[str, str, str, bool]]] = []
    auth_scheme = "Bearer"
    is_async = False
    faults_supported: tuple[str, ...] = SYNC_FAULTS

    def __init__(self, *, key: str | None = "fake-key", latency: float = 0.0, rate_per_s: float | None = None,
                 max_concurrent: int | None = None, retry_after: float | None = 1.0, hang_s: float = 5.0,
                 polls: int = 1, same_image: bool = False, huge_bytes: int = 30_000_000, drip_s: float = 0.2,
                 drip_images: bool = False, link_base: str | None = None, redirect_files: str | None = None,
                 tls: bool = False):
        self.key, self.latency, self.rate_per_s = key, latency, rate_per_s
        self.max_concurrent, self.retry_after, self.hang_s = max_concurrent, retry_after, hang_s
        self.polls, self.same_image, self.huge_bytes = polls, same_image, huge_bytes
        self.drip_s, self.drip_images = drip_s, drip_images          # seconds between dripped bytes
        self.link_base = link_base                # answers point here instead of at this fake
        self.redirect_files = redirect_files      # GET /files/… answers 302 to this base
        self.tls = tls
        self.ca_file: Path | None = None          # the self-signed certificate, with tls
        self.seen: list[Request] = []
        self.faults: deque[str] = deque()
        self.files: dict[str, tuple[bytes, bool]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.generations = 0
        self.peak = 0                            # most generation requests handled at once
        self.peak_busy = 0                       # most generations under way at once (async jobs included)
        self.throttles = {"rate": 0, "concurrency": 0}   # 429s sent, by the limit that was hit
        self._starts: deque[float] = deque()
        self._active = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._listeners: list[ThreadingHTTPServer] = []
        self._key_file: Path | None = None

    # ── lifecycle ──────────────────────────────────────────────────────────────────────

    def start(self) -> FakeServer:
        if self.tls:
            self.ca_file, self._key_file = certificate(Path(tempfile.mkdtemp(prefix="peitu-fake-tls-")))
        self._server = self.listen()
        return self

    def listen(self) -> ThreadingHTTPServer:
        """A listener on a new port of 127.0.0.1 (https with `tls`) whose requests this fake handles: its
        own origin, or another one it serves (a provider's delivery or synchronous host)."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True          # headers and body go out without a 40 ms stall

            def _any(self) -> None:
                fake._handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, *args: Any) -> None:
                pass

        server = QuietServer(("127.0.0.1", 0), Handler)
        if self.tls:
            assert self.ca_file
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.ca_file, self._key_file)
            server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        threading.Thread(target=server.serve_forever, args=(0.05,), name=f"fake-{self.name}", daemon=True).start()
        self._listeners.append(server)
        return server

    def stop(self) -> None:
        self._stop.set()
        for server in self._listeners:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server, "start() the fake first"
        return self.url_of(self._server)

    def url_of(self, server: ThreadingHTTPServer) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{server.server_address[1]}"

    @property
    def result_origins(self) -> list[str]:
        """Other origins of this fake its answers point to (peitu fetches them without the key)."""
        return []

    @property
    def base_url(self) -> str:
        """What a client configures as base_url (the host plus the API's path prefix)."""
        return self.url

    def creates(self) -> list[Request]:
        """The generation requests seen so far (throttled ones included)."""
        gen = [(method, pattern) for method, pattern, _, generates in self.routes if generates]
        return [r for r in self.seen if any(r.method == m and re.fullmatch(p, r.path) for m, p in gen)]

    def inject(self, *faults: str) -> None:
        """Make the next generation requests fail this way, one fault per request."""
        for f in faults:
            if f not in self.faults_supported:
                raise ValueError(f"{self.name} fake cannot inject '{f}' (can: {', '.join(self.faults_supported)})")
        self.faults.extend(faults)

    # ── what protocol modules use ──────────────────────────────────────────────────────

    def error(self, status: int, message: str) -> Response:
        """An error answer in the provider's own shape."""
        return Response.of({"error": message}, status)

    def throttled(self, wait: float | None = None) -> Response:
        """A 429; Retry-After says `wait` (when the rate window frees a slot) or the retry_after knob."""
        resp = self.error(429, "rate limit exceeded, slow down")
        if self.retry_after is not None:
            resp.headers["Retry-After"] = f"{round(wait, 2) if wait is not None else self.retry_after:g}"
        return resp

    def image(self, prompt: str, seed: Any, width: Any, height: Any, fault: str | None) -> bytes:
        try:
            w, h, s = int(width or 1024), int(height or 1024), int(seed or 0)
        except (TypeError, ValueError):
            w, h, s = 1024, 1024, 0
        data = png("same" if self.same_image else str(prompt), 0 if self.same_image else s, w, h)
        if fault == "truncated":
            return data[: len(data) // 2]
        if fault == "notimage":
            return b"<html><body>403 Forbidden</body></html>"
        if fault == "huge":
            return bomb(self.huge_bytes)
        if fault == "cutjpeg":
            return cut_jpeg(data)
        return data

    def file_url(self, data: bytes, fault: str | None = None) -> str:
        token = uuid.uuid4().hex
        self.files[token] = (data, fault == "expired")
        return f"{self.url}/files/{token}.png"

    def job(self, fault: str | None, **fields: Any) -> tuple[str, dict[str, Any]]:
        """A new async job that is done after `latency` seconds and `polls` status reads."""
        jid = uuid.uuid4().hex
        job = {"id": jid, "fault": fault, "ready_at": time.monotonic() + self.latency, "polls": 0, **fields}
        self.jobs[jid] = job
        return jid, job

    def job_done(self, job: dict[str, Any]) -> bool:
        job["polls"] += 1
        return time.monotonic() >= job["ready_at"] and job["polls"] >= self.polls

    def credential(self, req: Request) -> str:
        """The key a request presents, written as this fake's key is ("" when it presents none)."""
        given, scheme = req.headers.get("authorization", ""), f"{self.auth_scheme} "
        return given[len(scheme):] if given.startswith(scheme) else ""

    def authorized(self, req: Request) -> bool:
        """Whether the request carries the key (with ANY, any key in the provider's form)."""
        if self.key is None:
            return True
        given = self.credential(req)
        return bool(given) and (self.key == ANY or given == self.key)

    def refused_key(self, req: Request) -> Response:
        """The answer to a request without the right key, in the provider's own shape."""
        return self.error(401, "Invalid API key / 密钥无效")

    # ── dispatch ───────────────────────────────────────────────────────────────────────

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        req = Request(h.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                      {k.lower(): v for k, v in h.headers.items()}, h.rfile.read(length) if length else b"",
                      port=h.connection.getsockname()[1])
        with self._lock:
            self.seen.append(req)
        try:
            resp = self._route(req)
        except Exception as e:                     # a fake bug shows as a 500 the test will see
            resp = Response.of({"error": f"fake server bug: {e!r}"}, 500)
        resp.headers.setdefault("Content-Type", "application/octet-stream")
        if self.link_base and resp.headers["Content-Type"].startswith("application/json"):
            resp.body = resp.body.replace(self.url.encode(), self.link_base.encode())
        if resp.drip:
            self._drip(h, resp)
            return
        h.send_response(resp.status)
        for k, v in resp.headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(resp.body)))
        h.end_headers()
        if h.command == "HEAD":
            return
        try:
            if self.drip_images and resp.headers["Content-Type"].startswith("image/"):
                self._trickle(h, resp.body)
            else:
                h.wfile.write(resp.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _drip(self, h: BaseHTTPRequestHandler, resp: Response) -> None:
        """The whole answer, status line and headers too, a byte at a time."""
        head = [f"HTTP/1.1 {resp.status} {h.responses.get(resp.status, ('',))[0]}",
                *(f"{k}: {v}" for k, v in resp.headers.items()), f"Content-Length: {len(resp.body)}",
                "Connection: close", "", ""]
        h.close_connection = True
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._trickle(h, "\r\n".join(head).encode("latin-1") + resp.body)

    def _trickle(self, h: BaseHTTPRequestHandler, data: bytes) -> None:
        for i in range(len(data)):
            if self._stop.wait(self.drip_s if i else 0):
                return
            h.wfile.write(data[i:i + 1])
            h.wfile.flush()

    def _route(self, req: Request) -> Response:
        if req.method == "GET" and req.path.startswith("/files/"):
            if self.redirect_files:
                return Response(302, b"", {"Location": self.redirect_files + req.path})
            return self._file(req.path[len("/files/"):].removesuffix(".png"))
        for method, pattern, handler, generates in self.routes:
            m = re.fullmatch(pattern, req.path)
            if m and method == req.method:
                if not self.authorized(req):
                    return self.refused_key(req)
                if not generates:
                    return getattr(self, handler)(req, m, None)
                return self._generate(req, m, handler)
        return self.error(404, f"no route {req.method} {req.path}")

    def _generate(self, req: Request, m: re.Match, handler: str) -> Response:
        with self._lock:
            now = time.monotonic()
            while self._starts and now - self._starts[0] >= 1.0:
                self._starts.popleft()
            if self.rate_per_s is not None and len(self._starts) >= self.rate_per_s:
                self.throttles["rate"] += 1
                return self.throttled(wait=1.0 - (now - self._starts[0]) + 0.01)
            if self.max_concurrent is not None and self._busy() >= self.max_concurrent:
                self.throttles["concurrency"] += 1
                return self.throttled()
            self._starts.append(now)
            fault = self.faults.popleft() if self.faults else None
            self.generations += 1
            self._active += 1
            self.peak = max(self.peak, self._active)
            self.peak_busy = max(self.peak_busy, self._busy())
        try:
            if fault in STATUS_FAULTS:            # an injected 429 says the retry_after knob
                return self.throttled() if fault == "429" else self.error(int(fault), f"injected HTTP {fault}")
            if fault == "timeout":
                self._stop.wait(self.hang_s)
            if fault == "malformed":
                return Response(200, b'{"data": [{"url": "http://', {"Content-Type": "application/json"})
            if fault == "oddshape":
                return Response.of(ODD_SHAPE)
            if not self.is_async and self.latency:
                self._stop.wait(self.latency)
            resp: Response = getattr(self, handler)(req, m, fault)
            resp.drip = fault == "drip"
            return resp
        finally:
            with self._lock:
                self._active -= 1

    def _busy(self) -> int:
        now = time.monotonic()
        return self._active + sum(1 for j in self.jobs.values() if j["ready_at"] > now and not j.get("over"))

    def _file(self, token: str) -> Response:
        data, expired = self.files.get(token, (b"", True))
        if expired:
            return Response(403, b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code>"
                                 b"<Message>Request has expired</Message></Error>", {"Content-Type": "application/xml"})
        return Response(200, data, {"Content-Type": "image/png"})


class Relay:
    """Another origin on 127.0.0.1 that records each request it gets (headers included) and passes it on
    to `target`: where a provider's answers may point (set the fake's `link_base` to `relay.url`)."""

    def __init__(self, target: str):
        self.target = target
        self.seen: list[Request] = []
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> Relay:
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                relay._pass_on(self)

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, *args: Any) -> None:
                pass

        self._server = QuietServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-relay", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server, "start() the relay first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _pass_on(self, h: BaseHTTPRequestHandler) -> None:
        import http.client

        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in h.headers.items()}
        self.seen.append(Request(h.command, urlsplit(h.path).path, {}, headers, body))
        target = urlsplit(self.target)
        conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=30)
        try:
            conn.request(h.command, h.path, body=body or None,
                         headers={k: v for k, v in headers.items() if k not in ("host", "content-length")})
            answer = conn.getresponse()
            status, reply, kept = answer.status, answer.read(), answer.getheaders()
        finally:
            conn.close()
        h.send_response(status)
        for k, v in kept:
            if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(reply)))
        h.end_headers()
        h.wfile.write(reply)


# ── size rules as the providers' docs state them (each fake keeps its own table) ─────────────────────────

def parse_size(text: Any, sep: str = "x") -> tuple[int, int] | None:
    """"1344x576" (or with `sep`) as (1344, 576); None when it is not one."""
    m = re.fullmatch(r"(\d{1,5})" + re.escape(sep) + r"(\d{1,5})", str(text))
    return (int(m[1]), int(m[2])) if m else None


def size_ok(size: tuple[int, int] | None, *, multiple: int = 1, sides: tuple[int, int] = (1, 100_000),
            pixels: tuple[int, int] = (1, 10 ** 9), ratio: float | None = None,
            fixed: tuple[tuple[int, int], ...] = ()) -> bool:
    """Whether a provider whose docs say these rules takes `size`."""
    if size is None:
        return False
    w, h = size
    if fixed:
        return size in fixed
    return (w % multiple == 0 and h % multiple == 0 and sides[0] <= min(w, h) and max(w, h) <= sides[1]
            and pixels[0] <= w * h <= pixels[1] and (ratio is None or max(w, h) <= ratio * min(w, h)))
