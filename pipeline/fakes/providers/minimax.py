"""Fake MiniMax: POST /v1/image_generation (image-01, image-01-live), base64 or URLs (24 h) out.

MiniMax answers its own errors with HTTP 200 and `base_resp.status_code` (2013 invalid parameters, 1026
sensitive prompt, …); a refused key and the gateway's 429/5xx come as HTTP errors with the same body.
Size rules as the API reference states them: image-01 takes width × height, each 512–2048 and ÷8, or an
aspect_ratio (21:9 only for image-01); image-01-live only an aspect_ratio."""

from __future__ import annotations

import base64
import re
import uuid
from typing import ClassVar

from .base import SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response, size_ok

RATIOS = {"1:1": (1024, 1024), "16:9": (1280, 720), "4:3": (1152, 864), "3:2": (1248, 832), "2:3": (832, 1248),
          "3:4": (864, 1152), "9:16": (720, 1280), "21:9": (1344, 576)}
CODES = {400: 2013, 401: 1004, 403: 1008, 404: 2013, 429: 1002, 500: 1000, 502: 1000, 503: 1000}


class FakeMiniMax(FakeServer):
    name = "minimax"
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [("POST", r"/v1/image_generation", "generate", True)]
    faults_supported = (*SYNC_FAULTS, *URL_FAULTS)

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def error(self, status: int, message: str) -> Response:
        return self.refuse(CODES.get(status, 1000), message, status)

    @staticmethod
    def refuse(code: int, message: str, status: int = 200) -> Response:
        return Response.of({"id": uuid.uuid4().hex, "base_resp": {"status_code": code, "status_msg": message}},
                           status, **{"Trace-Id": uuid.uuid4().hex})

    def generate(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str) or not body["prompt"]:
            return self.refuse(2013, "invalid params, prompt is required")
        model = body.get("model")
        if model not in ("image-01", "image-01-live"):
            return self.refuse(2013, f"invalid params, model {model!r} is not supported")
        ratio, width, height = body.get("aspect_ratio"), body.get("width"), body.get("height")
        if ratio is not None:
            size = RATIOS.get(str(ratio)) if ratio != "21:9" or model == "image-01" else None
        elif model == "image-01" and width is not None and height is not None:
            whole = isinstance(width, int) and isinstance(height, int)
            size = (width, height) if whole and size_ok((width, height), multiple=8, sides=(512, 2048)) else None
        elif width is None and height is None:
            size = RATIOS["1:1"]
        else:
            size = None
        if size is None:
            return self.refuse(2013, f"invalid params, size {ratio or f'{width}x{height}'} is not supported "
                                     f"by {model}")
        data = self.image(body["prompt"], body.get("seed") or 0, *size, fault)
        if body.get("response_format", "url") == "base64":
            images = {"image_base64": [] if fault == "empty" else [base64.b64encode(data).decode()]}
        else:
            images = {"image_urls": [] if fault == "empty" else [self.file_url(data, fault)]}
        made = 0 if fault == "empty" else 1
        return Response.of({"id": uuid.uuid4().hex, "data": images,
                            "metadata": {"success_count": str(made), "failed_count": str(1 - made)},
                            "base_resp": {"status_code": 0, "status_msg": "success"}}, 200,
                           **{"Trace-Id": uuid.uuid4().hex})
