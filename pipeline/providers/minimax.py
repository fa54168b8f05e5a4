"""MiniMax image generation (image-01): synchronous, base64 (or a URL kept 24 h) out. MiniMax answers its
own errors with HTTP 200 and a non-zero `base_resp.status_code`; a gateway in front answers 429/5xx."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ValidationError

from ..models import ImagePlan
from .base import (Answer, Call, Endpoint, Fault, Image, InputOptions, Malformed, Provider, Reply, Text, Urls,
                   error_text, options, validate)
from .rules import ModelRules

WATERMARK_OFF = {"aigc_watermark": False}
# base_resp codes → the HTTP status they amount to (None: the answer's own), and what they mean
CODES: dict[int, tuple[int | None, str]] = {
    1002: (429, "rate limited"), 1039: (429, "token rate limited"), 1041: (429, "too many connections"),
    1004: (401, "key refused: check MINIMAX_API_KEY (keys of api.minimaxi.com and api.minimax.io differ)"),
    2049: (401, "invalid API key: check MINIMAX_API_KEY"), 1008: (403, "insufficient balance"),
    1026: (400, "prompt refused as sensitive"), 1027: (400, "image refused as sensitive"),
    2013: (None, "invalid parameters"), 1000: (None, "unknown error"), 1001: (None, "timed out"),
    1013: (None, "internal error")}


class Status(BaseModel):
    status_code: int = 0
    status_msg: Text = ""


class Images(BaseModel):
    image_base64: list[Image] | None = None
    image_urls: Urls | None = None


class Generated(BaseModel):
    base_resp: Status = Status()
    data: Images | None = None


class Refusal(BaseModel):
    base_resp: Status


def explain(status: Status) -> str:
    """A base_resp error in words: code, MiniMax's message and what it means."""
    meaning = CODES.get(status.status_code, (None, ""))[1]
    return f"{status.status_code} {status.status_msg}".strip() + (f" ({meaning})" if meaning else "")


class MiniMax(Provider):
    name = "minimax"
    label = "MiniMax 海螺 image-01"
    base_url = "https://api.minimaxi.com/v1"          # outside China: https://api.minimax.io/v1
    model = "image-01"
    key_env = "MINIMAX_API_KEY"
    check_ok = (200,)
    models: ClassVar[dict[str, ModelRules]] = {
        # image-01-live takes no size, only these ratios
        "image-01-live*": ModelRules(aspects=("1:1", "16:9", "4:3", "3:2", "2:3", "3:4", "9:16"),
                                     watermark_off=WATERMARK_OFF),
        "*": ModelRules(multiple=8, min_side=512, max_side=2048, watermark_off=WATERMARK_OFF),   # width × height
    }

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        rules = self.rules(ep)
        body = {"model": ep.model, "prompt": plan.prompt, "n": 1, "response_format": "base64",
                "seed": rules.seed_of(plan.seed), "prompt_optimizer": False, **rules.watermark_off}
        if rules.aspects:
            body["aspect_ratio"] = rules.aspect(plan.width, plan.height)
        else:
            body["width"], body["height"] = self.size(plan, ep)
        return Call("POST", self.url(ep, "image_generation"), self.headers(ep), body | options(InputOptions, ep).input)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        body = validate(Generated, answer.body, call.step)
        if body.base_resp.status_code != 0:
            return Reply(error=explain(body.base_resp))
        images, urls = (body.data.image_base64 or [], body.data.image_urls or []) if body.data else ([], [])
        if not images and not urls:
            raise Malformed(f"{call.step} answer: 'data' holds no image")
        return Reply(images=images, urls=urls)

    def fault(self, answer: Answer) -> Fault:
        try:
            status = Refusal.model_validate_json(answer.body).base_resp
        except ValidationError:
            return super().fault(answer)
        if status.status_code == 0:
            return Fault(error_text(answer), answer.status)
        return Fault(explain(status), CODES.get(status.status_code, (None, ""))[0] or answer.status)

    def check(self, ep: Endpoint) -> Call:
        options(InputOptions, ep)
        return Call("POST", self.url(ep, "image_generation"), self.headers(ep), {"model": ep.model}, step="check")
