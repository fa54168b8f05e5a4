"""DashScope multimodal generation (千问 Qwen-Image, 万相 wan2.6-t2i): one synchronous call, `messages` in,
an image URL (kept 24 h) out. Same key, hosts and error codes as the `dashscope` task API."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from pydantic import BaseModel, Field

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Malformed, Reply, Text, Url, drop_none, options, validate, wh
from .dashscope import SEED, WATERMARK_OFF, DashScope, DashScopeOptions
from .rules import ModelRules

QWEN = ModelRules(multiple=16, negative_prompt=True, max_seed=SEED, watermark_off=WATERMARK_OFF)


class Part(BaseModel):
    image: Url | None = None
    text: Text | None = None


class Message(BaseModel):
    content: list[Part] = Field(min_length=1)


class Choice(BaseModel):
    message: Message
    finish_reason: Text | None = None


class Output(BaseModel):
    choices: list[Choice] = Field(min_length=1)


class Generated(BaseModel):
    output: Output


class QwenImage(DashScope):
    name = "qwen_image"
    label = "千问文生图 / 万相 2.6 (DashScope)"
    model = "qwen-image-plus"
    check_ok = (400,)         # a request with no messages, refused after the key was accepted
    models: ClassVar[dict[str, ModelRules]] = {
        # qwen-image-2.0(-pro): any shape with 512²–2048² pixels (sides ÷16 is peitu's own choice)
        "qwen-image-2*": replace(QWEN, min_side=256, max_side=4096, min_pixels=512 * 512, max_pixels=2048 * 2048),
        # qwen-image, -plus, -max: five sizes, the default 1664×928
        "qwen-image*": replace(QWEN, sizes=((1664, 928), (1472, 1104), (1328, 1328), (1104, 1472), (928, 1664))),
        # wan2.6-t2i: any shape from 1:4 to 4:1 with 1280²–1440² pixels
        "*": replace(QWEN, min_side=512, max_side=2880, min_pixels=1280 * 1280, max_pixels=1440 * 1440,
                     max_ratio=4.0),
    }

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        opts, rules = options(DashScopeOptions, ep), self.rules(ep)
        params = drop_none({"size": wh(self.size(plan, ep), "*"), "n": 1, "seed": rules.seed_of(plan.seed),
                            "negative_prompt": plan.negative_prompt or None, "prompt_extend": False,
                            **rules.watermark_off}) | opts.parameters
        body = {"model": ep.model, "input": {"messages": [{"role": "user", "content": [{"text": plan.prompt}]}]},
                "parameters": params}
        return Call("POST", self.url(ep, "services/aigc/multimodal-generation/generation"), self.headers(ep), body)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        choices = validate(Generated, answer.body, call.step).output.choices
        urls = [part.image for choice in choices for part in choice.message.content if part.image]
        if not urls:
            raise Malformed(f"{call.step} answer: 'output.choices' holds no image")
        return Reply(urls=urls)

    def check(self, ep: Endpoint) -> Call:
        options(DashScopeOptions, ep)
        return Call("POST", self.url(ep, "services/aigc/multimodal-generation/generation"), self.headers(ep),
                    {"model": ep.model, "input": {}}, step="check")
