"""Fake Black Forest Labs API: POST /v1/{model} with `x-key` → {id, polling_url}; GET the polling_url
(/v1/get_result?id=…, no key needed) → Pending … Ready with result.sample, a signed URL on the delivery
host: a second port of this fake (delivery.*.bfl.ai in life), so the result is fetched from another
origin, without the key. Sizes are checked per model as docs.bfl.ai states them; errors are FastAPI's
{"detail": …}."""

from __future__ import annotations

import re
import time
from http.server import ThreadingHTTPServer
from typing import Any, ClassVar

from .base import JOB_FAULTS, SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response

ULTRA_OR_KONTEXT = re.compile(r"flux-pro-1\.1-ultra.*|flux-kontext-.*")


def size_error(model: str, body: dict[str, Any]) -> str | None:
    """Why this model refuses the request's size, or None."""
    if ULTRA_OR_KONTEXT.fullmatch(model):
        m = re.fullmatch(r"(\d+):(\d+)", str(body.get("aspect_ratio", "16:9")))
        if not m or not 9 / 21 - 1e-9 <= int(m[1]) / max(1, int(m[2])) <= 21 / 9 + 1e-9:
            return "aspect_ratio must be between 21:9 and 9:21"
        return None
    width, height = body.get("width", 1024), body.get("height", 768)
    if not all(isinstance(v, int) for v in (width, height)):
        return "width and height must be integers"
    if model.startswith("flux-2-"):
        if width % 16 or height % 16 or min(width, height) < 64 or width * height > 2048 * 2048:
            return "width and height must be multiples of 16, at least 64, and at most 4 megapixels together"
    elif width % 32 or height % 32 or not (256 <= width <= 1440 and 256 <= height <= 1440):
        return "width and height must be multiples of 32 between 256 and 1440"
    return None


class FakeBFL(FakeServer):
    name = "bfl"
    is_async = True
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("GET", r"/v1/get_result", "result", False),
        ("GET", r"/v1/credits", "credits", False),
        ("POST", r"/v1/(?P<model>flux-[a-z0-9.-]+)", "submit", True)]
    faults_supported = (*SYNC_FAULTS, *URL_FAULTS, *JOB_FAULTS)

    def __init__(self, **knobs: Any):
        super().__init__(**knobs)
        self._delivery: ThreadingHTTPServer | None = None

    def start(self) -> FakeBFL:
        super().start()
        self._delivery = self.listen()
        return self

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    @property
    def delivery_url(self) -> str:
        assert self._delivery, "start() the fake first"
        return self.url_of(self._delivery)

    @property
    def result_origins(self) -> list[str]:
        return [self.delivery_url]

    def credential(self, req: Request) -> str:
        return req.headers.get("x-key", "")

    def authorized(self, req: Request) -> bool:
        return req.path == "/v1/get_result" or super().authorized(req)     # no key needed to read a result

    def refused_key(self, req: Request) -> Response:
        if not req.headers.get("x-key"):
            return self.error(403, "Not authenticated")
        return self.error(401, "Invalid API key")

    def error(self, status: int, message: str) -> Response:
        if status == 429:
            message = "You have reached the limit of 24 active tasks. Wait for tasks to finish, then retry."
        return Response.of({"detail": message}, status)

    def file_url(self, data: bytes, fault: str | None = None) -> str:
        """A signed delivery URL (on link_base instead when answers are made to point elsewhere)."""
        url = super().file_url(data, fault).replace(self.url, self.link_base or self.delivery_url)
        return url + f"?se={int(time.time()) + 600}&sig=fake-signature"

    def _route(self, req: Request) -> Response:
        if self._delivery and req.port == self._delivery.server_address[1] and not req.path.startswith("/files/"):
            return Response.of({"detail": "Not Found"}, 404)     # the delivery host serves results only
        return super()._route(req)

    def submit(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str) or not body["prompt"]:
            return Response.of({"detail": [{"loc": ["body", "prompt"], "msg": "Field required",
                                            "type": "missing"}]}, 422)
        if (why := size_error(m["model"], body)) is not None:
            return Response.of({"detail": [{"loc": ["body"], "msg": why, "type": "value_error"}]}, 422)
        jid, _ = self.job(fault, model=m["model"], input=body)
        return Response.of({"id": jid, "polling_url": f"{self.url}/v1/get_result?id={jid}", "cost": 3.0,
                            "input_mp": 0.0, "output_mp": 1.0})

    def result(self, req: Request, m: re.Match, fault: str | None) -> Response:
        job = self.jobs.get(req.query.get("id", ""))
        if job is None:
            return Response.of({"id": req.query.get("id", ""), "status": "Task not found"}, 404)
        if not (job.get("over") or self.job_done(job)):
            return Response.of({"id": job["id"], "status": "Pending", "result": None, "progress": 0.5,
                                "details": None, "preview": None})
        job["over"] = True
        if job["fault"] == "jobfail":
            return Response.of({"id": job["id"], "status": "Error", "result": None, "progress": None,
                                "details": {"error": "Generation failed (injected)"}, "preview": None})
        if "sample" not in job:
            inp = job["input"]
            w, h = inp.get("width") or 1024, inp.get("height") or 768
            if "aspect_ratio" in inp:
                a, b = (int(v) for v in str(inp["aspect_ratio"]).split(":"))
                w, h = int((1e6 * a / b) ** 0.5) // 32 * 32, int((1e6 * b / a) ** 0.5) // 32 * 32
            data = self.image(inp["prompt"], inp.get("seed"), w, h, job["fault"])
            job["sample"] = None if job["fault"] == "empty" else self.file_url(data, job["fault"])
        inp = job["input"]
        sample = job["sample"] and {"sample": job["sample"], "prompt": inp["prompt"], "seed": inp.get("seed"),
                                    "start_time": 1764036000.1, "end_time": 1764036004.2, "duration": 4.1}
        return Response.of({"id": job["id"], "status": "Ready", "result": sample, "progress": None,
                            "details": None, "preview": None})

    def credits(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return Response.of({"credits": 1000.0})
