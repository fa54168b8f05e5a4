"""Fake DashScope 通义万相: async image-synthesis tasks (X-DashScope-Async required) and /tasks polling."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from .base import JOB_FAULTS, SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response


class FakeDashScope(FakeServer):
    name = "dashscope"
    is_async = True
    routes = [("POST", r"/api/v1/services/aigc/text2image/image-synthesis", "create", True),
              ("GET", r"/api/v1/tasks/(?P<id>[^/]+)", "task", False)]
    faults_supported = (*SYNC_FAULTS, *URL_FAULTS, *JOB_FAULTS)

    @property
    def base_url(self) -> str:
        return self.url + "/api/v1"

    def error(self, status: int, message: str) -> Response:
        code = {400: "InvalidParameter", 401: "InvalidApiKey", 403: "AccessDenied", 404: "ModelNotFound",
                429: "Throttling.RateQuota"}.get(status, "InternalError")
        if status == 429:
            message = "Requests rate limit exceeded, please try again later."
        return Response.of({"request_id": uuid.uuid4().hex, "code": code, "message": message}, status)

    def create(self, req: Request, m: re.Match, fault: str | None) -> Response:
        if req.headers.get("x-dashscope-async") != "enable":
            return Response.of({"request_id": uuid.uuid4().hex, "code": "AccessDenied",
                                "message": "current user api does not support synchronous calls"}, 403)
        body = req.json
        prompt = (body or {}).get("input", {}).get("prompt") if isinstance(body, dict) else None
        if not prompt:
            return self.error(400, "input.prompt is required")
        params = body.get("parameters") or {}
        size = re.fullmatch(r"(\d+)\*(\d+)", str(params.get("size", "1024*1024")))
        if not size or not all(512 <= int(v) <= 1440 for v in size.groups()):
            return self.error(400, f"The size is not match the allowed size: {params.get('size')}")
        jid, job = self.job(fault, prompt=prompt, seed=params.get("seed", 0), w=size[1], h=size[2],
                            submit=datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3])
        return Response.of({"output": {"task_status": "PENDING", "task_id": jid}, "request_id": uuid.uuid4().hex})

    def task(self, req: Request, m: re.Match, fault: str | None) -> Response:
        job = self.jobs.get(m["id"])
        if job is None:
            return Response.of({"request_id": uuid.uuid4().hex,
                                "output": {"task_id": m["id"], "task_status": "UNKNOWN"}})
        output: dict[str, Any] = {"task_id": job["id"], "submit_time": job["submit"]}
        if job.get("over") or self.job_done(job):
            job["over"] = True
            if job["fault"] == "jobfail":
                output |= {"task_status": "FAILED", "code": "InternalError.Algo",
                           "message": "Algorithm process error (injected)"}
            else:
                data = self.image(job["prompt"], job["seed"], job["w"], job["h"], job["fault"])
                if "url" not in job:
                    job["url"] = self.file_url(data, job["fault"])
                results = [] if job["fault"] == "empty" else [
                    {"url": job["url"], "orig_prompt": job["prompt"], "actual_prompt": job["prompt"]}]
                output |= {"task_status": "SUCCEEDED", "results": results,
                           "task_metrics": {"TOTAL": 1, "SUCCEEDED": len(results), "FAILED": 1 - len(results)}}
            return Response.of({"request_id": uuid.uuid4().hex, "output": output, "usage": {"image_count": 1}})
        output["task_status"] = "PENDING" if job["polls"] <= 1 else "RUNNING"
        return Response.of({"request_id": uuid.uuid4().hex, "output": output})
