"""Fake Volcengine Ark (火山方舟) Seedream: POST /api/v3/images/generations, OpenAI-style, a URL (24 h) or
base64 out, errors as {"error": {code, message, param, type}}.

Size rules as the Ark image API states them: Seedream 3.0 each side 512–2048; 4.0 921,600–16,777,216
pixels, 4.5 3,686,400–16,777,216, 5.0 3,686,400–10,404,496, each from 1:16 to 16:1, or "1K"/"2K"/"4K"
("2K"/"3K" for 5.0). Like the service it takes JSON null for every optional field (the Ark SDK sends them)."""

from __future__ import annotations

import base64
import re
import time
import uuid
from typing import Any, ClassVar

from .base import SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response, parse_size, size_ok

TIERS = {"1K": (1024, 1024), "2K": (2048, 2048), "3K": (3072, 3072), "4K": (4096, 4096)}
CODES = {400: ("InvalidParameter", "BadRequest"), 401: ("AuthenticationError", "Unauthorized"),
         403: ("AccountOverdueError", "Forbidden"), 404: ("InvalidEndpointOrModel.NotFound", "NotFound"),
         429: ("RateLimitExceeded.EndpointRPMExceeded", "TooManyRequests")}


def pixels(model: str) -> tuple[int, int]:
    if "seedream-4-0" in model:
        return 1280 * 720, 4096 * 4096
    if "seedream-5" in model:
        return 2560 * 1440, 10_404_496
    return 2560 * 1440, 4096 * 4096                  # 4.5, and an endpoint id (held to 4.5 here)


def takes(model: str, size: Any) -> tuple[int, int] | None:
    """The pixel size `model` makes for `size`, or None when it refuses it."""
    if "seedream-3" in model:
        dims = parse_size(size or "1024x1024")
        return dims if size_ok(dims, sides=(512, 2048)) else None
    tiers = ("2K", "3K") if "seedream-5" in model else ("2K", "4K") if "seedream-4-5" in model else tuple(TIERS)
    if size is None or size in tiers:
        return TIERS[size or "2K"]
    dims = parse_size(size)
    low, high = pixels(model)
    return dims if size_ok(dims, pixels=(low, high), ratio=16.0) else None


class FakeSeedream(FakeServer):
    name = "seedream"
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [("POST", r"/api/v3/images/generations", "generate", True)]
    faults_supported = (*SYNC_FAULTS, *URL_FAULTS)

    @property
    def base_url(self) -> str:
        return self.url + "/api/v3"

    def error(self, status: int, message: str, param: str = "") -> Response:
        code, kind = CODES.get(status, ("InternalServiceError", "InternalServerError"))
        return Response.of({"error": {"code": code, "message": f"{message} Request id: {uuid.uuid4().hex}",
                                      "param": param, "type": kind}}, status,
                           **{"X-Request-Id": uuid.uuid4().hex})

    def generate(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str) or not body["prompt"]:
            return self.error(400, "The parameter `prompt` specified in the request is not valid.", "prompt")
        model = str(body.get("model") or "")
        if not model:
            return self.error(400, "The parameter `model` specified in the request is not valid.", "model")
        size = takes(model, body.get("size"))
        if size is None:
            return self.error(400, f"The parameter `size` specified in the request is not valid: "
                                   f"{body.get('size')}.", "size")
        as_b64 = body.get("response_format") == "b64_json"
        data = self.image(body["prompt"], body.get("seed") or 0, *size, fault)
        item = {"b64_json": base64.b64encode(data).decode()} if as_b64 else {"url": self.file_url(data, fault)}
        items = [] if fault == "empty" else [item | {"size": f"{size[0]}x{size[1]}"}]
        return Response.of({"model": model, "created": int(time.time()), "data": items,
                            "usage": {"generated_images": len(items), "output_tokens": 16384,
                                      "total_tokens": 16384}}, 200, **{"X-Request-Id": uuid.uuid4().hex})
