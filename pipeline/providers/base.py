"""What every hosted provider implements: build a request, read the answer, say how to poll.

A provider is pure protocol. It never sends anything itself, never sleeps, retries or falls back:
pipeline.generate owns all of that, and feeds each answer back to `parse`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..models import ImagePlan


class Malformed(Exception):
    """An answer that does not follow the provider's protocol (bad JSON, missing fields)."""


@dataclass
class Endpoint:
    """A provider as configured: where it lives, which model, which key, provider-specific extras."""

    name: str
    base_url: str
    model: str
    key: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Call:
    """One HTTP request to make. `step` tells `parse` which answer it is reading."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    step: str = "create"
    carry: dict[str, Any] = field(default_factory=dict)   # what a later step needs (ids, URLs)


@dataclass
class Answer:
    """An HTTP response, as `parse` sees it."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise Malformed(f"expected JSON, got {self.body[:60]!r}") from None


@dataclass
class Reply:
    """What an answer means: image bytes and/or URLs to download, a poll to make next, or a failed job."""

    images: list[bytes] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    next: Call | None = None           # pending: make this call after poll_interval_s
    seed: int | None = None            # the seed the provider reports it used
    error: str | None = None           # the job ran and failed (async failure, content filter)


@dataclass
class Fault:
    """A provider's own reading of an error body: its message and the HTTP status it amounts to."""

    message: str
    status: int
    retry_after: float | None = None


class Provider:
    """Base class: subclasses set the class attributes and override the four verbs."""

    name: ClassVar[str]
    label: ClassVar[str]                          # how users know it, e.g. "通义万相 (DashScope)"
    base_url: ClassVar[str]
    model: ClassVar[str]
    key_env: ClassVar[str | None]
    key_required: ClassVar[bool] = True
    seeds: ClassVar[bool] = True                  # the API takes a seed
    auth_scheme: ClassVar[str] = "Bearer"
    check_ok: ClassVar[tuple[int, ...]] = (200,)  # statuses of `check` that mean "key accepted"

    def headers(self, ep: Endpoint) -> dict[str, str]:
        """Auth and content headers for every call to the provider's own host."""
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        if ep.key:
            h["Authorization"] = f"{self.auth_scheme} {ep.key}"
        return h

    def size(self, plan: ImagePlan, ep: Endpoint) -> tuple[int, int]:
        """The size to ask for: what the model accepts, close to the plan's aspect ratio."""
        return fit(plan.width, plan.height, multiple=8, low=256, high=2048)

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        """The request that starts a generation."""
        raise NotImplementedError

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        """Read a successful (2xx) answer to `call`."""
        raise NotImplementedError

    def fault(self, answer: Answer) -> Fault:
        """Read an error answer (status ≥ 400, or a 2xx the provider uses for errors)."""
        return Fault(error_text(answer), answer.status)

    def check(self, ep: Endpoint) -> Call:
        """One cheap authenticated call that makes no image (for `peitu providers check`)."""
        raise NotImplementedError

    def url(self, ep: Endpoint, path: str) -> str:
        return ep.base_url.rstrip("/") + "/" + path.lstrip("/")


def error_text(answer: Answer) -> str:
    """The message in a JSON error body, whichever common shape it has; else the start of the text."""
    try:
        body = json.loads(answer.body)
    except (ValueError, UnicodeDecodeError):
        return answer.body[:200].decode("utf-8", "replace").strip() or f"HTTP {answer.status}"
    if isinstance(body, dict):
        for key in ("error", "detail", "message", "msg", "title"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("msg") or value.get("type")
            if isinstance(value, list):
                value = "; ".join(str(v.get("msg", v) if isinstance(v, dict) else v) for v in value)
            if value:
                return str(value)[:300]
    return json.dumps(body, ensure_ascii=False)[:200]


def fit(width: int, height: int, *, multiple: int, low: int, high: int,
        max_pixels: int | None = None) -> tuple[int, int]:
    """Scale (width, height) into [low, high] per side and max_pixels, keeping the aspect ratio,
    then round each side to `multiple`."""
    scale = min(1.0, high / max(width, height))
    scale = max(scale, low / min(width, height))
    if max_pixels and width * height * scale * scale > max_pixels:
        scale = (max_pixels / (width * height)) ** 0.5

    def side(v: float) -> int:
        return int(min(high, max(low, (v * scale) // multiple * multiple)))

    return side(width), side(height)


def nearest(width: int, height: int, sizes: list[tuple[int, int]]) -> tuple[int, int]:
    """The accepted size whose aspect ratio is closest to width:height (then the larger one)."""
    want = width / height
    return min(sizes, key=lambda s: (abs(s[0] / s[1] - want) / want, -s[0] * s[1]))


def wh(size: tuple[int, int], sep: str = "x") -> str:
    return f"{size[0]}{sep}{size[1]}"


def b64decode(text: str) -> bytes:
    """Decode base64 or a data: URL; Malformed when it is neither."""
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Malformed("image field is not valid base64") from None


def need(mapping: Any, *keys: str) -> Any:
    """mapping[k1][k2]…, or Malformed naming the missing field."""
    value = mapping
    for k in keys:
        if not isinstance(value, dict) or k not in value:
            raise Malformed(f"answer has no '{'.'.join(keys)}'")
        value = value[k]
    return value


def drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}
