"""OpenAI Images API: the GPT image models (dall-e-2 and dall-e-3 were shut down in May 2026).

Every GPT image model answers base64 and takes no seed and no negative prompt. gpt-image-2 (and its
successors) take any size whose sides are multiples of 16; the older ones three fixed sizes."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field, model_validator

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Image, InputOptions, Provider, Reply, Url, options, validate, wh
from .rules import ModelRules

FIXED = ModelRules(sizes=((1024, 1024), (1536, 1024), (1024, 1536)), seed=False)


class Item(BaseModel):
    b64_json: Image | None = None          # what GPT image models answer
    url: Url | None = None                 # what an OpenAI-compatible proxy may answer instead

    @model_validator(mode="after")
    def _one(self) -> Item:
        if self.b64_json is None and self.url is None:
            raise ValueError("an item with neither b64_json nor url")
        return self


class Generated(BaseModel):
    data: list[Item] = Field(min_length=1)


class OpenAIImages(Provider):
    name = "openai"
    label = "OpenAI Images"
    base_url = "https://api.openai.com/v1"
    model = "gpt-image-2"
    key_env = "OPENAI_API_KEY"
    models: ClassVar[dict[str, ModelRules]] = {
        # images.generate: sides ÷16, long/short ≤ 3:1, 655,360–8,294,400 pixels, at most 3840×2160
        "gpt-image-2*": ModelRules(multiple=16, min_side=16, max_side=3840, min_pixels=655_360,
                                   max_pixels=3840 * 2160, max_ratio=3.0, seed=False,
                                   note="above 2560×1440 is experimental"),
        "gpt-image-1*": FIXED,                # gpt-image-1, -1-mini, -1.5 (the last two shut down Dec 2026)
        "*": FIXED,
    }

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        body = {"model": ep.model, "prompt": plan.prompt, "n": 1, "size": wh(self.size(plan, ep))}
        body |= options(InputOptions, ep).input
        return Call("POST", self.url(ep, "images/generations"), self.headers(ep), body)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        items = validate(Generated, answer.body, call.step).data
        return Reply(images=[i.b64_json for i in items if i.b64_json],
                     urls=[i.url for i in items if i.url and not i.b64_json])

    def check(self, ep: Endpoint) -> Call:
        options(InputOptions, ep)
        return Call("GET", self.url(ep, "models"), self.headers(ep), step="check")
