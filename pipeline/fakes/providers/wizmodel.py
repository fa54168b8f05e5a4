"""Fake WizModel, after its published example: Bearer key, {"version", "input"} in, an image URL out."""

from __future__ import annotations

import re
import uuid
from typing import ClassVar

from .base import JOB_FAULTS, SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response


class FakeWizModel(FakeServer):
    name = "wizmodel"
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("POST", r"/v1/predictions", "predict", True),
        ("GET", r"/v1/predictions", "listing", False)]
    faults_supported = (*SYNC_FAULTS, *URL_FAULTS, *JOB_FAULTS)

    def error(self, status: int, message: str) -> Response:
        return Response.of({"detail": message}, status)

    def predict(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict) or not body.get("version"):
            return self.error(422, "version and input are required")
        inp = body["input"]
        if fault == "jobfail":
            return Response.of({"id": uuid.uuid4().hex, "status": "failed", "error": "model crashed (injected)"})
        data = self.image(inp.get("prompt", ""), inp.get("seed"), inp.get("width", 512), inp.get("height", 512), fault)
        output = [] if fault == "empty" else [self.file_url(data, fault)]
        return Response.of({"id": uuid.uuid4().hex, "status": "succeeded", "output": output})

    def listing(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return Response.of({"results": []})
