"""DeepInfra native inference API: flat JSON in, images as data: URLs out."""

from __future__ import annotations

from pydantic import BaseModel

from ..models import ImagePlan
from .base import (Answer, Call, Endpoint, Image, InputOptions, Malformed, Provider, Reply, Seed, drop_none, fit,
                   options, validate)


class DeepInfraOptions(InputOptions):
    negative_prompt: bool = False            # only SD-family models take one


class Status(BaseModel):
    status: str | None = None


class Inference(BaseModel):
    images: list[Image] = []                 # data:image/png;base64,… strings
    seed: Seed | None = None
    inference_status: Status | None = None


class DeepInfra(Provider):
    name = "deepinfra"
    label = "DeepInfra"
    base_url = "https://api.deepinfra.com/v1"
    model = "black-forest-labs/FLUX-1-schnell"
    key_env = "DEEPINFRA_TOKEN"

    def size(self, plan: ImagePlan, ep: Endpoint) -> tuple[int, int]:
        return fit(plan.width, plan.height, multiple=32, low=256, high=1440)

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        opts = options(DeepInfraOptions, ep)
        width, height = self.size(plan, ep)
        body = drop_none({"prompt": plan.prompt, "negative_prompt": plan.negative_prompt if opts.negative_prompt
                          else None, "width": width, "height": height, "seed": plan.seed, "num_images": 1})
        return Call("POST", self.url(ep, f"inference/{ep.model}"), self.headers(ep), body | opts.input)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        body = validate(Inference, answer.body, call.step)
        if body.inference_status and body.inference_status.status == "failed":
            return Reply(error="inference failed")
        if not body.images:
            raise Malformed(f"{call.step} answer: 'images' is empty: no image")
        return Reply(images=body.images, seed=body.seed)

    def check(self, ep: Endpoint) -> Call:
        options(DeepInfraOptions, ep)
        return Call("GET", self.url(ep, "me"), self.headers(ep), step="check")
