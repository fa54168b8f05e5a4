"""Replicate predictions: `Prefer: wait` for a synchronous answer, polling when the model is slower."""

from __future__ import annotations

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Malformed, Provider, Reply, need

ASPECTS = ["1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21"]


def aspect_ratio(width: int, height: int) -> str:
    """The model's aspect-ratio choice closest to width:height."""
    def ratio(a: str) -> float:
        w, h = a.split(":")
        return int(w) / int(h)
    return min(ASPECTS, key=lambda a: abs(ratio(a) - width / height) / (width / height))


class Replicate(Provider):
    name = "replicate"
    label = "Replicate"
    base_url = "https://api.replicate.com/v1"
    model = "black-forest-labs/flux-schnell"
    key_env = "REPLICATE_API_TOKEN"

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        inp: dict = {"prompt": plan.prompt, "seed": plan.seed, "num_outputs": 1, "output_format": "png"}
        if ep.options.get("size") == "pixels":            # SD-style models take width/height
            width, height = self.size(plan, ep)
            inp |= {"width": width, "height": height, "negative_prompt": plan.negative_prompt}
        else:                                             # FLUX-style models take an aspect ratio
            inp["aspect_ratio"] = aspect_ratio(plan.width, plan.height)
        inp |= ep.options.get("input", {})
        # hold the request open up to `wait` s (1–60), well inside our timeout; then poll
        headers = self.headers(ep) | {"Prefer": f"wait={int(ep.options.get('wait', 30))}"}
        owner_name, _, version = ep.model.partition(":")
        if version:
            return Call("POST", self.url(ep, "predictions"), headers, {"version": version, "input": inp})
        return Call("POST", self.url(ep, f"models/{owner_name}/predictions"), headers, {"input": inp})

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        body = answer.json()
        status = need(body, "status")
        if status == "succeeded":
            output = body.get("output")
            urls = [output] if isinstance(output, str) else [u for u in output or [] if isinstance(u, str)]
            return Reply(urls=urls)
        if status in ("failed", "canceled", "aborted"):
            return Reply(error=f"prediction {status}: {body.get('error') or 'no reason given'}")
        if status in ("starting", "processing"):
            poll = self.url(ep, f"predictions/{need(body, 'id')}")
            return Reply(next=Call("GET", poll, self.headers(ep), step="poll"))
        raise Malformed(f"unknown prediction status '{status}'")

    def check(self, ep: Endpoint) -> Call:
        return Call("GET", self.url(ep, "account"), self.headers(ep), step="check")
