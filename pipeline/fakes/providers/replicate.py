"""Fake Replicate: predictions with `Prefer: wait`, polling, cancel, and files served from /files/.

As sdk-behaviour.md notes: a waited create that is not done answers `starting` (never `processing`),
and `version` is always a string."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any, ClassVar

from .base import JOB_FAULTS, SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response

VERSION = "5599ed30703defd1d160a25a63321b4dec97101d98b4674bcc56e41f62f35637"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class FakeReplicate(FakeServer):
    name = "replicate"
    is_async = True
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("POST", r"/v1/models/(?P<owner>[^/]+)/(?P<model>[^/]+)/predictions", "create", True),
        ("POST", r"/v1/predictions", "create", True),
        ("GET", r"/v1/predictions/(?P<id>[^/]+)", "get", False),
        ("POST", r"/v1/predictions/(?P<id>[^/]+)/cancel", "cancel", False),
        ("GET", r"/v1/models/(?P<owner>[^/]+)/(?P<model>[^/]+)/versions/(?P<version>[^/]+)", "version", False),
        ("GET", r"/v1/account", "account", False)]
    faults_supported = (*SYNC_FAULTS, *URL_FAULTS, *JOB_FAULTS)

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def error(self, status: int, message: str) -> Response:
        titles = {401: "Unauthenticated", 402: "Payment Required", 403: "Forbidden", 404: "Not found",
                  422: "Input validation failed", 429: "Too Many Requests"}
        if status == 429:
            message = f"Request was throttled. Your rate limit resets in ~{self.retry_after or 1:g}s."
        return Response.of({"type": "https://replicate.com/docs/reference/http#errors",
                            "title": titles.get(status, "Internal Server Error"), "status": status,
                            "detail": message}, status, **{"Content-Type": "application/problem+json"})

    def create(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            return self.error(422, "input is required")
        model = f"{m['owner']}/{m['model']}" if "owner" in m.groupdict() else "owner/versioned-model"
        if "owner" not in m.groupdict() and not body.get("version"):
            return self.error(422, "version is required")
        _jid, job = self.job(fault, model=model, input=body["input"], created_at=_now(),
                             version=str(body.get("version") or VERSION))
        wait = self._prefer_wait(req.headers.get("prefer", ""))
        if wait is not None:
            self._stop.wait(max(0.0, min(wait, job["ready_at"] - time.monotonic())))
            if time.monotonic() >= job["ready_at"] and self.polls <= 1:
                return Response.of(self._finish(job), 201)
        return Response.of(self._prediction(job, "starting"), 201)

    @staticmethod
    def _prefer_wait(prefer: str) -> float | None:
        m = re.search(r"\bwait(?:=(\d+))?", prefer)
        return None if m is None else float(m.group(1) or 60)

    def get(self, req: Request, m: re.Match, fault: str | None) -> Response:
        job = self.jobs.get(m["id"])
        if job is None:
            return self.error(404, "Prediction not found")
        if job.get("status") in ("succeeded", "failed", "canceled"):
            return Response.of(self._prediction(job, job["status"]))
        if self.job_done(job):
            return Response.of(self._finish(job))
        return Response.of(self._prediction(job, "processing"))

    def cancel(self, req: Request, m: re.Match, fault: str | None) -> Response:
        job = self.jobs.get(m["id"])
        if job is None:
            return self.error(404, "Prediction not found")
        job.setdefault("status", "canceled")
        job["over"] = True
        return Response.of(self._prediction(job, job["status"]))

    def version(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return Response.of({"id": m["version"], "created_at": _now(), "cog_version": "0.9.0",
                            "openapi_schema": {"components": {"schemas": {"Output": {
                                "type": "array", "items": {"type": "string", "format": "uri"}}}}}})

    def account(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return Response.of({"type": "user", "username": "fake-user", "name": "Fake User"})

    def _finish(self, job: dict[str, Any]) -> dict[str, Any]:
        fault = job["fault"]
        job["over"] = True
        if fault == "jobfail":
            job["status"], job["error"] = "failed", "CUDA out of memory (injected)"
        else:
            job["status"] = "succeeded"
            inp = job["input"]
            width, height = inp.get("width"), inp.get("height")
            if inp.get("aspect_ratio"):                  # FLUX-style: about one megapixel at that ratio
                w, _, h = str(inp["aspect_ratio"]).partition(":")
                ratio = int(w) / int(h)
                width, height = int((1e6 * ratio) ** 0.5) // 16 * 16, int((1e6 / ratio) ** 0.5) // 16 * 16
            data = self.image(inp.get("prompt", ""), inp.get("seed"), width, height, fault)
            job["output"] = None if fault == "empty" else [self.file_url(data, fault)]
        return self._prediction(job, job["status"])

    def _prediction(self, job: dict[str, Any], status: str) -> dict[str, Any]:
        get = f"{self.base_url}/predictions/{job['id']}"
        return {"id": job["id"], "model": job["model"], "version": job["version"], "input": job["input"],
                "logs": "", "output": job.get("output"), "error": job.get("error"), "status": status,
                "data_removed": False, "created_at": job["created_at"],
                "completed_at": _now() if status in ("succeeded", "failed", "canceled") else None,
                "urls": {"get": get, "cancel": get + "/cancel"}}
