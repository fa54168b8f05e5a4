"""Alibaba DashScope 通义万相 text-to-image: an async task, polled until SUCCEEDED or FAILED."""

from __future__ import annotations

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Fault, Malformed, Provider, Reply, drop_none, error_text, fit, need, wh

# DashScope error codes that mean something other than their HTTP status says
CODES = {"Throttling": 429, "InvalidApiKey": 401, "Arrearage": 403, "DataInspectionFailed": 400}


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
        body = {"model": ep.model,
                "input": drop_none({"prompt": plan.prompt, "negative_prompt": plan.negative_prompt or None}),
                "parameters": {"size": wh(self.size(plan, ep), "*"), "n": 1, "seed": plan.seed % 2_147_483_647,
                               "watermark": False, **ep.options.get("parameters", {})}}
        headers = self.headers(ep) | {"X-DashScope-Async": "enable"}
        return Call("POST", self.url(ep, "services/aigc/text2image/image-synthesis"), headers, body)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        output = need(answer.json(), "output")
        if call.step == "create":
            task = need(output, "task_id")
            return Reply(next=Call("GET", self.url(ep, f"tasks/{task}"), self.headers(ep), step="poll"))
        status = need(output, "task_status")
        if status in ("PENDING", "RUNNING"):
            return Reply(next=call)
        if status == "SUCCEEDED":
            results = output.get("results") or []
            urls = [r["url"] for r in results if r.get("url")]
            failed = next((r for r in results if r.get("code")), None)
            if not urls and failed:
                return Reply(error=f"{failed['code']}: {failed.get('message', '')}")
            return Reply(urls=urls)
        if status in ("FAILED", "CANCELED", "UNKNOWN"):
            return Reply(error=f"task {status}: {output.get('code', '')} {output.get('message', '')}".strip())
        raise Malformed(f"unknown task_status '{status}'")

    def fault(self, answer: Answer) -> Fault:
        try:
            code = str(answer.json().get("code", ""))
        except (Malformed, AttributeError):
            code = ""
        status = next((s for prefix, s in CODES.items() if code.startswith(prefix)), answer.status)
        text = error_text(answer)
        return Fault(f"{code}: {text}" if code else text, status)

    def check(self, ep: Endpoint) -> Call:
        return Call("GET", self.url(ep, "tasks/00000000-0000-0000-0000-000000000000"), self.headers(ep),
                    step="check")
