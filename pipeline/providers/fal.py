"""fal.ai: the queue API (submit, poll the status URL it returns, then GET the result URL), or the
synchronous host (options.host: sync — one POST to https://fal.run/{model} answers the result)."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from ..models import ImagePlan
from .base import (Answer, Call, Endpoint, InputOptions, Malformed, Provider, Reply, Seed, Text, Url, drop_none,
                   options, validate)
from .rules import ModelRules


class FalOptions(InputOptions):
    negative_prompt: bool = False            # flux takes none; SDXL-family apps do
    host: Literal["queue", "sync"] = "queue"
    sync_url: Url = "https://fal.run"        # the synchronous host (the key goes there too)


class Queued(BaseModel):
    status_url: Url
    response_url: Url


class Status(BaseModel):
    status: Literal["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
    error: Text | None = None                # COMPLETED with an error: the run failed
    error_type: Text | None = None


class File(BaseModel):
    url: Url


class Result(BaseModel):
    images: list[File] = Field(min_length=1)
    seed: Seed | None = None


class Fal(Provider):
    name = "fal"
    label = "fal.ai"
    base_url = "https://queue.fal.run"
    model = "fal-ai/flux/schnell"
    key_env = "FAL_KEY"
    auth_scheme = "Key"
    check_ok = (200, 404)            # an unknown request id with an accepted key is 404
    models: ClassVar[dict[str, ModelRules]] = {"*": ModelRules(multiple=16, min_side=256, max_side=1536)}

    def rules(self, ep: Endpoint) -> ModelRules:
        return replace(super().rules(ep), negative_prompt=options(FalOptions, ep).negative_prompt)

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        width, height = self.size(plan, ep)
        opts, rules = options(FalOptions, ep), self.rules(ep)
        body = drop_none({"prompt": plan.prompt, "negative_prompt": plan.negative_prompt if rules.negative_prompt
                          else None, "image_size": {"width": width, "height": height}, "seed": plan.seed,
                          "num_images": 1, "enable_safety_checker": True})
        if opts.host == "sync":                  # the answer is the result itself
            url = opts.sync_url.rstrip("/") + "/" + ep.model
            return Call("POST", url, self.headers(ep), body | opts.input, carry={"sync": True})
        return Call("POST", self.url(ep, ep.model), self.headers(ep), body | opts.input)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        if call.step == "result" or call.carry.get("sync"):
            result = validate(Result, answer.body, call.step)
            return Reply(urls=[i.url for i in result.images], seed=result.seed)
        if call.step == "create":
            queued = validate(Queued, answer.body, call.step)
            for url in (queued.status_url, queued.response_url):      # they get our key: the queue's host only
                if urlsplit(url).netloc != urlsplit(ep.base_url).netloc:
                    raise Malformed(f"{call.step} answer: a status or response URL on another host than {ep.base_url}")
            return Reply(next=Call("GET", queued.status_url, self.headers(ep), step="status",
                                   carry={"result": queued.response_url}))
        status = validate(Status, answer.body, call.step)
        if status.status != "COMPLETED":
            return Reply(next=call)
        if status.error:
            return Reply(error=f"{status.error_type or 'error'}: {status.error}")
        return Reply(next=Call("GET", call.carry["result"], self.headers(ep), step="result"))

    def check(self, ep: Endpoint) -> Call:
        options(FalOptions, ep)
        app = "/".join(ep.model.split("/")[:2])
        url = self.url(ep, f"{app}/requests/00000000-0000-0000-0000-000000000000/status")
        return Call("GET", url, self.headers(ep), step="check")
