"""Volcengine Ark (火山方舟) Seedream 豆包 image generations: OpenAI-style, synchronous, a URL (kept 24 h)
or base64 out. Seedream draws a visible "AI生成" watermark unless `watermark` is false; only Seedream 3.0
takes a seed. `model` may also be an Ark endpoint id (ep-…)."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..models import ImagePlan
from .base import (Answer, Call, Endpoint, Fault, Image, InputOptions, Malformed, Provider, Reply, Text, Url, drop_none,
                   error_text, options, validate, wh)
from .rules import ModelRules

WATERMARK_OFF = {"watermark": False}
# Seedream 4.x/5.x: any shape from 1:16 to 16:1 within a pixel range (sides ÷16 and ≤ 4096 are peitu's choice)
FREE = ModelRules(multiple=16, min_side=256, max_side=4096, max_ratio=16.0, seed=False, watermark_off=WATERMARK_OFF)
# codes whose HTTP status says less than they do
CODES = {"RateLimitExceeded": 429, "QuotaExceeded": 429, "ServerOverloaded": 503, "AuthenticationError": 401,
         "AccountOverdueError": 403, "AccessDenied": 403, "ModelNotOpen": 403, "InvalidEndpointOrModel": 404,
         "SensitiveContentDetected": 400, "InputTextSensitiveContentDetected": 400}


class Said(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)
    code: str = Field("", max_length=100)
    message: Text = ""


class Item(BaseModel):
    url: Url | None = None
    b64_json: Image | None = None
    error: Said | None = None                # one image of the request refused (content filter)

    @model_validator(mode="after")
    def _one(self) -> Item:
        if self.url is None and self.b64_json is None and self.error is None:
            raise ValueError("an item with neither url nor b64_json")
        return self


class Generated(BaseModel):
    data: list[Item] = Field(min_length=1)


class Error(BaseModel):
    """{"error": {"code": "InvalidParameter", "message": "…", "param": "size", "type": "BadRequest"}}"""

    error: Said


class Seedream(Provider):
    name = "seedream"
    label = "豆包 Seedream (火山方舟 Volcengine Ark)"
    base_url = "https://ark.cn-beijing.volces.com/api/v3"
    model = "doubao-seedream-4-5-251128"
    key_env = "ARK_API_KEY"
    check_ok = (400,)         # a request with no prompt, refused after the key was accepted
    models: ClassVar[dict[str, ModelRules]] = {
        "*seedream-3*": ModelRules(multiple=16, min_side=512, max_side=2048, max_seed=2_147_483_647,
                                   watermark_off=WATERMARK_OFF),             # each side 512–2048
        "*seedream-4-0*": replace(FREE, min_pixels=1280 * 720, max_pixels=4096 * 4096),
        "*seedream-4-5*": replace(FREE, min_pixels=2560 * 1440, max_pixels=4096 * 4096),
        "*seedream-5*": replace(FREE, min_pixels=2560 * 1440, max_pixels=10_404_496),
        "*": replace(FREE, min_pixels=2560 * 1440, max_pixels=10_404_496,     # an endpoint id: 4.5 and 5.0 both
                     note="an endpoint id (ep-…) is held to what Seedream 4.5 and 5.0 both take"),
    }

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        rules = self.rules(ep)
        body = drop_none({"model": ep.model, "prompt": plan.prompt, "size": wh(self.size(plan, ep)),
                          "seed": rules.seed_of(plan.seed), "response_format": "url", **rules.watermark_off})
        body |= options(InputOptions, ep).input
        return Call("POST", self.url(ep, "images/generations"), self.headers(ep), body)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        items = validate(Generated, answer.body, call.step).data
        urls, images = [i.url for i in items if i.url], [i.b64_json for i in items if i.b64_json]
        if urls or images:
            return Reply(urls=urls, images=images)
        said = next(i.error for i in items if i.error)
        if not said.code and not said.message:
            raise Malformed(f"{call.step} answer: 'data.0.error' says nothing")
        return Reply(error=f"{said.code}: {said.message}".strip(": "))

    def fault(self, answer: Answer) -> Fault:
        try:
            code = Error.model_validate_json(answer.body).error.code
        except ValidationError:
            return super().fault(answer)
        status = next((s for prefix, s in CODES.items() if code.startswith(prefix)), answer.status)
        return Fault(f"{code}: {error_text(answer)}" if code else error_text(answer), status)

    def check(self, ep: Endpoint) -> Call:
        options(InputOptions, ep)
        return Call("POST", self.url(ep, "images/generations"), self.headers(ep), {"model": ep.model}, step="check")
