"""Alibaba DashScope 通义万相 text-to-image: an async task, polled until SUCCEEDED or FAILED."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ..models import ImagePlan
from .base import (Answer, Call, Endpoint, Fault, Id, JsonObject, Malformed, Options, Provider, Reply, Text, Url,
                   drop_none, error_text, fit, options, validate, wh)

# DashScope error codes that mean something other than their HTTP status says
CODES = {"Throttling": 429, "InvalidApiKey": 401, "Arrearage": 403, "DataInspectionFailed": 400}


class DashScopeOptions(Options):
    parameters: JsonObject = {}              # merged into the request's parameters as is


class Queued(BaseModel):
    task_id: Id


class Submitted(BaseModel):
    output: Queued


class Result(BaseModel):
    url: Url | None = None
    code: Text | None = None                 # an image of the task that failed (n > 1)
    message: Text | None = None


class Progress(BaseModel):
    task_status: Literal["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"]
    results: list[Result] | None = None
    code: Text | None = None                 # why a task FAILED
    message: Text | None = None


class Task(BaseModel):
    output: Progress


class Error(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)
    code: str = ""


class DashScope(Provider):
    name = "dashscope"
    label = "通义万相 (DashScope)"
    base_url = "https://dashscope.aliyuncs.com/api/v1"
    model = "wan2.2-t2i-flash"
    key_env = "DASHSCOPE_API_KEY"
    check_ok = (200, 404)

    def size(self, plan: ImagePlan, ep: Endpoint) -> tuple[int, int]:
        return fit(plan.width, plan.height, multiple=16, low=512, high=1440)

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        opts = options(DashScopeOptions, ep)
        body = {"model": ep.model,
                "input": drop_none({"prompt": plan.prompt, "negative_prompt": plan.negative_prompt or None}),
                "parameters": {"size": wh(self.size(plan, ep), "*"), "n": 1, "seed": plan.seed % 2_147_483_647,
                               "watermark": False, **opts.parameters}}
        headers = self.headers(ep) | {"X-DashScope-Async": "enable"}
        return Call("POST", self.url(ep, "services/aigc/text2image/image-synthesis"), headers, body)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        if call.step == "create":
            task = validate(Submitted, answer.body, call.step).output.task_id
            return Reply(next=Call("GET", self.url(ep, f"tasks/{task}"), self.headers(ep), step="poll"))
        out = validate(Task, answer.body, call.step).output
        if out.task_status in ("PENDING", "RUNNING"):
            return Reply(next=call)
        if out.task_status != "SUCCEEDED":
            return Reply(error=f"task {out.task_status}: {out.code or ''} {out.message or ''}".strip())
        results = out.results or []
        urls = [r.url for r in results if r.url]
        failed = next((r for r in results if r.code), None)
        if not urls and failed:
            return Reply(error=f"{failed.code}: {failed.message or ''}")
        if not urls:
            raise Malformed(f"{call.step} answer: 'output.results' is empty: no image")
        return Reply(urls=urls)

    def fault(self, answer: Answer) -> Fault:
        try:
            code = Error.model_validate_json(answer.body).code
        except ValidationError:
            code = ""
        status = next((s for prefix, s in CODES.items() if code.startswith(prefix)), answer.status)
        text = error_text(answer)
        return Fault(f"{code[:60]}: {text}" if code else text, status)

    def check(self, ep: Endpoint) -> Call:
        options(DashScopeOptions, ep)
        return Call("GET", self.url(ep, "tasks/00000000-0000-0000-0000-000000000000"), self.headers(ep),
                    step="check")
