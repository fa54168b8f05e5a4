"""Fake Gemini API: POST /{v1,v1beta}/models/{model}:generateContent with `x-goog-api-key` (or ?key=),
the aspect ratio checked against the model's list, the picture back as base64 inlineData; Google's
error shape (a refused key is HTTP 400 INVALID_ARGUMENT, reason API_KEY_INVALID; a 429 says its
RetryInfo). google-genai talks to it as it talks to Google (sdk-behaviour.md: v1 or v1beta, HTTP 200 only)."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any, ClassVar

from .base import SYNC_FAULTS, FakeServer, Request, Response

ASPECTS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
EXTREME = ("1:4", "4:1", "1:8", "8:1")                   # gemini-3.1-flash-image only
SIZES = {"gemini-3.1-flash-image": ("512", "1K", "2K", "4K"), "gemini-3": ("1K", "2K", "4K")}
STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
          429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE"}


def aspects_of(model: str) -> tuple[str, ...]:
    return ASPECTS + EXTREME if model.startswith("gemini-3.1-flash-image") else ASPECTS


def pixels(aspect: str, size: str) -> tuple[int, int]:
    """About 1 MP for 1K (4 for 2K, 16 for 4K, a quarter for 512), in the ratio, sides multiples of 16."""
    w, h = (int(v) for v in aspect.split(":"))
    area = {"512": 0.25, "1K": 1.0, "2K": 4.0, "4K": 16.0}[size] * 1024 * 1024
    return int((area * w / h) ** 0.5) // 16 * 16, int((area * h / w) ** 0.5) // 16 * 16


class FakeGemini(FakeServer):
    name = "gemini"
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("POST", r"/(?P<version>v1|v1beta)/models/(?P<model>[^/:]+):generateContent", "generate", True),
        ("GET", r"/(?P<version>v1|v1beta)/models/(?P<model>[^/:]+)", "model", False)]
    faults_supported = SYNC_FAULTS

    @property
    def base_url(self) -> str:
        return self.url + "/v1beta"

    def credential(self, req: Request) -> str:
        return req.headers.get("x-goog-api-key") or req.query.get("key") or ""

    def refused_key(self, req: Request) -> Response:
        return self.error(400, "API key not valid. Please pass a valid API key.", reason="API_KEY_INVALID")

    def error(self, status: int, message: str, reason: str | None = None) -> Response:
        details: list[dict[str, Any]] = []
        if reason:
            details.append({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                            "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}})
        if status == 429:
            message = "You exceeded your current quota, please check your plan and billing details."
            if self.retry_after is not None:
                details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                "retryDelay": f"{self.retry_after:g}s"})
        error = {"code": status, "message": message, "status": STATUS.get(status, "UNKNOWN")}
        return Response.of({"error": error | ({"details": details} if details else {})}, status)

    def generate(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body: dict[str, Any] = req.json if isinstance(req.json, dict) else {}
        texts = [str(p["text"]) for c in body.get("contents") or [] if isinstance(c, dict)
                 for p in c.get("parts") or [] if isinstance(p, dict) and isinstance(p.get("text"), str)]
        if not texts:
            return self.error(400, "* GenerateContentRequest.contents: contents is not specified")
        config: dict[str, Any] = body["generationConfig"] if isinstance(body.get("generationConfig"), dict) else {}
        image: dict[str, Any] = config["imageConfig"] if isinstance(config.get("imageConfig"), dict) else {}
        model, aspect, size = m["model"], image.get("aspectRatio", "1:1"), image.get("imageSize", "1K")
        if aspect not in aspects_of(model):
            return self.error(400, f"Unsupported aspect ratio {aspect!r} for model {model}.")
        sizes = next((v for prefix, v in SIZES.items() if model.startswith(prefix)), ("1K",))
        if size not in sizes:
            return self.error(400, f"Unsupported image size {size!r} for model {model}.")
        if fault == "empty":                      # the model answers in words only
            parts: list[dict[str, Any]] = [{"text": "I can't draw that, but here is a description instead."}]
        else:
            data = self.image(" ".join(texts), config.get("seed"), *pixels(aspect, size), fault)
            parts = [{"inlineData": {"mimeType": "image/png", "data": base64.b64encode(data).decode()}}]
        return Response.of({"candidates": [{"content": {"parts": parts, "role": "model"}, "finishReason": "STOP",
                                            "index": 0}],
                            "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 1290,
                                              "totalTokenCount": 1302},
                            "modelVersion": model, "responseId": uuid.uuid4().hex[:22]})

    def model(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return Response.of({"name": f"models/{m['model']}", "version": "2.0", "displayName": m["model"],
                            "inputTokenLimit": 32768, "outputTokenLimit": 32768,
                            "supportedGenerationMethods": ["generateContent", "countTokens"]})
