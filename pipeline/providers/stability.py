"""Stability AI Stable Image (v2beta): a multipart form to /stable-image/generate/{ultra|core|sd3}; the
image comes back as its bytes (`Accept: image/*`, finish reason and seed in headers) or as base64 JSON.

https://platform.stability.ai/docs/api-reference"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..models import ImagePlan
from .base import (Answer, Call, Endpoint, Fault, Image, Malformed, Options, Provider, Reply, Seed, Text, error_text,
                   options, validate)
from .rules import ModelRules

ASPECTS = ("21:9", "16:9", "3:2", "5:4", "1:1", "4:5", "2:3", "9:16", "9:21")
SEEDS = 4_294_967_294                    # seeds are 0–4294967294, and 0 means "random"
FILTERED = "CONTENT_FILTERED"


def aspect_rules(negative_prompt: bool, note: str = "") -> ModelRules:
    return ModelRules(aspects=ASPECTS, max_pixels=1024 * 1024, negative_prompt=negative_prompt, note=note)


class StabilityOptions(Options):
    accept: Literal["image", "json"] = "image"           # the image as bytes, or as base64 JSON
    style_preset: str | None = None                      # core only (e.g. "digital-art")
    form: dict[str, str] = Field(default_factory=dict)   # more form fields, sent as is


class Generated(BaseModel):
    image: Image
    finish_reason: Text | None = None
    seed: Seed | None = None


class Error(BaseModel):
    """{"id": "…", "name": "bad_request", "errors": ["…"]}"""

    model_config = ConfigDict(coerce_numbers_to_str=True)
    name: str = Field(max_length=60)
    errors: list[str] = Field(default_factory=list)


class Stability(Provider):
    name = "stability"
    label = "Stability AI"
    base_url = "https://api.stability.ai"
    model = "core"                       # ultra, core, or an SD 3.5 model (sd3.5-large, sd3.5-medium, …)
    key_env = "STABILITY_API_KEY"
    models: ClassVar[dict[str, ModelRules]] = {
        "ultra": aspect_rules(True),
        "core": aspect_rules(True, "style_preset in options"),
        "sd3*turbo": aspect_rules(False, "no negative prompt"),
        "sd3*flash": aspect_rules(False, "no negative prompt"),
        "*": aspect_rules(True),
    }

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        opts, rules = options(StabilityOptions, ep), self.rules(ep)
        form = {"prompt": plan.prompt, "aspect_ratio": rules.aspect(plan.width, plan.height),
                "seed": str(plan.seed % SEEDS or SEEDS), "output_format": "png"}
        if rules.negative_prompt and plan.negative_prompt:
            form["negative_prompt"] = plan.negative_prompt
        endpoint = ep.model if ep.model in ("ultra", "core") else "sd3"
        if endpoint == "sd3":
            form["model"] = ep.model
        if opts.style_preset:
            form["style_preset"] = opts.style_preset
        headers = {"Accept": "image/*" if opts.accept == "image" else "application/json"}
        if ep.key:
            headers["Authorization"] = f"Bearer {ep.key}"
        return Call("POST", self.url(ep, f"v2beta/stable-image/generate/{endpoint}"), headers,
                    form=form | opts.form)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        if answer.headers.get("content-type", "").startswith("image/"):   # Accept: image/*
            if not answer.body:
                raise Malformed(f"{call.step} answer: an empty body: no image")
            seed = answer.headers.get("seed", "")
            image, reason = answer.body, answer.headers.get("finish-reason")
            used = int(seed) if seed.isdigit() and len(seed) < 19 else None
        else:                                                           # Accept: application/json
            out = validate(Generated, answer.body, call.step)
            image, reason, used = out.image, out.finish_reason, out.seed
        if reason == FILTERED:
            return Reply(error=f"finish reason {FILTERED}: its filter blurred the picture, no image to use")
        return Reply(images=[image], seed=used)

    def fault(self, answer: Answer) -> Fault:
        try:
            err = Error.model_validate_json(answer.body)
        except ValidationError:
            return super().fault(answer)
        text = "".join(c if c.isprintable() else " " for c in "; ".join(err.errors))[:300] or error_text(answer)
        status = 400 if err.name == "content_moderation" else answer.status   # 403 there is the prompt, not the key
        return Fault(f"{err.name}: {text}", status)

    def check(self, ep: Endpoint) -> Call:
        options(StabilityOptions, ep)
        return Call("GET", self.url(ep, "v1/user/account"), self.headers(ep), step="check")
