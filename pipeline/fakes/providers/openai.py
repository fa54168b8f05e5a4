"""Fake OpenAI Images API: POST /v1/images/generations for the GPT image models, base64 out.

Size rules as images.generate documents them: gpt-image-2 takes sides ÷16, long/short ≤ 3:1 and
655,360–8,294,400 pixels (at most 3840×2160); gpt-image-1, -1-mini, -1.5 three sizes; dall-e-2/3 are gone."""

from __future__ import annotations

import base64
import re
import time
import uuid
from typing import ClassVar

from .base import SYNC_FAULTS, FakeServer, Request, Response, parse_size, size_ok

FIXED = ((1024, 1024), (1536, 1024), (1024, 1536))


def takes(model: str, size: str) -> bool:
    """Whether `model` takes `size` (a GPT image model; "auto" always)."""
    if size == "auto":
        return True
    if model.startswith("gpt-image-2"):
        return size_ok(parse_size(size), multiple=16, sides=(16, 3840), pixels=(655_360, 3840 * 2160), ratio=3.0)
    return size_ok(parse_size(size), fixed=FIXED)


class FakeOpenAI(FakeServer):
    name = "openai"
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("POST", r"/v1/images/generations", "generate", True),
        ("GET", r"/v1/models", "models", False)]
    faults_supported = SYNC_FAULTS

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def error(self, status: int, message: str) -> Response:
        kind = {401: ("invalid_request_error", "invalid_api_key"), 429: ("requests", "rate_limit_exceeded"),
                404: ("invalid_request_error", "model_not_found")}.get(status, ("server_error" if status >= 500
                                                                                 else "invalid_request_error", None))
        return Response.of({"error": {"message": message, "type": kind[0], "param": None, "code": kind[1]}},
                           status, **{"x-request-id": f"req_{uuid.uuid4().hex[:16]}"})

    def generate(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        if not isinstance(body, dict) or not body.get("prompt"):
            return self.error(400, "Missing required parameter: 'prompt'.")
        model = str(body.get("model") or "dall-e-2")
        if model.startswith("dall-e"):
            return self.error(404, f"The model `{model}` has been deprecated. "
                                   "Learn more: https://platform.openai.com/docs/deprecations")
        if not model.startswith(("gpt-image-", "chatgpt-image")):
            return self.error(404, f"The model '{model}' does not exist or you do not have access to it.")
        size = str(body.get("size") or "auto")
        if not takes(model, size):
            return self.error(400, f"Invalid value: '{size}'. Supported values are: "
                                   + ("WIDTHxHEIGHT with sides divisible by 16, ratio at most 3:1, 655360 to "
                                      "8294400 pixels" if model.startswith("gpt-image-2")
                                      else "'1024x1024', '1024x1536', '1536x1024', and 'auto'") + ".")
        w, _, h = ("1024x1024" if size == "auto" else size).partition("x")
        data = self.image(body["prompt"], 0, w, h, fault)
        item = {"b64_json": base64.b64encode(data).decode()}
        out = {"created": int(time.time()), "data": [] if fault == "empty" else [item], "background": "opaque",
               "output_format": "png", "quality": "medium", "size": f"{w}x{h}",
               "usage": {"total_tokens": 100, "input_tokens": 10, "output_tokens": 90,
                         "input_tokens_details": {"text_tokens": 10, "image_tokens": 0}}}
        return Response.of(out, 200, **{"x-request-id": f"req_{uuid.uuid4().hex[:16]}"})

    def models(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return Response.of({"object": "list", "data": [{"id": k, "object": "model", "owned_by": "openai"}
                                                       for k in ("gpt-image-1", "gpt-image-2")]})
