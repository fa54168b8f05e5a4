"""DeepInfra native inference API: flat JSON in, images as data: URLs out."""

from __future__ import annotations

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Provider, Reply, b64decode, drop_none, fit, need


class DeepInfra(Provider):
    name = "deepinfra"
    label = "DeepInfra"
    base_url = "https://api.deepinfra.com/v1"
    model = "black-forest-labs/FLUX-1-schnell"
    key_env = "DEEPINFRA_TOKEN"

    def size(self, plan: ImagePlan, ep: Endpoint) -> tuple[int, int]:
        return fit(plan.width, plan.height, multiple=32, low=256, high=1440)

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        width, height = self.size(plan, ep)
        negative = plan.negative_prompt if ep.options.get("negative_prompt") else None  # SD models only
        body = drop_none({"prompt": plan.prompt, "negative_prompt": negative, "width": width,
                          "height": height, "seed": plan.seed, "num_images": 1})
        return Call("POST", self.url(ep, f"inference/{ep.model}"), self.headers(ep),
                    body | ep.options.get("input", {}))

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        body = answer.json()
        status = (body.get("inference_status") or {}).get("status")
        if status == "failed":
            return Reply(error="inference failed")
        images = need(body, "images")
        return Reply(images=[b64decode(i) for i in images if isinstance(i, str)], seed=body.get("seed"))

    def check(self, ep: Endpoint) -> Call:
        return Call("GET", self.url(ep, "me"), self.headers(ep), step="check")
