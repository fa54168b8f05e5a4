"""Stable Diffusion WebUI (AUTOMATIC1111 / Forge) on the user's own GPU: /sdapi/v1/txt2img.

The optional key is `user:password` for a WebUI started with --api-auth (HTTP Basic)."""

from __future__ import annotations

import base64
import json

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Provider, Reply, b64decode, fit, need


class SDWebUI(Provider):
    name = "sdwebui"
    label = "Stable Diffusion WebUI (self-hosted)"
    base_url = "http://127.0.0.1:7860"
    model = ""                        # empty: the checkpoint the WebUI has loaded
    key_env = "SDWEBUI_AUTH"
    key_required = False

    def headers(self, ep: Endpoint) -> dict[str, str]:
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        if ep.key:
            h["Authorization"] = "Basic " + base64.b64encode(ep.key.encode()).decode()
        return h

    def size(self, plan: ImagePlan, ep: Endpoint) -> tuple[int, int]:
        return fit(plan.width, plan.height, multiple=8, low=256, high=int(ep.options.get("max_side", 1024)))

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        width, height = self.size(plan, ep)
        body = {"prompt": plan.prompt, "negative_prompt": plan.negative_prompt, "width": width,
                "height": height, "seed": plan.seed % 4_294_967_295, "steps": ep.options.get("steps", 25),
                "cfg_scale": ep.options.get("cfg_scale", 7), "batch_size": 1, "n_iter": 1,
                "sampler_name": ep.options.get("sampler", "DPM++ 2M")}
        if ep.model:
            body["override_settings"] = {"sd_model_checkpoint": ep.model}
        return Call("POST", self.url(ep, "sdapi/v1/txt2img"), self.headers(ep), body)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        body = answer.json()
        images = [b64decode(i) for i in need(body, "images") if isinstance(i, str)]
        try:
            seed = int(json.loads(body.get("info") or "{}").get("seed"))
        except (TypeError, ValueError, AttributeError):
            seed = None
        return Reply(images=images, seed=seed)

    def check(self, ep: Endpoint) -> Call:
        return Call("GET", self.url(ep, "sdapi/v1/sd-models"), self.headers(ep), step="check")
