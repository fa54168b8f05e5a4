"""Fake fal.ai queue: submit → status (202 IN_QUEUE/IN_PROGRESS, 200 COMPLETED) → result, with the
status/result/cancel URLs on owner/app only (the sub-path dropped), as fal's queue does."""

from __future__ import annotations

import re
import time
from typing import Any

from .base import JOB_FAULTS, SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response


class FakeFal(FakeServer):
    name = "fal"
    is_async = True
    auth_scheme = "Key"
    routes = [("GET", r"/(?P<app>[^/]+/[^/]+)/requests/(?P<id>[^/]+)/status", "status", False),
              ("PUT", r"/(?P<app>[^/]+/[^/]+)/requests/(?P<id>[^/]+)/cancel", "cancel", False),
              ("GET", r"/(?P<app>[^/]+/[^/]+)/requests/(?P<id>[^/]+)", "result", False),
              ("POST", r"/(?P<model>[^/]+/[^/]+(?:/.+)?)", "submit", True)]
    faults_supported = (*SYNC_FAULTS, *URL_FAULTS, *JOB_FAULTS)

    def error(self, status: int, message: str) -> Response:
        return Response.of({"detail": message}, status, **{"x-fal-request-id": "fake-ingress"})

    def submit(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        if not isinstance(body, dict) or not body.get("prompt"):
            return Response.of({"detail": [{"loc": ["body", "prompt"], "msg": "field required",
                                            "type": "value_error.missing"}]}, 422)
        app = "/".join(m["model"].split("/")[:2])
        jid, job = self.job(fault, app=app, input=body)
        base = f"{self.url}/{app}/requests/{jid}"
        return Response.of({"request_id": jid, "status": "IN_QUEUE", "queue_position": 0, "response_url": base,
                            "status_url": base + "/status", "cancel_url": base + "/cancel"},
                           **{"x-fal-request-id": jid})

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
            return Response.of({"detail": "Runner crashed (injected)"}, 500, **{"x-fal-request-id": job["id"]})
        inp = job["input"]
        size = inp.get("image_size") if isinstance(inp.get("image_size"), dict) else {}
        w, h = size.get("width", 1024), size.get("height", 768)
        data = self.image(inp["prompt"], inp.get("seed"), w, h, job["fault"])
        images = [] if job["fault"] == "empty" else [
            {"url": self.file_url(data, job["fault"]), "width": w, "height": h, "content_type": "image/png"}]
        return Response.of({"images": images, "seed": inp.get("seed", 0), "timings": {"inference": self.latency},
                            "has_nsfw_concepts": [False] * len(images), "prompt": inp["prompt"]},
                           **{"x-fal-request-id": job["id"]})

    def cancel(self, req: Request, m: re.Match, fault: str | None) -> Response:
        job = self._job(m)
        if job is None:
            return Response.of({"status": "NOT_FOUND"}, 404)
        if job.get("over"):
            return Response.of({"status": "ALREADY_COMPLETED"}, 400)
        job["over"] = True
        return Response.of({"status": "CANCELLATION_REQUESTED"}, 202)
