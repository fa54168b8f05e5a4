"""Fake OpenAI Images API: POST /v1/images/generations with per-model size rules, b64_json or url."""

from __future__ import annotations

import base64
import re
import time
import uuid

from .base import SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response

SIZES = {"dall-e-2": {"256x256", "512x512", "1024x1024"},
         "dall-e-3": {"1024x1024", "1792x1024", "1024x1792"},
         "gpt-image": {"1024x1024", "1536x1024", "1024x1536", "auto"}}


class FakeOpenAI(FakeServer):
    name = "openai"
    routes = [("POST", r"/v1/images/generations", "generate", True),
              ("GET", r"/v1/models", "models", False)]
    faults_supported = (*SYNC_FAULTS, *URL_FAULTS)

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
        model = body.get("model", "dall-e-2")
        family = next((f for f in SIZES if model.startswith(f)), None)
        if family is None:
            return self.error(404, f"The model '{model}' does not exist or you do not have access to it.")
        size = body.get("size", "auto" if family == "gpt-image" else "1024x1024")
        if size not in SIZES[family]:
            return self.error(400, f"Invalid value: '{size}'. Supported values are: "
                                   f"{', '.join(sorted(SIZES[family]))}.")
        w, _, h = ("1024x1024" if size == "auto" else size).partition("x")
        data = self.image(body["prompt"], 0, w, h, fault)
        as_url = family != "gpt-image" and body.get("response_format", "url") == "url"
        item = {"url": self.file_url(data, fault)} if as_url else {"b64_json": base64.b64encode(data).decode()}
        if family == "dall-e-3":
            item["revised_prompt"] = body["prompt"]
        out = {"created": int(time.time()), "data": [] if fault == "empty" else [item]}
        if family == "gpt-image":
            out |= {"background": "opaque", "output_format": "png", "quality": "medium", "size": f"{w}x{h}",
                    "usage": {"total_tokens": 100, "input_tokens": 10, "output_tokens": 90,
                              "input_tokens_details": {"text_tokens": 10, "image_tokens": 0}}}
        return Response.of(out, **{"x-request-id": f"req_{uuid.uuid4().hex[:16]}"})

    def models(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return Response.of({"object": "list", "data": [{"id": k, "object": "model", "owned_by": "openai"}
                                                       for k in ("dall-e-2", "dall-e-3", "gpt-image-1")]})
