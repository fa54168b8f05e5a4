"""Stable Diffusion WebUI (AUTOMATIC1111 / Forge) on the user's own GPU: /sdapi/v1/txt2img.

The optional key is `user:password` for a WebUI started with --api-auth (HTTP Basic)."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import ClassVar

from pydantic import BaseModel, Field, ValidationError

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Image, Options, Provider, Reply, Seed, options, validate
from .rules import ModelRules


class SDWebUIOptions(Options):
    max_side: int = Field(1024, ge=256, le=4096)
    steps: int = Field(25, ge=1, le=150)
    cfg_scale: float = Field(7, ge=0, le=30)
    sampler: str = Field("DPM++ 2M", min_length=1)


class Txt2Img(BaseModel):
    images: list[Image] = Field(min_length=1)
    info: str | None = None                  # JSON text: the seed used, among much else


class Info(BaseModel):
    seed: Seed | None = None


class SDWebUI(Provider):
    name = "sdwebui"
    label = "Stable Diffusion WebUI (self-hosted)"
    base_url = "http://127.0.0.1:7860"
    model = ""                        # empty: the checkpoint the WebUI has loaded
    key_env = "SDWEBUI_AUTH"
    key_required = False
    models: ClassVar[dict[str, ModelRules]] = {"*": ModelRules(negative_prompt=True, max_seed=4_294_967_294)}

    def headers(self, ep: Endpoint) -> dict[str, str]:
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        if ep.key:
            h["Authorization"] = "Basic " + base64.b64encode(ep.key.encode()).decode()
        return h

    def rules(self, ep: Endpoint) -> ModelRules:
        return replace(super().rules(ep), max_side=options(SDWebUIOptions, ep).max_side)

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        opts = options(SDWebUIOptions, ep)
        width, height = self.size(plan, ep)
        body = {"prompt": plan.prompt, "negative_prompt": plan.negative_prompt, "width": width,
                "height": height, "seed": self.rules(ep).seed_of(plan.seed), "steps": opts.steps,
                "cfg_scale": opts.cfg_scale, "batch_size": 1, "n_iter": 1, "sampler_name": opts.sampler}
        if ep.model:
            body["override_settings"] = {"sd_model_checkpoint": ep.model}
        return Call("POST", self.url(ep, "sdapi/v1/txt2img"), self.headers(ep), body)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        body = validate(Txt2Img, answer.body, call.step)
        try:                                  # the seed is a nicety: an odd `info` does not spoil the image
            seed = Info.model_validate_json(body.info).seed if body.info else None
        except ValidationError:
            seed = None
        return Reply(images=body.images, seed=seed)

    def check(self, ep: Endpoint) -> Call:
        options(SDWebUIOptions, ep)
        return Call("GET", self.url(ep, "sdapi/v1/sd-models"), self.headers(ep), step="check")
