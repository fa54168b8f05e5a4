"""Fake Stable Diffusion WebUI API: POST /sdapi/v1/txt2img → base64 images and an `info` JSON string.
With a key ("user:password") it demands HTTP Basic auth, like a WebUI started with --api-auth."""

from __future__ import annotations

import base64
import json
import random
import re
from typing import ClassVar

from .base import SYNC_FAULTS, FakeServer, Request, Response


class FakeSDWebUI(FakeServer):
    name = "sdwebui"
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("POST", r"/sdapi/v1/txt2img", "txt2img", True),
        ("GET", r"/sdapi/v1/sd-models", "models", False)]
    faults_supported = SYNC_FAULTS

    def __init__(self, *, key: str | None = None, **knobs):
        super().__init__(key=key, **knobs)

    def credential(self, req: Request) -> str:       # HTTP Basic: base64 of "user:password"
        auth = req.headers.get("authorization", "")
        try:
            return base64.b64decode(auth[6:], validate=True).decode() if auth.startswith("Basic ") else ""
        except ValueError:
            return ""

    def error(self, status: int, message: str) -> Response:
        if status == 401:
            return Response.of({"detail": "Incorrect username or password"}, 401, **{"WWW-Authenticate": "Basic"})
        return Response.of({"error": "RuntimeError", "detail": "", "body": "", "errors": message}, status)

    def txt2img(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        if not isinstance(body, dict):
            return Response.of({"detail": [{"loc": ["body"], "msg": "field required", "type": "value_error"}]}, 422)
        seed = body.get("seed", -1)
        seed = random.randrange(2**32) if seed in (-1, None) else seed
        data = self.image(body.get("prompt", ""), seed, body.get("width", 512), body.get("height", 512), fault)
        images = [] if fault == "empty" else [base64.b64encode(data).decode()]
        info = {"prompt": body.get("prompt", ""), "seed": seed, "all_seeds": [seed], "width": body.get("width", 512),
                "height": body.get("height", 512), "sd_model_name": "fake-sd15"}
        return Response.of({"images": images, "parameters": body, "info": json.dumps(info)})

    def models(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return Response.of([{"title": "fake-sd15.safetensors [0000]", "model_name": "fake-sd15",
                             "filename": "/models/fake-sd15.safetensors"}])
