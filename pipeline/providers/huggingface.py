"""Hugging Face Inference (router, hf-inference): JSON in, raw image bytes out."""

from __future__ import annotations

import contextlib
from typing import ClassVar

from pydantic import BaseModel, Field, ValidationError

from ..models import ImagePlan
from .base import (Answer, Call, Endpoint, Fault, JsonObject, Malformed, Options, Provider, Reply, Seconds, Url,
                   drop_none, error_text, options)
from .rules import ModelRules


class HuggingFaceOptions(Options):
    parameters: JsonObject = Field(default_factory=dict)   # merged into the request's parameters as is
    hub_url: Url = "https://huggingface.co"  # where `check` asks who the key belongs to


class Loading(BaseModel):
    """503 while a model loads: {"error": "Model … is currently loading", "estimated_time": 20.0}."""

    estimated_time: Seconds


class HuggingFace(Provider):
    name = "huggingface"
    label = "Hugging Face"
    base_url = "https://router.huggingface.co/hf-inference"
    model = "black-forest-labs/FLUX.1-schnell"
    key_env = "HF_TOKEN"
    models: ClassVar[dict[str, ModelRules]] = {
        "*": ModelRules(multiple=16, min_side=256, max_side=1536, max_pixels=1536 * 1024, negative_prompt=True),
    }

    def headers(self, ep: Endpoint) -> dict[str, str]:
        return super().headers(ep) | {"Accept": "image/png"}

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        opts = options(HuggingFaceOptions, ep)
        width, height = self.size(plan, ep)
        params = drop_none({"negative_prompt": plan.negative_prompt or None, "width": width,
                            "height": height, "seed": plan.seed, **opts.parameters})
        # a full URL as the model posts there as is (a dedicated Inference Endpoint)
        url = ep.model if ep.model.startswith(("https://", "http://")) else self.url(ep, f"models/{ep.model}")
        return Call("POST", url, self.headers(ep), {"inputs": plan.prompt, "parameters": params})

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        """The answer is the image itself; whether it really is one, the router checks."""
        if answer.headers.get("content-type", "").startswith("application/json"):
            return Reply(error=f"answered JSON instead of an image: {error_text(answer)}")
        if not answer.body:
            raise Malformed(f"{call.step} answer: an empty body: no image")
        return Reply(images=[answer.body])

    def fault(self, answer: Answer) -> Fault:
        fault = super().fault(answer)
        if answer.status == 503:
            with contextlib.suppress(ValidationError):
                fault.retry_after = Loading.model_validate_json(answer.body).estimated_time
        return fault

    def check(self, ep: Endpoint) -> Call:
        hub = options(HuggingFaceOptions, ep).hub_url
        return Call("GET", hub.rstrip("/") + "/api/whoami-v2", self.headers(ep), step="check")
