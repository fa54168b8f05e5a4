"""Fake DeepInfra: the OpenAI-compatible /v1/openai/images/generations its model pages document (base64
out), and /v1/me for the key check."""

from __future__ import annotations

import base64
import re
import time
from typing import ClassVar

from .base import SYNC_FAULTS, FakeServer, Request, Response, parse_size, size_ok


class FakeDeepInfra(FakeServer):
    name = "deepinfra"
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("POST", r"/v1/openai/images/generations", "generate", True),
        ("GET", r"/v1/me", "me", False)]
    faults_supported = SYNC_FAULTS

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def credential(self, req: Request) -> str:      # DeepInfra documents "bearer" in lower case too
        auth = req.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else ""

    def error(self, status: int, message: str) -> Response:
        return Response.of({"detail": {"error": message}}, status)

    def generate(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        if not isinstance(body, dict) or not body.get("prompt") or not body.get("model"):
            return self.error(422, "model and prompt are required")
        size = parse_size(body.get("size") or "1024x1024")
        if not size_ok(size, multiple=16, sides=(128, 2048)):                # FLUX: sides ÷16 [I]
            return self.error(400, f"invalid size '{body.get('size')}'")
        assert size
        data = self.image(body["prompt"], 0, *size, fault)
        items = [] if fault == "empty" else [{"b64_json": base64.b64encode(data).decode(), "revised_prompt": None}]
        return Response.of({"created": int(time.time()), "data": items})

    def me(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return Response.of({"uid": "fake", "email": "fake@example.com", "balance": 10.0})
