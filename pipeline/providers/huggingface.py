"""Hugging Face Inference (router, hf-inference): JSON in, raw image bytes out."""

from __future__ import annotations

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Fault, Malformed, Provider, Reply, drop_none, error_text, fit


class HuggingFace(Provider):
    name = "huggingface"
    label = "Hugging Face"
    base_url = "https://router.huggingface.co/hf-inference"
    model = "black-forest-labs/FLUX.1-schnell"
    key_env = "HF_TOKEN"

    def headers(self, ep: Endpoint) -> dict[str, str]:
        return super().headers(ep) | {"Accept": "image/png"}

    def size(self, plan: ImagePlan, ep: Endpoint) -> tuple[int, int]:
        return fit(plan.width, plan.height, multiple=16, low=256, high=1536, max_pixels=1536 * 1024)

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        width, height = self.size(plan, ep)
        params = drop_none({"negative_prompt": plan.negative_prompt or None, "width": width,
                            "height": height, "seed": plan.seed, **ep.options.get("parameters", {})})
        # a full URL as the model posts there as is (a dedicated Inference Endpoint)
        url = ep.model if ep.model.startswith(("https://", "http://")) else self.url(ep, f"models/{ep.model}")
        return Call("POST", url, self.headers(ep), {"inputs": plan.prompt, "parameters": params})

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        if answer.headers.get("content-type", "").startswith("application/json"):
            return Reply(error=f"answered JSON instead of an image: {error_text(answer)}")
        return Reply(images=[answer.body])

    def fault(self, answer: Answer) -> Fault:
        fault = super().fault(answer)
        if answer.status == 503 and b"estimated_time" in answer.body:
            try:
                fault.retry_after = float(answer.json()["estimated_time"])
            except (Malformed, KeyError, TypeError, ValueError):
                pass
        return fault

    def check(self, ep: Endpoint) -> Call:
        hub = ep.options.get("hub_url", "https://huggingface.co")
        return Call("GET", hub.rstrip("/") + "/api/whoami-v2", self.headers(ep), step="check")
