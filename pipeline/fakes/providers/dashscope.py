"""Fake DashScope: 通义万相 async image-synthesis tasks (X-DashScope-Async required) with /tasks polling, and
the synchronous multimodal generation of Qwen-Image and wan2.6-t2i (`messages` in, an image URL out).

Size rules as the model pages state them: wan2.2/2.1/2.0 each side 512–1440; wan2.5 and wan2.6 1:4 to 4:1
with 1280²–1440² pixels; wanx-v1, qwen-image(-plus/-max) fixed sizes; qwen-image-2.0 512²–2048² pixels."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, ClassVar

from .base import JOB_FAULTS, SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response, parse_size, size_ok

WAN = (1280 * 1280, 1440 * 1440)             # wan2.5 and wan2.6: these pixels, from 1:4 to 4:1
QWEN = ((1664, 928), (1472, 1104), (1328, 1328), (1104, 1472), (928, 1664))


def task_takes(model: str, size: tuple[int, int] | None) -> bool:
    if model.startswith("wan2.5"):
        return size_ok(size, pixels=WAN, ratio=4.0)
    if model.startswith("wanx-v1"):
        return size_ok(size, fixed=((1024, 1024), (720, 1280), (1280, 720), (768, 1152)))
    return size_ok(size, sides=(512, 1440))


def sync_takes(model: str, size: tuple[int, int] | None) -> bool:
    if model.startswith("qwen-image-2"):
        return size_ok(size, pixels=(512 * 512, 2048 * 2048))
    if model.startswith("qwen-image"):
        return size_ok(size, fixed=QWEN)
    return size_ok(size, pixels=WAN, ratio=4.0)                            # wan2.6-t2i


class FakeDashScope(FakeServer):
    name = "dashscope"
    is_async = True
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("POST", r"/api/v1/services/aigc/text2image/image-synthesis", "create", True),
        ("GET", r"/api/v1/tasks/(?P<id>[^/]+)", "task", False)]
    faults_supported: tuple[str, ...] = (*SYNC_FAULTS, *URL_FAULTS, *JOB_FAULTS)

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
        size = parse_size(params.get("size", "1024*1024"), "*")
        if not task_takes(str(body.get("model", "")), size):
            return self.error(400, f"The size is not match the allowed size: {params.get('size')}")
        assert size
        jid, _job = self.job(fault, prompt=prompt, seed=params.get("seed", 0), w=size[0], h=size[1],
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


class FakeQwenImage(FakeDashScope):
    """POST /api/v1/services/aigc/multimodal-generation/generation: synchronous, one image URL (24 h)."""

    name = "qwen_image"
    is_async = False
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("POST", r"/api/v1/services/aigc/multimodal-generation/generation", "generate", True)]
    faults_supported = (*SYNC_FAULTS, *URL_FAULTS)

    def generate(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json if isinstance(req.json, dict) else {}
        messages = (body.get("input") or {}).get("messages") if isinstance(body.get("input"), dict) else None
        if not isinstance(messages, list) or len(messages) != 1 or not isinstance(messages[0], dict) \
                or messages[0].get("role") != "user":
            return self.error(400, "input.messages must hold exactly one user message")
        texts = [c.get("text") for c in messages[0].get("content") or [] if isinstance(c, dict) and "text" in c]
        if len(texts) != 1 or not isinstance(texts[0], str) or not texts[0]:
            return self.error(400, "the message must hold exactly one text")
        params = body.get("parameters") or {}
        model = str(body.get("model", ""))
        size = parse_size(params.get("size", "1664*928" if model.startswith("qwen-image") else "1280*1280"), "*")
        if not sync_takes(model, size):
            return self.error(400, f"The size is not match the allowed size: {params.get('size')}")
        if model.startswith("qwen-image") and not model.startswith("qwen-image-2") and params.get("n", 1) != 1:
            return self.error(400, "n must be 1 for this model")
        assert size
        data = self.image(texts[0], params.get("seed", 0), size[0], size[1], fault)
        content = [] if fault == "empty" else [{"image": self.file_url(data, fault)}]
        return Response.of({"output": {"choices": [{"finish_reason": "stop",
                                                    "message": {"role": "assistant", "content": content}}],
                                       "task_metric": {"TOTAL": 1, "SUCCEEDED": len(content),
                                                       "FAILED": 1 - len(content)}},
                            "usage": {"width": size[0], "height": size[1], "image_count": len(content)},
                            "request_id": uuid.uuid4().hex})
