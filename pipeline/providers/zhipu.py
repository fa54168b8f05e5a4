"""Zhipu 智谱 image generations (GLM-Image, CogView): synchronous, URL out; errors carry Zhipu's own codes.
No seed and no negative prompt; glm-image draws a visible watermark unless `watermark_enabled` is false."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..models import ImagePlan
from .base import (Answer, Call, Endpoint, Fault, Image, InputOptions, Provider, Reply, Url, error_text, options,
                   validate, wh)
from .rules import ModelRules


def status_of(code: str, http: int) -> int:
    """Zhipu's business code as the HTTP status it amounts to."""
    if code in ("1302", "1303"):          # concurrency / frequency too high
        return 429
    if code == "1305":                    # service overloaded
        return 503
    if code in ("1113",):                 # account in arrears
        return 403
    if code.startswith("100") and len(code) == 4:   # 1000–1004: authentication
        return 401
    if code == "1211":                    # model does not exist
        return 404
    if code in ("1210", "1214", "1301"):  # bad parameters; 1301 unsafe content
        return 400
    return http


class Item(BaseModel):
    url: Url | None = None
    b64_json: Image | None = None

    @model_validator(mode="after")
    def _one(self) -> Item:
        if self.url is None and self.b64_json is None:
            raise ValueError("an item with neither url nor b64_json")
        return self


class Generated(BaseModel):
    data: list[Item] = Field(min_length=1)


class Code(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)
    code: str = Field(max_length=20)


class Error(BaseModel):
    """{"error": {"code": "1302", "message": "…"}}"""

    error: Code


class Zhipu(Provider):
    name = "zhipu"
    label = "智谱 CogView (Zhipu)"
    base_url = "https://open.bigmodel.cn/api/paas/v4"
    model = "cogview-3-flash"
    key_env = "ZHIPUAI_API_KEY"
    check_ok = (400,)         # a request without a prompt, refused after the key was accepted
    models: ClassVar[dict[str, ModelRules]] = {
        # sides ÷32 in 1024–2048, at most 2²² pixels; turning the watermark off needs the account's signed
        # disclaimer (个人中心 → 安全管理 → 去水印管理)
        "glm-image*": ModelRules(multiple=32, min_side=1024, max_side=2048, max_pixels=2 ** 22, seed=False,
                                 watermark_off={"watermark_enabled": False},
                                 note="watermark off needs the signed disclaimer (去水印管理)"),
        # cogview-4, cogview-4-250304, cogview-3-flash: sides ÷16 in 512–2048, at most 2²¹ pixels
        "*": ModelRules(multiple=16, min_side=512, max_side=2048, max_pixels=2 ** 21, seed=False),
    }

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        body = {"model": ep.model, "prompt": plan.prompt, "size": wh(self.size(plan, ep)),
                **self.rules(ep).watermark_off}
        body |= options(InputOptions, ep).input
        return Call("POST", self.url(ep, "images/generations"), self.headers(ep), body)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        items = validate(Generated, answer.body, call.step).data
        return Reply(urls=[i.url for i in items if i.url], images=[i.b64_json for i in items if i.b64_json])

    def fault(self, answer: Answer) -> Fault:
        try:
            code = Error.model_validate_json(answer.body).error.code
        except ValidationError:
            return super().fault(answer)
        return Fault(f"{code}: {error_text(answer)}", status_of(code, answer.status))

    def check(self, ep: Endpoint) -> Call:
        options(InputOptions, ep)
        return Call("POST", self.url(ep, "images/generations"), self.headers(ep), {"model": ep.model}, step="check")
