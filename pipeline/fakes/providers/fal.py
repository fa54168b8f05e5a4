"""Fake fal.ai: the queue (submit → status (202 IN_QUEUE/IN_PROGRESS, 200 COMPLETED) → result, with the
status/result/cancel URLs on owner/app only, the sub-path dropped, as fal's queue does) and, on a
second port, the synchronous host (fal.run: POST /{model} answers the result itself), so fal_client's
`run` and `subscribe` both work against it (point RUN_URL_FORMAT at `run_url`, QUEUE_URL_FORMAT at `url`)."""

from __future__ import annotations

import re
import time
import uuid
from http.server import ThreadingHTTPServer
from typing import Any, ClassVar

from .base import JOB_FAULTS, SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response


def tagged(resp: Response, request_id: str) -> Response:
    """`resp` as fal's servers send it: with the request's id (its absence marks an ingress error)."""
    resp.headers["x-fal-request-id"] = request_id
    return resp


class FakeFal(FakeServer):
    name = "fal"
    is_async = True
    auth_scheme = "Key"
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("GET", r"/(?P<app>[^/]+/[^/]+)/requests/(?P<id>[^/]+)/status", "status", False),
        ("PUT", r"/(?P<app>[^/]+/[^/]+)/requests/(?P<id>[^/]+)/cancel", "cancel", False),
        ("GET", r"/(?P<app>[^/]+/[^/]+)/requests/(?P<id>[^/]+)", "result", False),
        ("POST", r"/(?P<model>[^/]+/[^/]+(?:/.+)?)", "submit", True)]
    faults_supported = (*SYNC_FAULTS, *URL_FAULTS, *JOB_FAULTS)
    SYNC = re.compile(r"/(?P<model>[^/]+/[^/]+(?:/.+)?)")

    def __init__(self, **knobs: Any):
        super().__init__(**knobs)
        self._sync: ThreadingHTTPServer | None = None

    def start(self) -> FakeFal:
        super().start()
        self._sync = self.listen()
        return self

    @property
    def run_url(self) -> str:
        """The synchronous host (fal.run's part)."""
        assert self._sync, "start() the fake first"
        return self.url_of(self._sync)

    def error(self, status: int, message: str) -> Response:
        return tagged(Response.of({"detail": message}, status), "fake-ingress")

    def _route(self, req: Request) -> Response:
        if not self._sync or req.port != self._sync.server_address[1] or req.path.startswith("/files/"):
            return super()._route(req)
        m = self.SYNC.fullmatch(req.path)                 # the sync host: POST /{model} and nothing else
        if req.method != "POST" or not m:
            return self.error(404, "Not Found")
        if not self.authorized(req):
            return self.refused_key(req)
        return self._generate(req, m, "run")

    def run(self, req: Request, m: re.Match, fault: str | None) -> Response:
        """The model's output itself (fal.run runs the request and answers when it is done)."""
        body = req.json
        if not isinstance(body, dict) or not body.get("prompt"):
            return Response.of({"detail": [{"loc": ["body", "prompt"], "msg": "field required",
                                            "type": "value_error.missing"}]}, 422)
        rid = str(uuid.uuid4())
        if fault == "jobfail":
            return tagged(Response.of({"detail": "Runner crashed (injected)"}, 500), rid)
        return tagged(Response.of(self.output(body, fault)), rid)

    def submit(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        if not isinstance(body, dict) or not body.get("prompt"):
            return Response.of({"detail": [{"loc": ["body", "prompt"], "msg": "field required",
                                            "type": "value_error.missing"}]}, 422)
        app = "/".join(m["model"].split("/")[:2])
        jid, _ = self.job(fault, app=app, input=body)
        base = f"{self.url}/{app}/requests/{jid}"
        return tagged(Response.of({"request_id": jid, "status": "IN_QUEUE", "queue_position": 0,
                                   "response_url": base, "status_url": base + "/status",
                                   "cancel_url": base + "/cancel"}), jid)

    def _job(self, m: re.Match) -> dict[str, Any] | None:
        job = self.jobs.get(m["id"])
        return job if job and job["app"] == m["app"] else None

    def status(self, req: Request, m: re.Match, fault: str | None) -> Response:
        job = self._job(m)
        if job is None:
            return self.error(404, "Request not found")
        base = f"{self.url}/{job['app']}/requests/{job['id']}"
        if job.get("over") or self.job_done(job):
            job["over"] = True
            done: dict[str, Any] = {"status": "COMPLETED", "logs": None, "response_url": base,
                                    "metrics": {"inference_time": self.latency}}
            if job["fault"] == "jobfail":
                done |= {"error": "Runner crashed (injected)", "error_type": "runner_error"}
            return Response.of(done)
        if job["polls"] <= 1 and time.monotonic() < job["ready_at"] - self.latency / 2:
            return Response.of({"status": "IN_QUEUE", "queue_position": 0, "response_url": base}, 202)
        return Response.of({"status": "IN_PROGRESS", "logs": [], "response_url": base}, 202)

    def result(self, req: Request, m: re.Match, fault: str | None) -> Response:
        job = self._job(m)
        if job is None:
            return self.error(404, "Request not found")
        if not job.get("over"):
            return Response.of({"detail": "Request is still in progress"}, 400)
        if job["fault"] == "jobfail":
            return tagged(Response.of({"detail": "Runner crashed (injected)"}, 500), job["id"])
        return tagged(Response.of(self.output(job["input"], job["fault"])), job["id"])

    def output(self, inp: dict[str, Any], fault: str | None) -> dict[str, Any]:
        """A text-to-image app's output for input `inp`."""
        size: dict[str, Any] = inp["image_size"] if isinstance(inp.get("image_size"), dict) else {}
        w, h = size.get("width", 1024), size.get("height", 768)
        data = self.image(inp["prompt"], inp.get("seed"), w, h, fault)
        images = [] if fault == "empty" else [
            {"url": self.file_url(data, fault), "width": w, "height": h, "content_type": "image/png"}]
        return {"images": images, "seed": inp.get("seed", 0), "timings": {"inference": self.latency},
                "has_nsfw_concepts": [False] * len(images), "prompt": inp["prompt"]}

    def cancel(self, req: Request, m: re.Match, fault: str | None) -> Response:
        job = self._job(m)
        if job is None:
            return Response.of({"status": "NOT_FOUND"}, 404)
        if job.get("over"):
            return Response.of({"status": "ALREADY_COMPLETED"}, 400)
        job["over"] = True
        return Response.of({"status": "CANCELLATION_REQUESTED"}, 202)
