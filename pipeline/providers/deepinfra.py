"""DeepInfra through its OpenAI-compatible images API (the only one its model pages document now):
`size` in, base64 out; no seed and no negative prompt on this path."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Image, InputOptions, Provider, Reply, options, validate, wh
from .rules import ModelRules


class Item(BaseModel):
    b64_json: Image


class Generated(BaseModel):
    data: list[Item] = Field(min_length=1)


class DeepInfra(Provider):
    name = "deepinfra"
    label = "DeepInfra"
    base_url = "https://api.deepinfra.com/v1"
    model = "black-forest-labs/FLUX-1-schnell"
    key_env = "DEEPINFRA_TOKEN"
    models: ClassVar[dict[str, ModelRules]] = {
        "*": ModelRules(multiple=32, min_side=256, max_side=1440, seed=False),   # FLUX: sides ÷32
    }

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        body = {"model": ep.model, "prompt": plan.prompt, "size": wh(self.size(plan, ep)), "n": 1}
        return Call("POST", self.url(ep, "openai/images/generations"), self.headers(ep),
                    body | options(InputOptions, ep).input)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        return Reply(images=[i.b64_json for i in validate(Generated, answer.body, call.step).data])

    def check(self, ep: Endpoint) -> Call:
        options(InputOptions, ep)
        return Call("GET", self.url(ep, "me"), self.headers(ep), step="check")
