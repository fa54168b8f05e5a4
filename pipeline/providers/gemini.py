"""Google Gemini image models (Nano Banana): `generateContent` with `x-goog-api-key`, the aspect ratio in
generationConfig.imageConfig, the picture back as base64 `inlineData`. Synchronous.

https://ai.google.dev/gemini-api/docs/image-generation"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from ..models import ImagePlan
from .base import (Answer, Call, Endpoint, Fault, Image, JsonObject, Malformed, Options, Provider, Reply, Text,
                   error_text, options, validate)
from .rules import ModelRules

ASPECTS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
KEY_REFUSED = ("API_KEY_INVALID", "API_KEY_EXPIRED")     # a refused key is HTTP 400 with one of these reasons


def one_k(aspects: tuple[str, ...], note: str) -> ModelRules:
    """An image model's rules: the image config takes no seed or negative prompt; "1K" is about 1 MP."""
    return ModelRules(aspects=aspects, max_pixels=1024 * 1024, seed=False, note=note)


def alias(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class GeminiOptions(Options):
    image_size: Literal["512", "1K", "2K", "4K"] | None = None   # imageConfig.imageSize (3.x image models)
    generation_config: JsonObject = Field(default_factory=dict)   # merged into generationConfig as is


class Blob(BaseModel):
    data: Image
    mime_type: str | None = Field(None, validation_alias=alias("mimeType", "mime_type"))


class Part(BaseModel):
    text: str | None = None
    inline_data: Blob | None = Field(None, validation_alias=alias("inlineData", "inline_data"))


class Content(BaseModel):
    parts: list[Part] = Field(default_factory=list)


class Candidate(BaseModel):
    content: Content | None = None
    finish_reason: Text | None = Field(None, validation_alias=alias("finishReason", "finish_reason"))


class Feedback(BaseModel):
    block_reason: Text | None = Field(None, validation_alias=alias("blockReason", "block_reason"))


class Generated(BaseModel):
    candidates: list[Candidate] = Field(default_factory=list)
    prompt_feedback: Feedback | None = Field(None, validation_alias=alias("promptFeedback", "prompt_feedback"))


class Detail(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    kind: str = Field("", alias="@type")
    reason: str | None = None
    retry_delay: str | None = Field(None, alias="retryDelay")


class Status(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)
    message: str = ""
    status: str = Field("", max_length=60)
    details: list[Detail] = Field(default_factory=list)


class Error(BaseModel):
    """{"error": {"code": 429, "message": "…", "status": "RESOURCE_EXHAUSTED", "details": [RetryInfo…]}}"""

    error: Status


class Gemini(Provider):
    name = "gemini"
    label = "Google Gemini"
    base_url = "https://generativelanguage.googleapis.com/v1beta"
    model = "gemini-2.5-flash-image"
    key_env = "GEMINI_API_KEY"
    models: ClassVar[dict[str, ModelRules]] = {
        "gemini-3.1-flash-image*": one_k((*ASPECTS, "1:4", "4:1", "1:8", "8:1"),
                                         "imageSize 512/1K/2K/4K (options.image_size)"),
        "gemini-3*-image*": one_k(ASPECTS, "imageSize 1K/2K/4K (options.image_size)"),
        "*": one_k(ASPECTS, "1K (about 1 MP) only"),
    }

    def headers(self, ep: Endpoint) -> dict[str, str]:
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        if ep.key:
            h["x-goog-api-key"] = ep.key
        return h

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        opts = options(GeminiOptions, ep)
        image = {"aspectRatio": self.rules(ep).aspect(plan.width, plan.height)}
        if opts.image_size:
            image["imageSize"] = opts.image_size
        config = {"responseModalities": ["IMAGE"], "imageConfig": image} | opts.generation_config
        body = {"contents": [{"role": "user", "parts": [{"text": plan.prompt}]}], "generationConfig": config}
        return Call("POST", self.url(ep, f"models/{ep.model}:generateContent"), self.headers(ep), body)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        out = validate(Generated, answer.body, call.step)
        parts = [p for c in out.candidates[:1] if c.content for p in c.content.parts]
        images = [p.inline_data.data for p in parts if p.inline_data]
        if images:
            return Reply(images=images[:1])
        if out.prompt_feedback and out.prompt_feedback.block_reason:
            return Reply(error=f"the prompt was blocked ({out.prompt_feedback.block_reason}): no image")
        if not out.candidates:
            raise Malformed(f"{call.step} answer: no 'candidates': no image")
        said = " ".join(p.text for p in parts if p.text).strip()[:200]
        reason = out.candidates[0].finish_reason or "no finishReason"
        return Reply(error=f"no image in the answer ({reason})" + (f": the model said “{said}”" if said else ""))

    def fault(self, answer: Answer) -> Fault:
        try:
            err = Error.model_validate_json(answer.body).error
        except ValidationError:
            return super().fault(answer)
        status = answer.status
        if any(d.reason in KEY_REFUSED for d in err.details):
            status = 401
        wait = next((delay(d.retry_delay) for d in err.details if d.retry_delay), None)
        text = error_text(answer)
        return Fault(f"{err.status}: {text}" if err.status else text, status, wait)

    def check(self, ep: Endpoint) -> Call:
        options(GeminiOptions, ep)
        return Call("GET", self.url(ep, f"models/{ep.model}"), self.headers(ep), step="check")


def delay(text: str) -> float | None:
    """A google.protobuf.Duration as JSON ("37s", "1.5s") in seconds; None when it is not one."""
    m = re.fullmatch(r"(\d{1,6}(?:\.\d{1,9})?)s", text.strip())
    return float(m.group(1)) if m else None
