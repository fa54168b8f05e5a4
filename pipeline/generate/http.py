"""The one HTTP session for every provider: sends calls, downloads result URLs within a size cap,
checks that bytes are an image, and logs both (at DEBUG, for --debug) with every secret redacted."""

from __future__ import annotations

import io
import json
import logging
import re
import struct
import threading
import time
import warnings
from urllib.parse import urlsplit

import requests
from PIL import Image
from requests.adapters import HTTPAdapter

from ..images.decode import sniff
from ..providers.base import Answer, Call
from ..secrets import redact

log = logging.getLogger("peitu.http")
SECRET_HEADER = re.compile(r"(?i)authorization|api[-_]?key|token|secret|cookie|signature")
BLOB = re.compile(r"[A-Za-z0-9+/=]{200,}")
LOG_CHARS = 800
_local = threading.local()


class NetError(Exception):
    """No usable HTTP answer. `sent` is False when the request surely never reached the server."""

    def __init__(self, message: str, *, sent: bool, timeout: bool = False):
        super().__init__(message)
        self.sent = sent
        self.timeout = timeout


class BadImage(Exception):
    """Bytes that are not an image we can use (wrong magic, truncated, too big)."""


def session() -> requests.Session:
    """One pooled session per thread (requests.Session is not documented as thread-safe)."""
    s = getattr(_local, "session", None)
    if s is None:
        s = _local.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=8, pool_maxsize=16, max_retries=0)
        s.mount("https://", adapter)
        s.mount("http://", adapter)
    return s


def check_scheme(url: str, allow_http: bool) -> None:
    scheme = urlsplit(url).scheme
    if scheme != "https" and not (scheme == "http" and allow_http):
        raise NetError(f"refused to fetch {redact(url)}: only https is allowed "
                       f"(set allow_http: true for this provider to permit plain http)", sent=False)


def _headers(headers: dict) -> str:
    return ", ".join(f"{k}: {'***' if SECRET_HEADER.search(k) else redact(str(v))}" for k, v in headers.items())


def _text(raw: bytes | str, ctype: str = "application/json") -> str:
    if isinstance(raw, bytes):
        if not any(t in ctype for t in ("json", "text", "xml", "html")):
            return f"<{len(raw)} bytes {ctype or 'binary'}>"
        raw = raw.decode("utf-8", "replace")
    text = BLOB.sub(lambda m: f"<{len(m.group())} chars of base64>", raw)
    text = redact(text)
    return text if len(text) <= LOG_CHARS else text[:LOG_CHARS] + f"… ({len(text)} chars)"


def _read(resp: requests.Response, max_bytes: int, deadline: float) -> bytes:
    length = resp.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise BadImage(f"answer is {int(length):,} bytes, over the {max_bytes:,}-byte cap "
                       f"(providers.max_download_bytes)")
    chunks, size = [], 0
    for chunk in resp.iter_content(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise BadImage(f"answer is over the {max_bytes:,}-byte cap (providers.max_download_bytes)")
        if time.monotonic() > deadline:
            raise NetError("answer still arriving at the deadline", sent=True, timeout=True)
        chunks.append(chunk)
    return b"".join(chunks)


def send(call: Call, *, timeout: float, allow_http: bool, max_bytes: int) -> Answer:
    """Make one HTTP call; the whole answer must arrive within `timeout` seconds."""
    check_scheme(call.url, allow_http)
    if log.isEnabledFor(logging.DEBUG):
        body = "" if call.json is None else " body=" + _text(json.dumps(call.json, ensure_ascii=False))
        log.debug("→ %s %s [%s]%s", call.method, redact(call.url), _headers(call.headers), body)
    start = time.monotonic()
    try:
        with session().request(call.method, call.url, headers=call.headers, json=call.json, stream=True,
                               timeout=(min(timeout, 10.0), timeout)) as resp:
            for r in (*resp.history, resp):
                check_scheme(r.url, allow_http)
            body = _read(resp, max_bytes, start + timeout)
            answer = Answer(resp.status_code, resp.headers, body)
    except requests.ConnectTimeout:
        raise NetError(f"could not connect within {min(timeout, 10.0):g}s", sent=False, timeout=True) from None
    except requests.ConnectionError as e:
        if "timed out" in str(e):                  # a read timeout while streaming the body
            raise NetError(f"no answer within {timeout:g}s", sent=True, timeout=True) from None
        raise NetError(f"connection failed: {redact(str(e))[:200]}", sent=not _refused(e)) from None
    except requests.Timeout:
        raise NetError(f"no answer within {timeout:g}s", sent=True, timeout=True) from None
    except requests.RequestException as e:
        raise NetError(f"HTTP error: {redact(str(e))[:200]}", sent=True) from None
    if log.isEnabledFor(logging.DEBUG):
        log.debug("← %s %s in %.0f ms [%s] %s", answer.status, redact(call.url), 1000 * (time.monotonic() - start),
                  _headers(dict(answer.headers)), _text(answer.body, answer.headers.get("content-type", "")))
    return answer


def _refused(err: Exception) -> bool:
    text = str(err).lower()
    return "refused" in text or "name or service not known" in text or "failed to resolve" in text


def check_image(data: bytes, max_pixels: int) -> tuple[int, int]:
    """Raise BadImage unless `data` is a whole PNG/JPEG/WEBP of at most max_pixels; return its size.
    Whole means: every PNG chunk present with a good CRC, a JPEG's end marker, a WEBP's full RIFF length
    (checked without decoding the pixels, which the images stage does anyway)."""
    kind = sniff(data)
    if kind not in ("PNG", "JPEG", "WEBP"):
        raise BadImage(f"answer is not an image (starts {data[:16]!r})" if kind is None
                       else f"answer is a {kind} image; providers answer PNG, JPEG or WEBP")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
        with img:
            width, height = img.size
            if width * height > max_pixels:
                raise BadImage(f"image is {width}×{height}, over the {max_pixels:,}-pixel cap (images.max_pixels)")
            if kind == "PNG":
                img.verify()
    except BadImage:
        raise
    except Image.DecompressionBombError:
        raise BadImage(f"image declares more pixels than the {max_pixels:,}-pixel cap (images.max_pixels)") from None
    except (OSError, ValueError, SyntaxError, struct.error) as e:
        raise BadImage(f"{kind} image is damaged or truncated ({e})") from None
    whole = {"PNG": True, "JPEG": data.rstrip(b"\0").endswith(b"\xff\xd9"),
             "WEBP": int.from_bytes(data[4:8], "little") + 8 <= len(data)}[kind]
    if not whole:
        raise BadImage(f"{kind} image is truncated ({len(data):,} bytes)")
    return width, height
