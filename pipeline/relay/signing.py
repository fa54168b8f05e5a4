"""How a peitu client signs a request for `peitu relay`, and how the relay checks it (one home for both).

The signature is HMAC-SHA256 with the key the two share, over one line each of:

    peitu-relay-1
    METHOD
    /cgi-bin/API?query        (sorted, without access_token: the client never has one)
    sha256 of the body (hex)
    timestamp (Unix seconds)
    nonce (random, used once)
    client name

sent as the headers X-Peitu-Client, X-Peitu-Timestamp, X-Peitu-Nonce and X-Peitu-Signature. The path is
taken from /cgi-bin/ on, so a reverse proxy may serve the relay under any prefix.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import requests

VERSION = "peitu-relay-1"
CLIENT, TIMESTAMP, NONCE, SIGNATURE = "X-Peitu-Client", "X-Peitu-Timestamp", "X-Peitu-Nonce", "X-Peitu-Signature"
MIN_KEY_CHARS = 32
NEW_KEY_HINT = "make one with: peitu relay --new-key"


def canonical_target(path: str, query: str) -> str:
    """The path from /cgi-bin/ on, and the query's pairs sorted, without access_token."""
    cut = path.find("/cgi-bin/")
    path = path[cut:] if cut >= 0 else path
    pairs = sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "access_token")
    return path + ("?" + urlencode(pairs, quote_via=quote) if pairs else "")


def sign(key: str, method: str, target: str, body: bytes, timestamp: str, nonce: str, client: str) -> str:
    """The hex HMAC-SHA256 of one request."""
    text = "\n".join([VERSION, method.upper(), target, hashlib.sha256(body).hexdigest(), timestamp, nonce, client])
    return hmac.new(key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def matches(key: str, signature: str, method: str, target: str, body: bytes, timestamp: str, nonce: str,
            client: str) -> bool:
    """Whether `signature` is the one `key` gives these request parts (compared in constant time)."""
    expected = sign(key, method, target, body, timestamp, nonce, client)
    return hmac.compare_digest(expected.encode(), signature.lower().encode("utf-8", "replace"))


class RelayAuth(requests.auth.AuthBase):
    """requests auth that signs each request for the relay and drops any access_token from its URL."""

    def __init__(self, key: str, client: str, clock: Callable[[], float] = time.time):
        self.key, self.client, self.clock = key, client, clock

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(r.url or "")
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"]
        r.url = urlunsplit(parts._replace(query=urlencode(query)))
        body = r.body or b""
        body = body.encode("utf-8") if isinstance(body, str) else body
        if not isinstance(body, bytes):
            raise TypeError("the relay signs bodies held in memory only")
        timestamp, nonce = str(int(self.clock())), secrets.token_urlsafe(18)
        target = canonical_target(parts.path, urlencode(query))
        r.headers.update({CLIENT: self.client, TIMESTAMP: timestamp, NONCE: nonce,
                          SIGNATURE: sign(self.key, r.method or "GET", target, body, timestamp, nonce, self.client)})
        return r


def new_key() -> str:
    """A fresh random key for a relay client (43 characters)."""
    return secrets.token_urlsafe(32)
