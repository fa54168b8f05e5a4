"""Tencent Hunyuan image (混元生图): SubmitHunyuanImageJob, then QueryHunyuanImageJob until the job is done,
each a Tencent Cloud API 3.0 call signed with TC3-HMAC-SHA256 from a SecretId and SecretKey.

Tencent Cloud answers every error with HTTP 200 and Response.Error {Code, Message} (`refuses`).
https://cloud.tencent.com/document/api/1729/105969 · /105970 · signing: /document/api/213/30654"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..models import ImagePlan
from .base import (Answer, Call, Endpoint, Fault, Id, InputOptions, Malformed, Provider, Reply, Text, Url,
                   error_text, options, validate)
from .rules import ModelRules

SERVICE, VERSION = "hunyuan", "2023-09-01"
CONTENT_TYPE = "application/json"
RESOLUTIONS = ((768, 768), (768, 1024), (1024, 768), (1024, 1024), (720, 1280), (1280, 720), (768, 1280),
               (1280, 768))
SEEDS = 2 ** 31 - 1                                   # a positive int; 0 would mean "random"
# Tencent Cloud error codes (prefixes) → the HTTP status they amount to; the first match wins
CODES = (("AuthFailure.UnauthorizedOperation", 403), ("AuthFailure", 401), ("UnauthorizedOperation", 403),
         ("RequestLimitExceeded", 429), ("LimitExceeded", 429), ("FailedOperation.EngineServerLimitExceeded", 429),
         ("ResourceInsufficient", 403), ("ResourceUnavailable", 403), ("FailedOperation.ResourcePackExhausted", 403),
         ("FailedOperation.FreeResourcePackExhausted", 403), ("FailedOperation.Service", 403),
         ("FailedOperation.UserUnAuthError", 403), ("ResourceNotFound", 404), ("InvalidAction", 404),
         ("InternalError", 500), ("FailedOperation.Engine", 503), ("InvalidParameter", 400),
         ("MissingParameter", 400), ("UnknownParameter", 400), ("OperationDenied", 400))


def key_parts(key: str | None) -> tuple[str, str]:
    """(SecretId, SecretKey) from `id:secret` (a key without a colon stands for both)."""
    secret_id, sep, secret_key = (key or "").partition(":")
    return (secret_id, secret_key) if sep else (secret_id, secret_id)


def host_of(url: str) -> str:
    """The Host header the transport sends for `url` (the port only when it is not the default)."""
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    host = (parts.hostname or "").rstrip(".")
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def tc3(secret_id: str, secret_key: str, *, host: str, path: str, payload: bytes, timestamp: int,
        service: str = SERVICE) -> str:
    """The Authorization header of a TC3-HMAC-SHA256 signed POST (content-type and host signed)."""
    date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    canonical = "\n".join(["POST", path, "", f"content-type:{CONTENT_TYPE}\nhost:{host}\n", "content-type;host",
                           hashlib.sha256(payload).hexdigest()])
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("TC3" + secret_key).encode()
    for part in (date, service, "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


class HunyuanOptions(InputOptions):
    region: str = Field("ap-guangzhou", pattern=r"^[a-z0-9-]{1,40}$")
    style: str | None = None                  # a style id from 混元生图风格列表, e.g. "riman"
    revise: bool = False                      # prompt extension; a fixed seed holds only without it


class Job(BaseModel):
    JobId: Id


class Submitted(BaseModel):
    Response: Job


class State(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)
    JobStatusCode: str
    JobErrorCode: Text | None = None
    JobErrorMsg: Text | None = None
    ResultImage: list[Url] | None = None


class Queried(BaseModel):
    Response: State


class Said(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)
    Code: str = Field(max_length=100)
    Message: str = ""


class Failed(BaseModel):
    Error: Said


class Refusal(BaseModel):
    """{"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "…"}, "RequestId": "…"}}"""

    Response: Failed


class Hunyuan(Provider):
    name = "hunyuan"
    label = "腾讯混元生图 (Hunyuan)"
    base_url = "https://hunyuan.tencentcloudapi.com"
    model = "hunyuan-image"                   # the job API has one model; the name is for the manifest
    key_env = "TENCENTCLOUD_SECRET_ID+TENCENTCLOUD_SECRET_KEY"
    check_ok = (400, 404)                     # a made-up JobId refused after the signature was accepted
    models: ClassVar[dict[str, ModelRules]] = {
        "*": ModelRules(sizes=RESOLUTIONS, negative_prompt=True, watermark_off={"LogoAdd": 0},
                        note="one job at a time by default; the seed holds with revise off")}

    def headers(self, ep: Endpoint) -> dict[str, str]:
        """No key: each API call is signed (`call`), and nothing else may carry the SecretKey."""
        return {"Accept": "application/json"}

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        opts = options(HunyuanOptions, ep)
        width, height = self.size(plan, ep)
        seed = plan.seed % SEEDS or SEEDS
        body: dict[str, Any] = {"Prompt": plan.prompt[:1024], "Resolution": f"{width}:{height}", "Num": 1,
                                "Revise": int(opts.revise), "LogoAdd": 0}
        if plan.negative_prompt:
            body["NegativePrompt"] = plan.negative_prompt[:1024]
        if opts.style:
            body["Style"] = opts.style
        if not opts.revise:                   # with prompt extension on, the service draws a random seed
            body["Seed"] = seed
        return self.call(ep, opts, "SubmitHunyuanImageJob", body | opts.input, "create",
                         {"seed": None if opts.revise else seed})

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        if call.step == "create":
            job = validate(Submitted, answer.body, call.step).Response.JobId
            return Reply(next=self.poll(ep, job, call.carry))
        state = validate(Queried, answer.body, call.step).Response
        if state.JobStatusCode in ("1", "2"):            # waiting, running: ask again with a fresh signature
            return Reply(next=self.poll(ep, call.carry["job"], call.carry))
        if state.JobStatusCode == "4":
            return Reply(error=f"{state.JobErrorCode or 'failed'}: {state.JobErrorMsg or 'no reason given'}")
        if state.JobStatusCode != "5":
            code = state.JobStatusCode[:20]
            raise Malformed(f"{call.step} answer: 'Response.JobStatusCode': unknown status {code!r}")
        if not state.ResultImage:
            raise Malformed(f"{call.step} answer: 'Response.ResultImage' is empty: no image")
        return Reply(urls=state.ResultImage[:1], seed=call.carry.get("seed"))

    def refuses(self, answer: Answer) -> bool:
        try:
            Refusal.model_validate_json(answer.body)
        except ValidationError:
            return False
        return True

    def fault(self, answer: Answer) -> Fault:
        try:
            said = Refusal.model_validate_json(answer.body).Response.Error
        except ValidationError:
            return Fault(error_text(answer), answer.status)
        status = next((s for prefix, s in CODES if said.Code.startswith(prefix)), None)
        text = "".join(c if c.isprintable() else " " for c in said.Message)[:300]
        return Fault(f"{said.Code[:100]}: {text}", status or (answer.status if answer.status >= 400 else 400))

    def check(self, ep: Endpoint) -> Call:
        opts = options(HunyuanOptions, ep)
        return self.call(ep, opts, "QueryHunyuanImageJob", {"JobId": "peitu-check-0"}, "check", {})

    # ── Tencent Cloud API 3.0 ──────────────────────────────────────────────────────────

    def poll(self, ep: Endpoint, job: str, carry: dict[str, Any]) -> Call:
        return self.call(ep, options(HunyuanOptions, ep), "QueryHunyuanImageJob", {"JobId": job}, "poll",
                         carry | {"job": job})

    def call(self, ep: Endpoint, opts: HunyuanOptions, action: str, body: dict[str, Any], step: str,
             carry: dict[str, Any]) -> Call:
        """A POST of `action`, signed now (a signature is good for 5 minutes, so each poll is signed anew)."""
        call = Call("POST", self.url(ep, ""), {}, body, step=step, carry=carry)
        payload, _ = call.payload()
        call.headers = self.headers(ep) | {"Content-Type": CONTENT_TYPE, "X-TC-Action": action,
                                           "X-TC-Version": VERSION, "X-TC-Region": opts.region}
        if ep.key:
            timestamp = int(time.time())
            call.headers |= {"X-TC-Timestamp": str(timestamp),
                             "Authorization": tc3(*key_parts(ep.key), host=host_of(call.url),
                                                  path=urlsplit(call.url).path or "/", payload=payload or b"",
                                                  timestamp=timestamp)}
        return call
