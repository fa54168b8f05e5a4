"""Kling 可灵 image generation: an async task, polled until it succeeds or fails. Each call carries a
short-lived JWT (HS256) made from the AccessKey and SecretKey; errors carry Kling's own codes.

https://app.klingai.com/cn/dev/document-api (图像生成, 接口鉴权, 错误码)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..models import ImagePlan
from .base import (Answer, Call, Endpoint, Fault, Id, InputOptions, Malformed, Provider, Reply, Text, Url,
                   error_text, options, validate)
from .rules import ModelRules

TOKEN_S = 1800                           # a token is good for 30 minutes; each call makes a new one


def status_of(code: int, http: int) -> int:
    """Kling's business code as the HTTP status it amounts to (1100–1102 come as 429 but are the account)."""
    if 1000 <= code <= 1004:
        return 401
    if code in (1100, 1101, 1102):       # account abnormal, in arrears, resource pack used up
        return 402
    if code in (1103, 1304):             # no access to this model; IP whitelist
        return 403
    if code in (1202, 1203):             # no such method or model
        return 404
    if code in (1302, 1303):             # too fast; over the concurrency of the pack
        return 429
    if 1200 <= code <= 1301:             # bad parameters; content policy
        return 400
    return {5000: 500, 5001: 503, 5002: 504}.get(code, http)


def token(access_key: str, secret_key: str, now: float) -> str:
    """The API token: a JWT (RFC 7519, HS256) whose issuer is the AccessKey, signed with the SecretKey.
    Eight lines by hand: PyJWT warns on every key under 32 bytes, and Kling, not peitu, chooses the key
    (the fake checks these tokens with PyJWT)."""
    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"iss": access_key, "exp": int(now) + TOKEN_S, "nbf": int(now) - 5}
    signed = head + b"." + b64(json.dumps(claims, separators=(",", ":")).encode())
    return (signed + b"." + b64(hmac.new(secret_key.encode(), signed, hashlib.sha256).digest())).decode()


class KlingOptions(InputOptions):
    resolution: Literal["1k", "2k"] = "1k"


class Task(BaseModel):
    task_id: Id
    task_status: Literal["submitted", "processing", "succeed", "failed"]
    task_status_msg: Text | None = None


class Submitted(BaseModel):
    data: Task


class Picture(BaseModel):
    url: Url


class Pictures(BaseModel):
    images: list[Picture] = Field(default_factory=list)


class Done(Task):
    task_result: Pictures | None = None


class Polled(BaseModel):
    data: Done


class Coded(BaseModel):
    """{"code": 1302, "message": "…", "request_id": "…"}"""

    model_config = ConfigDict(coerce_numbers_to_str=False)
    code: int
    message: str = ""


class Kling(Provider):
    name = "kling"
    label = "可灵 Kling"
    base_url = "https://api-beijing.klingai.com"
    model = "kling-v2-1"
    key_env = "KLING_ACCESS_KEY+KLING_SECRET_KEY"
    models: ClassVar[dict[str, ModelRules]] = {
        "*": ModelRules(aspects=("16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9"), max_pixels=1024 * 1024,
                        seed=False, negative_prompt=True, watermark_off={"watermark_info": {"enabled": False}})}

    def headers(self, ep: Endpoint) -> dict[str, str]:
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        if ep.key:
            access_key, sep, secret_key = ep.key.partition(":")
            h["Authorization"] = f"Bearer {token(access_key, secret_key if sep else access_key, time.time())}"
        return h

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        opts, rules = options(KlingOptions, ep), self.rules(ep)
        body = {"model_name": ep.model, "prompt": plan.prompt[:2500], "n": 1, "resolution": opts.resolution,
                "aspect_ratio": rules.aspect(plan.width, plan.height), **rules.watermark_off}
        if plan.negative_prompt:
            body["negative_prompt"] = plan.negative_prompt[:2500]
        return Call("POST", self.url(ep, "v1/images/generations"), self.headers(ep), body | opts.input)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        if call.step == "create":
            task = validate(Submitted, answer.body, call.step).data
            return Reply(next=self.poll(ep, task.task_id))
        done = validate(Polled, answer.body, call.step).data
        if done.task_status in ("submitted", "processing"):
            return Reply(next=self.poll(ep, done.task_id))     # a fresh token each time
        if done.task_status == "failed":
            return Reply(error=f"task failed: {done.task_status_msg or 'no reason given'}")
        urls = [i.url for i in (done.task_result.images if done.task_result else [])]
        if not urls:
            raise Malformed(f"{call.step} answer: 'data.task_result.images' is empty: no image")
        return Reply(urls=urls[:1])

    def refuses(self, answer: Answer) -> bool:
        try:
            return Coded.model_validate_json(answer.body).code != 0
        except ValidationError:
            return False

    def fault(self, answer: Answer) -> Fault:
        try:
            code = Coded.model_validate_json(answer.body).code
        except ValidationError:
            return super().fault(answer)
        return Fault(f"{code}: {error_text(answer)}", status_of(code, answer.status if answer.status >= 400 else 400))

    def check(self, ep: Endpoint) -> Call:
        options(KlingOptions, ep)
        return Call("GET", self.url(ep, "v1/images/generations?pageNum=1&pageSize=1"), self.headers(ep),
                    step="check")

    def poll(self, ep: Endpoint, task: str) -> Call:
        return Call("GET", self.url(ep, f"v1/images/generations/{task}"), self.headers(ep), step="poll")
