"""Fake Stability AI Stable Image API: POST /v2beta/stable-image/generate/{ultra,core,sd3} as a multipart
form; `Accept: image/*` answers the image's bytes (finish-reason and seed headers), `Accept:
application/json` answers {"image": base64, "finish_reason", "seed"}. Errors are {"id", "name",
"errors": […]}. The aspect ratio must be one of the documented nine."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import re
import uuid
from typing import ClassVar

from .base import SYNC_FAULTS, FakeServer, Request, Response

ASPECTS = ("16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21")
SD3_MODELS = ("sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium", "sd3.5-flash", "sd3-large", "sd3-large-turbo",
              "sd3-medium")
NAMES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 413: "payload_too_large",
         422: "invalid_parameters", 429: "rate_limit_exceeded"}


def form_fields(req: Request) -> dict[str, str] | None:
    """The text fields of a multipart/form-data body, or None when the body is not one."""
    ctype = req.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        return None
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {ctype}\r\n\r\n".encode() + req.body)
    if not message.is_multipart():
        return None
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            data = part.get_payload(decode=True)          # form fields are UTF-8, as web frameworks read them
            fields[name] = data.decode("utf-8", "replace") if isinstance(data, bytes) else ""
    return fields


class FakeStability(FakeServer):
    name = "stability"
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("POST", r"/v2beta/stable-image/generate/(?P<kind>ultra|core|sd3)", "generate", True),
        ("GET", r"/v1/user/account", "account", False)]
    faults_supported = SYNC_FAULTS

    def error(self, status: int, message: str) -> Response:
        if status == 429:
            message = "You have exceeded the rate limit of 150 requests within a 10 second period."
        return Response.of({"id": uuid.uuid4().hex, "name": NAMES.get(status, "internal_error"),
                            "errors": [message]}, status)

    def generate(self, req: Request, m: re.Match, fault: str | None) -> Response:
        form = form_fields(req)
        accept = req.headers.get("accept", "")
        if form is None:
            return self.error(400, "content-type: must be multipart/form-data")
        if not form.get("prompt"):
            return self.error(400, "prompt: cannot be empty")
        if form.get("aspect_ratio", "1:1") not in ASPECTS:
            return self.error(400, f"aspect_ratio: must be one of {', '.join(ASPECTS)}")
        if m["kind"] == "sd3" and form.get("model", "sd3.5-large") not in SD3_MODELS:
            return self.error(400, f"model: must be one of {', '.join(SD3_MODELS)}")
        if accept not in ("image/*", "application/json"):
            return self.error(400, "accept: must be image/* or application/json")
        seed = int(form["seed"]) if form.get("seed", "").isdigit() and int(form["seed"]) else 42
        w, h = (int(v) for v in form.get("aspect_ratio", "1:1").split(":"))
        data = self.image(form["prompt"], seed, int((1e6 * w / h) ** 0.5), int((1e6 * h / w) ** 0.5), fault)
        reason = "CONTENT_FILTERED" if fault == "empty" else "SUCCESS"      # a blurred picture, no image to use
        if accept == "application/json":
            return Response.of({"image": base64.b64encode(data).decode(), "finish_reason": reason, "seed": seed})
        return Response(200, data, {"Content-Type": "image/png", "finish-reason": reason, "seed": str(seed)})

    def account(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return Response.of({"id": "user-fake", "email": "fake@example.com", "organizations": []})
