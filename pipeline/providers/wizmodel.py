"""WizModel, as its published example calls it: Bearer key, JSON in, an image URL out.

WizModel has no public docs (providers.md §7): keep it off the default order."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, InputOptions, Malformed, Provider, Reply, Text, Urls, options, validate
from .rules import ModelRules


class Prediction(BaseModel):
    status: str | None = None
    error: Text | None = None
    output: Urls | None = None
    image_url: Urls | None = None            # what some of its clients read instead


class WizModel(Provider):
    name = "wizmodel"
    label = "WizModel"
    base_url = "https://api.wizmodel.com"
    model = "7d229e3ed5d01c879622d0cd273572260b7e35103d6765af740f853b160d04b7"   # the example's version
    key_env = "WIZMODEL_API_KEY"
    check_ok = (200, 404, 405)
    models: ClassVar[dict[str, ModelRules]] = {"*": ModelRules(multiple=64, min_side=512, max_side=1024)}

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        width, height = self.size(plan, ep)
        inp = {"prompt": plan.prompt, "width": width, "height": height, "seed": plan.seed}
        return Call("POST", self.url(ep, "v1/predictions"), self.headers(ep),
                    {"version": ep.model, "input": inp | options(InputOptions, ep).input})

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        p = validate(Prediction, answer.body, call.step)
        if p.status == "failed" or p.error:
            return Reply(error=p.error or "prediction failed")
        urls = p.output if p.output is not None else p.image_url
        if not urls:
            raise Malformed(f"{call.step} answer: 'output' is empty: no image")
        return Reply(urls=urls)

    def check(self, ep: Endpoint) -> Call:
        options(InputOptions, ep)
        return Call("GET", self.url(ep, "v1/predictions"), self.headers(ep), step="check")
