"""Black Forest Labs FLUX API: submit with `x-key`, poll the `polling_url` it returns until Ready, then
fetch the result from a short-lived (10 minutes) delivery URL on another host, without the key.

https://docs.bfl.ai/ — polling_url may name another regional host; get_result needs no key there (its
OpenAPI lists no security), and the URL policy sends the key to the configured host only."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, InputOptions, Malformed, Provider, Reply, Seed, Text, Url, options, validate
from .rules import ModelRules

RATIOS = ("21:9", "16:9", "3:2", "4:3", "5:4", "1:1", "4:5", "3:4", "2:3", "9:16", "9:21")
WAITING = ("Pending", "Queued", "Processing")           # still running (older answers said Queued/Processing)


class BFLOptions(InputOptions):
    output_format: Literal["png", "jpeg"] = "png"


class Submitted(BaseModel):
    id: Text
    polling_url: Url


class Sample(BaseModel):
    sample: Url
    seed: Seed | None = None


class Result(BaseModel):
    status: Text
    result: Sample | None = None                         # with status Ready
    details: dict[str, Any] | None = None                # why a job failed, when it says


class BFL(Provider):
    name = "bfl"
    label = "Black Forest Labs FLUX"
    base_url = "https://api.bfl.ai/v1"
    model = "flux-2-pro"
    key_env = "BFL_API_KEY"
    models: ClassVar[dict[str, ModelRules]] = {
        # width/height: multiples of 16, at least 64, at most 4 MP (2048×2048)
        "flux-2-*": ModelRules(multiple=16, min_side=64, max_side=2048, max_pixels=2048 * 2048,
                               note="FLUX.2: 4 MP at most"),
        # aspect_ratio between 21:9 and 9:21; Ultra about 4 MP, Kontext about 1 MP
        "flux-pro-1.1-ultra*": ModelRules(aspects=RATIOS, max_pixels=4_194_304),
        "flux-kontext-*": ModelRules(aspects=RATIOS, max_pixels=1024 * 1024),
        # FLUX.1 [pro], [pro] 1.1, [dev]: width/height 256–1440, multiples of 32
        "*": ModelRules(multiple=32, min_side=256, max_side=1440),
    }

    def headers(self, ep: Endpoint) -> dict[str, str]:
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        if ep.key:
            h["x-key"] = ep.key
        return h

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        opts, rules = options(BFLOptions, ep), self.rules(ep)
        body: dict[str, Any] = {"prompt": plan.prompt, "seed": plan.seed, "output_format": opts.output_format}
        if rules.aspects:
            body["aspect_ratio"] = rules.aspect(plan.width, plan.height)
        else:
            body["width"], body["height"] = self.size(plan, ep)
        return Call("POST", self.url(ep, ep.model), self.headers(ep), body | opts.input)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        if call.step == "create":
            job = validate(Submitted, answer.body, call.step)
            return Reply(next=Call("GET", job.polling_url, self.headers(ep), step="poll"))
        result = validate(Result, answer.body, call.step)
        if result.status in WAITING:
            return Reply(next=call)
        if result.status != "Ready":
            why = "; ".join(f"{k}: {v}" for k, v in (result.details or {}).items())[:200]
            return Reply(error=f"{result.status}" + (f" ({why})" if why else ""))
        if result.result is None:
            raise Malformed(f"{call.step} answer: 'result' is empty: no image")
        return Reply(urls=[result.result.sample], seed=result.result.seed)

    def check(self, ep: Endpoint) -> Call:
        options(BFLOptions, ep)
        return Call("GET", self.url(ep, "credits"), self.headers(ep), step="check")
