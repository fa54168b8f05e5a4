"""SiliconFlow (硅基流动) image generations, e.g. Kwai-Kolors/Kolors: result as a 1-hour URL."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, ClassVar

from pydantic import BaseModel, Field

from ..models import ImagePlan
from .base import (Answer, Call, Endpoint, InputOptions, Malformed, Provider, Reply, Seed, Url, drop_none, options,
                   validate, wh)
from .rules import ModelRules

KOLORS = ((1024, 1024), (960, 1280), (768, 1024), (720, 1440), (720, 1280))
QWEN = ((1328, 1328), (1664, 928), (928, 1664), (1472, 1140), (1140, 1472), (1584, 1056), (1056, 1584))
SEED = 9_999_999_999
Side = Annotated[int, Field(ge=64, le=4096)]


class SiliconFlowOptions(InputOptions):
    sizes: list[tuple[Side, Side]] = Field(default_factory=list)   # [w, h] the model accepts (else Kolors' or Qwen's)
    steps: int = Field(20, ge=1, le=100)


class File(BaseModel):
    url: Url


class Generated(BaseModel):
    images: list[File] | None = None
    data: list[File] | None = None           # some answers mirror `images` here
    seed: Seed | None = None


class SiliconFlow(Provider):
    name = "siliconflow"
    label = "SiliconFlow 硅基流动"
    base_url = "https://api.siliconflow.cn/v1"
    model = "Kwai-Kolors/Kolors"
    key_env = "SILICONFLOW_API_KEY"
    models: ClassVar[dict[str, ModelRules]] = {   # the recommended sizes (options.sizes replaces them)
        "qwen/qwen-image*": ModelRules(sizes=QWEN, negative_prompt=True, max_seed=SEED),
        "*": ModelRules(sizes=KOLORS, negative_prompt=True, max_seed=SEED),     # Kwai-Kolors/Kolors
    }

    def rules(self, ep: Endpoint) -> ModelRules:
        sizes = options(SiliconFlowOptions, ep).sizes
        return replace(super().rules(ep), sizes=tuple(sizes)) if sizes else super().rules(ep)

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        opts = options(SiliconFlowOptions, ep)
        kolors = "Kolors" in ep.model
        body = drop_none({"model": ep.model, "prompt": plan.prompt,
                          "negative_prompt": plan.negative_prompt or None,
                          "image_size": wh(self.size(plan, ep)), "seed": self.rules(ep).seed_of(plan.seed),
                          "num_inference_steps": opts.steps,
                          "batch_size": 1 if kolors else None, "guidance_scale": 7.5 if kolors else None})
        return Call("POST", self.url(ep, "images/generations"), self.headers(ep), body | opts.input)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        body = validate(Generated, answer.body, call.step)
        files = body.images if body.images is not None else body.data
        if files is None:
            raise Malformed(f"{call.step} answer: no 'images'")
        if not files:
            raise Malformed(f"{call.step} answer: 'images' is empty: no image")
        return Reply(urls=[f.url for f in files], seed=body.seed)

    def check(self, ep: Endpoint) -> Call:
        options(SiliconFlowOptions, ep)
        return Call("GET", self.url(ep, "user/info"), self.headers(ep), step="check")
