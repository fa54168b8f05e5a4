"""Alibaba DashScope 通义万相 text-to-image: an async task, polled until SUCCEEDED or FAILED.

wan2.6-t2i and Qwen-Image answer synchronously on another endpoint: `qwen_image` (qwen_image.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..models import ImagePlan
from .base import (Answer, Call, Endpoint, Fault, Id, JsonObject, Malformed, Options, Provider, Reply, Text, Url,
                   drop_none, error_text, options, validate, wh)
from .rules import ModelRules

# DashScope error codes that mean something other than their HTTP status says
CODES = {"Throttling": 429, "InvalidApiKey": 401, "Arrearage": 403, "DataInspectionFailed": 400}
SEED = 2_147_483_647                         # seeds are 0–2³¹−1
WATERMARK_OFF = {"watermark": False}         # in `parameters`

WAN = ModelRules(multiple=16, min_side=512, max_side=1440, negative_prompt=True, max_seed=SEED,
                 watermark_off=WATERMARK_OFF)


class DashScopeOptions(Options):
    parameters: JsonObject = Field(default_factory=dict)   # merged into the request's parameters as is


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
    check_ok: ClassVar[tuple[int, ...]] = (200, 404)
    models: ClassVar[dict[str, ModelRules]] = {
        # wan2.5: any shape from 1:4 to 4:1 with 1280²–1440² pixels (sides ÷16 is peitu's own choice)
        "wan2.5*": replace(WAN, min_pixels=1280 * 1280, max_pixels=1440 * 1440, max_ratio=4.0, max_side=2880),
        "wanx-v1*": replace(WAN, sizes=((1024, 1024), (720, 1280), (1280, 720), (768, 1152))),
        "*": WAN,                                # wan2.2-t2i-flash/plus, wanx2.1, wanx2.0: each side 512–1440
    }

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        opts, rules = options(DashScopeOptions, ep), self.rules(ep)
        body = {"model": ep.model,
                "input": drop_none({"prompt": plan.prompt, "negative_prompt": plan.negative_prompt or None}),
                "parameters": {"size": wh(self.size(plan, ep), "*"), "n": 1, "seed": rules.seed_of(plan.seed),
                               **rules.watermark_off, **opts.parameters}}
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
