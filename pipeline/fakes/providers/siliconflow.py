"""Fake SiliconFlow (硅基流动): POST /v1/images/generations → images[].url (kept one hour)."""

from __future__ import annotations

import re
import uuid
from typing import ClassVar

from .base import SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response, parse_size, size_ok

# the recommended sizes of the API reference
KOLORS = ((1024, 1024), (960, 1280), (768, 1024), (720, 1440), (720, 1280))
QWEN = ((1328, 1328), (1664, 928), (928, 1664), (1472, 1140), (1140, 1472), (1584, 1056), (1056, 1584))


class FakeSiliconFlow(FakeServer):
    name = "siliconflow"
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("POST", r"/v1/images/generations", "generate", True),
        ("GET", r"/v1/user/info", "user", False)]
    faults_supported = (*SYNC_FAULTS, *URL_FAULTS)

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def error(self, status: int, message: str) -> Response:
        code = {400: 20015, 401: 20001, 403: 30011, 404: 20012, 429: 50603}.get(status, 50500)
        if status == 429:
            message = "Request was rejected due to rate limiting. Details: IPM limit reached."
        return Response.of({"code": code, "message": message, "data": None}, status,
                           **{"x-siliconcloud-trace-id": uuid.uuid4().hex})

    def generate(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        if not isinstance(body, dict) or not body.get("prompt") or not body.get("model"):
            return self.error(400, "model and prompt are required")
        size = parse_size(body.get("image_size", "1024x1024"))
        if not size_ok(size, fixed=QWEN if str(body["model"]).startswith("Qwen/") else KOLORS):
            return self.error(400, f"invalid image_size '{body.get('image_size')}'")
        assert size
        seed = body.get("seed", 42)
        data = self.image(body["prompt"], seed, *size, fault)
        images = [] if fault == "empty" else [{"url": self.file_url(data, fault)}]
        return Response.of({"images": images, "timings": {"inference": self.latency}, "seed": seed}, 200,
                           **{"x-siliconcloud-trace-id": uuid.uuid4().hex})

    def user(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return Response.of({"code": 20000, "message": "OK", "status": True,
                            "data": {"id": "fake", "name": "fake", "balance": "10.00", "status": "normal"}})
