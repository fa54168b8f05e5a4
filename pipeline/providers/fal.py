"""fal.ai queue API: submit, poll the status URL it returns, then GET the result URL."""

from __future__ import annotations

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Malformed, Provider, Reply, drop_none, fit, need


class Fal(Provider):
    name = "fal"
    label = "fal.ai"
    base_url = "https://queue.fal.run"
    model = "fal-ai/flux/schnell"
    key_env = "FAL_KEY"
    auth_scheme = "Key"
    check_ok = (200, 404)            # an unknown request id with an accepted key is 404

    def size(self, plan: ImagePlan, ep: Endpoint) -> tuple[int, int]:
        return fit(plan.width, plan.height, multiple=16, low=256, high=1536)

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        width, height = self.size(plan, ep)
        negative = plan.negative_prompt if ep.options.get("negative_prompt") else None
        body = drop_none({"prompt": plan.prompt, "negative_prompt": negative,
                          "image_size": {"width": width, "height": height}, "seed": plan.seed,
                          "num_images": 1, "enable_safety_checker": True})
        return Call("POST", self.url(ep, ep.model), self.headers(ep), body | ep.options.get("input", {}))

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        body = answer.json()
        if call.step == "result":
            images = need(body, "images")
            return Reply(urls=[i["url"] for i in images if isinstance(i, dict) and i.get("url")],
                         seed=body.get("seed"))
        if call.step == "create":
            carry = {"result": need(body, "response_url")}
            return Reply(next=Call("GET", need(body, "status_url"), self.headers(ep), step="status", carry=carry))
        status = need(body, "status")
        if status in ("IN_QUEUE", "IN_PROGRESS"):
            return Reply(next=call)
        if status == "COMPLETED":
            if body.get("error"):
                return Reply(error=f"{body.get('error_type') or 'error'}: {body['error']}")
            return Reply(next=Call("GET", call.carry["result"], self.headers(ep), step="result"))
        raise Malformed(f"unknown queue status '{status}'")

    def check(self, ep: Endpoint) -> Call:
        app = "/".join(ep.model.split("/")[:2])
        url = self.url(ep, f"{app}/requests/00000000-0000-0000-0000-000000000000/status")
        return Call("GET", url, self.headers(ep), step="check")
