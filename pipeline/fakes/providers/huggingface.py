"""Fake Hugging Face Inference (hf-inference route): POST /models/{id} answers raw PNG bytes."""

from __future__ import annotations

import re
from typing import ClassVar

from .base import SYNC_FAULTS, FakeServer, Request, Response


class FakeHuggingFace(FakeServer):
    name = "huggingface"
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("POST", r"/models/(?P<model>.+)", "generate", True),
        ("GET", r"/api/whoami-v2", "whoami", False)]
    faults_supported = SYNC_FAULTS

    def error(self, status: int, message: str) -> Response:
        if status == 503:      # the classic "model is loading" answer
            return Response.of({"error": f"Model is currently loading: {message}",
                                "estimated_time": self.retry_after or 1.0}, 503)
        return Response.of({"error": message}, status)

    def generate(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        if not isinstance(body, dict) or not isinstance(body.get("inputs"), str):
            return self.error(422, "Input validation error: `inputs` must be a string")
        params = body.get("parameters") or {}
        if fault == "empty":
            return Response(200, b"", {"Content-Type": "image/png"})
        data = self.image(body["inputs"], params.get("seed"), params.get("width"), params.get("height"), fault)
        return Response(200, data, {"Content-Type": "image/png"})

    def whoami(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return Response.of({"type": "user", "name": "fake-user", "auth": {"type": "access_token"}})
