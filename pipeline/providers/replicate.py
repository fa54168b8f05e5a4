"""Replicate predictions: `Prefer: wait` for a synchronous answer, polling when the model is slower."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Id, InputOptions, Malformed, Provider, Reply, Text, Urls, options, validate
from .rules import ModelRules

# FLUX-style models take an aspect ratio; SD-style ones (options.size: pixels) width, height and a negative prompt
RATIOS = ModelRules(aspects=("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21"))
PIXELS = ModelRules(negative_prompt=True)


class ReplicateOptions(InputOptions):
    size: Literal["aspect_ratio", "pixels"] = "aspect_ratio"   # pixels: SD-style models take width/height
    wait: int = Field(30, ge=1, le=60)                          # Prefer: wait=N, in seconds


class Prediction(BaseModel):
    id: Id
    status: Literal["starting", "processing", "succeeded", "failed", "canceled", "aborted"]
    output: Urls | None = None                # one URL or a list, by the model's output schema
    error: Text | None = None


class Replicate(Provider):
    name = "replicate"
    label = "Replicate"
    base_url = "https://api.replicate.com/v1"
    model = "black-forest-labs/flux-schnell"
    key_env = "REPLICATE_API_TOKEN"
    models: ClassVar[dict[str, ModelRules]] = {"*": RATIOS}

    def rules(self, ep: Endpoint) -> ModelRules:
        return PIXELS if options(ReplicateOptions, ep).size == "pixels" else RATIOS

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        opts, rules = options(ReplicateOptions, ep), self.rules(ep)
        inp: dict[str, Any] = {"prompt": plan.prompt, "seed": plan.seed, "num_outputs": 1, "output_format": "png"}
        if rules.aspects:
            inp["aspect_ratio"] = rules.aspect(plan.width, plan.height)
        else:
            width, height = self.size(plan, ep)
            inp |= {"width": width, "height": height, "negative_prompt": plan.negative_prompt}
        inp |= opts.input
        # hold the request open up to `wait` s (1–60), well inside our timeout; then poll
        headers = self.headers(ep) | {"Prefer": f"wait={opts.wait}"}
        owner_name, _, version = ep.model.partition(":")
        if version:
            return Call("POST", self.url(ep, "predictions"), headers, {"version": version, "input": inp})
        return Call("POST", self.url(ep, f"models/{owner_name}/predictions"), headers, {"input": inp})

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        p = validate(Prediction, answer.body, call.step)
        if p.status == "succeeded":
            if not p.output:
                raise Malformed(f"{call.step} answer: 'output' is empty: no image")
            return Reply(urls=p.output)
        if p.status in ("failed", "canceled", "aborted"):
            return Reply(error=f"prediction {p.status}: {p.error or 'no reason given'}")
        return Reply(next=Call("GET", self.url(ep, f"predictions/{p.id}"), self.headers(ep), step="poll"))

    def check(self, ep: Endpoint) -> Call:
        options(ReplicateOptions, ep)
        return Call("GET", self.url(ep, "account"), self.headers(ep), step="check")
