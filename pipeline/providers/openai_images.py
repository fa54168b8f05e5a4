"""OpenAI Images API (gpt-image-1, dall-e-3, dall-e-2): no seed and no negative prompt."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from ..models import ImagePlan
from .base import (Answer, Call, Endpoint, Image, InputOptions, Provider, Reply, Url, nearest, options, validate,
                   wh)

SIZES = {
    "dall-e-2": [(256, 256), (512, 512), (1024, 1024)],
    "dall-e-3": [(1024, 1024), (1792, 1024), (1024, 1792)],
    "gpt-image": [(1024, 1024), (1536, 1024), (1024, 1536)],
}


class Item(BaseModel):
    b64_json: Image | None = None          # gpt-image always; dall-e with response_format=b64_json
    url: Url | None = None                 # dall-e with response_format=url (valid 60 minutes)

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
    model = "gpt-image-1"
    key_env = "OPENAI_API_KEY"
    seeds = False

    def size(self, plan: ImagePlan, ep: Endpoint) -> tuple[int, int]:
        family = next((f for f in SIZES if ep.model.startswith(f)), "gpt-image")
        return nearest(plan.width, plan.height, SIZES[family])

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        body = {"model": ep.model, "prompt": plan.prompt, "n": 1, "size": wh(self.size(plan, ep))}
        if ep.model.startswith("dall-e"):                 # gpt-image always answers base64
            body["response_format"] = "b64_json"
        body |= options(InputOptions, ep).input
        return Call("POST", self.url(ep, "images/generations"), self.headers(ep), body)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        items = validate(Generated, answer.body, call.step).data
        return Reply(images=[i.b64_json for i in items if i.b64_json],
                     urls=[i.url for i in items if i.url and not i.b64_json])

    def check(self, ep: Endpoint) -> Call:
        options(InputOptions, ep)
        return Call("GET", self.url(ep, "models"), self.headers(ep), step="check")
