"""Fake DeepInfra: native /v1/inference/{model} (data: URLs) and OpenAI-style /v1/openai/images/generations."""

from __future__ import annotations

import base64
import re
import uuid

from .base import SYNC_FAULTS, FakeServer, Request, Response


class FakeDeepInfra(FakeServer):
    name = "deepinfra"
    routes = [("POST", r"/v1/openai/images/generations", "openai", True),
              ("POST", r"/v1/inference/(?P<model>.+)", "inference", True),
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

    def inference(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        if not isinstance(body, dict) or not body.get("prompt"):
            return self.error(422, "prompt is required")
        data = self.image(body["prompt"], body.get("seed"), body.get("width"), body.get("height"), fault)
        images = [] if fault == "empty" else ["data:image/png;base64," + base64.b64encode(data).decode()]
        return Response.of({"images": images, "nsfw_content_detected": [False] * len(images),
                            "seed": body.get("seed", 0), "request_id": uuid.uuid4().hex,
                            "inference_status": {"status": "succeeded", "runtime_ms": int(self.latency * 1000),
                                                 "cost": 0.0003, "tokens_generated": 0, "tokens_input": 0,
                                                 "output_length": 0}})

    def openai(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json or {}
        w, _, h = str(body.get("size", "1024x1024")).partition("x")
        data = self.image(body.get("prompt", ""), 0, w, h, fault)
        items = [] if fault == "empty" else [{"b64_json": base64.b64encode(data).decode(), "revised_prompt": None}]
        return Response.of({"created": 1707000000, "data": items})

    def me(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return Response.of({"uid": "fake", "email": "fake@example.com", "balance": 10.0})
