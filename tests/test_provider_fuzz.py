"""Hostile answers for every hosted provider × every step it parses: `parse` gives a well-typed Reply
or raises Malformed, `fault` always gives a Fault, and `create`/`size`/`check` take odd plans and
options without crashing (a bad option is a ConfigError naming it). Nothing else ever escapes.

Answers come from (a) arbitrary JSON, (b) the real shapes below with fields deleted, retyped,
duplicated or made huge, (c) arbitrary bytes and truncated real answers, (d) arbitrary error bodies
and statuses. Runs are derandomized, so CI sees the same examples every time."""

from __future__ import annotations

import base64
import copy
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.errors import ConfigError
from pipeline.fakes.providers.base import png
from pipeline.models import ImagePlan
from pipeline.providers import HOSTED, provider
from pipeline.providers.base import Answer, Call, Endpoint, Fault, Malformed, Reply

PNG = png("fuzz", 1, 16, 16)
B64 = base64.b64encode(PNG).decode()
PLAN = ImagePlan(key="cover", role="cover", prompt="山水之间的一座桥", negative_prompt="text", style="flat",
                 width=1344, height=576, seed=7, template="travel", template_version="t1")


def _prediction(status: str, **fields: Any) -> dict[str, Any]:
    pid = "ufawqhfynnddngldkgtslldrkq"
    get = f"https://api.replicate.com/v1/predictions/{pid}"
    return {"id": pid, "model": "black-forest-labs/flux-schnell", "version": "dp-4d0bcc0", "input": {"prompt": "x"},
            "logs": "", "output": None, "error": None, "status": status, "data_removed": False,
            "created_at": "2026-11-25T02:00:00.000Z", "urls": {"get": get, "cancel": get + "/cancel"}, **fields}


FAL_REQ = "https://queue.fal.run/fal-ai/flux/requests/764cabcf-b745-4b3e-ae38-1200304cf45b"
PID = "c6a4f1e2-7d2b-4c57-9d0f-0c2f3b1a9e11"
TASK = "0385dc79-5ff8-4d82-bcb6-a1b2c3d4e5f6"
COMFY_DONE = {"prompt": [3, PID, {}, {}, ["9"]],
              "outputs": {"9": {"images": [{"filename": "peitu_00001_.png", "subfolder": "", "type": "output"}]}},
              "status": {"status_str": "success", "completed": True,
                         "messages": [["execution_start", {"prompt_id": PID, "timestamp": 1}],
                                      ["execution_success", {"prompt_id": PID, "timestamp": 2}]]}}
COMFY_FAILED = {"prompt": [3, PID], "outputs": {},
                "status": {"status_str": "error", "completed": False,
                           "messages": [["execution_error", {"prompt_id": PID, "node_id": "3",
                                                             "exception_message": "CUDA out of memory"}]]}}

# Real 2xx answers, per provider and step (specs/providers.md). HF answers raw image bytes.
REAL: dict[str, dict[str, list[Any]]] = {
    "huggingface": {"create": [PNG]},
    "replicate": {
        "create": [_prediction("starting"), _prediction("succeeded", output=["https://replicate.delivery/xezq/out-0.png"])],
        "poll": [_prediction("processing"), _prediction("succeeded", output="https://replicate.delivery/out-0.webp"),
                 _prediction("failed", error="CUDA out of memory")]},
    "deepinfra": {"create": [{"created": 1707000000, "data": [{"revised_prompt": "x", "b64_json": B64}]}]},
    "fal": {
        "create": [{"request_id": "764cabcf-b745-4b3e-ae38-1200304cf45b", "status": "IN_QUEUE", "queue_position": 0,
                    "response_url": FAL_REQ, "status_url": FAL_REQ + "/status", "cancel_url": FAL_REQ + "/cancel"}],
        "status": [{"status": "IN_QUEUE", "queue_position": 2, "response_url": FAL_REQ},
                   {"status": "IN_PROGRESS", "logs": [{"message": "step 1", "timestamp": "2026-11-25T02:00:00"}],
                    "response_url": FAL_REQ},
                   {"status": "COMPLETED", "logs": None, "response_url": FAL_REQ, "metrics": {"inference_time": 0.4}},
                   {"status": "COMPLETED", "error": "Runner crashed", "error_type": "runner_error",
                    "response_url": FAL_REQ}],
        "result": [{"images": [{"url": "https://v3.fal.media/files/penguin/x.png", "width": 1024, "height": 768,
                                "content_type": "image/png"}],
                    "seed": 42, "timings": {"inference": 0.4}, "has_nsfw_concepts": [False], "prompt": "x"}]},
    "openai": {"create": [
        {"created": 1764036000, "data": [{"b64_json": B64}], "background": "opaque", "output_format": "png",
         "quality": "medium", "size": "1536x1024",
         "usage": {"total_tokens": 100, "input_tokens": 10, "output_tokens": 90,
                   "input_tokens_details": {"text_tokens": 10, "image_tokens": 0}}},
        {"created": 1764036000, "data": [{"url": "https://oaidalleapiprodscus.blob.core.windows.net/private/i.png"
                                                 "?st=2026-11-25T02%3A00%3A00Z&sig=abc%2Fdef%3D", "revised_prompt": "x"}]}]},
    "siliconflow": {"create": [{"images": [{"url": "https://sc-maas.oss-cn-shanghai.aliyuncs.com/outputs/x.png"
                                                   "?OSSAccessKeyId=k&Expires=1764039600&Signature=s%3D"}],
                                "timings": {"inference": 1.2}, "seed": 20261125, "shared_id": "0",
                                "data": [{"url": "https://sc-maas.oss-cn-shanghai.aliyuncs.com/outputs/x.png"}],
                                "created": 1764036000}]},
    "dashscope": {
        "create": [{"output": {"task_status": "PENDING", "task_id": TASK}, "request_id": "4909100c-7b5a-9f92"}],
        "poll": [{"request_id": "r", "output": {"task_id": TASK, "task_status": "RUNNING",
                                                "submit_time": "2026-11-25 02:00:00.000"}},
                 {"request_id": "r", "output": {"task_id": TASK, "task_status": "SUCCEEDED",
                                                "results": [{"url": "https://dashscope-result-wlcb.oss-cn-wulanchabu"
                                                                    ".aliyuncs.com/1.png?Expires=1", "orig_prompt": "x",
                                                             "actual_prompt": "y"},
                                                            {"code": "DataInspectionFailed", "message": "bad"}],
                                                "task_metrics": {"TOTAL": 2, "SUCCEEDED": 1, "FAILED": 1}},
                  "usage": {"image_count": 1}},
                 {"request_id": "r", "output": {"task_id": TASK, "task_status": "FAILED",
                                                "code": "InternalError.Algo", "message": "Algorithm process error"}}]},
    "zhipu": {"create": [{"created": 1760335349, "data": [{"url": "https://aigc-files.bigmodel.cn/api/cogview/x.png"}],
                          "content_filter": [{"role": "assistant", "level": 3}], "id": "2025101314"}]},
    "wizmodel": {"create": [{"id": "w-1", "status": "succeeded", "output": ["https://cdn.wizmodel.com/out/1.png"]},
                            {"image_url": "https://cdn.wizmodel.com/out/2.png"},
                            {"id": "w-2", "status": "failed", "error": "model crashed"}]},
    "sdwebui": {"create": [{"images": [B64], "parameters": {"prompt": "x", "seed": 42},
                            "info": json.dumps({"prompt": "x", "seed": 42, "all_seeds": [42]})}]},
    "comfyui": {"create": [{"prompt_id": PID, "number": 3, "node_errors": {}}],
                "poll": [{}, {PID: COMFY_DONE}, {PID: COMFY_FAILED}]},
    "seedream": {"create": [
        {"model": "doubao-seedream-4-5-251128", "created": 1764036000,
         "data": [{"url": "https://ark-content-generation-v2-cn-beijing.tos-cn-beijing.volces.com/x.jpeg?X-Tos-"
                          "Signature=abc", "size": "2928x1264"}],
         "usage": {"generated_images": 1, "output_tokens": 16384, "total_tokens": 16384}},
        {"model": "m", "created": 1, "data": [{"b64_json": B64, "size": "1024x1024"}]},
        {"model": "m", "created": 1, "data": [{"error": {"code": "OutputImageSensitiveContentDetected",
                                                         "message": "The request failed because the output image "
                                                                    "may contain sensitive information."}}]}]},
    "qwen_image": {"create": [
        {"output": {"choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": [
            {"image": "https://dashscope-result-sh.oss-cn-shanghai.aliyuncs.com/x.png?Expires=1"}]}}],
                    "task_metric": {"TOTAL": 1, "SUCCEEDED": 1, "FAILED": 0}},
         "usage": {"width": 1664, "height": 928, "image_count": 1}, "request_id": "d0250a3d"}]},
    "minimax": {"create": [
        {"id": "03ff3cd0820949eb8a410056b5f21d38", "data": {"image_base64": [B64]},
         "metadata": {"success_count": "1", "failed_count": "0"},
         "base_resp": {"status_code": 0, "status_msg": "success"}},
        {"id": "x", "data": {"image_urls": ["https://hailuo-image-algeng-data.oss-cn-wulanchabu.aliyuncs.com/x.jpeg"]},
         "metadata": {"success_count": 1, "failed_count": 0}, "base_resp": {"status_code": 0, "status_msg": "success"}},
        {"id": "x", "base_resp": {"status_code": 1026, "status_msg": "input new_sensitive"}}]},
}

# Real error bodies, per provider (specs/providers.md and the fakes).
ERRORS: dict[str, list[Any]] = {
    "huggingface": [{"error": "Model x is currently loading", "estimated_time": 20.0}, {"error": ["a", "b"]}],
    "replicate": [{"type": "https://replicate.com/docs/reference/http#errors", "title": "Unauthenticated",
                   "status": 401, "detail": "You did not pass a valid authentication token"}],
    "deepinfra": [{"detail": {"error": "Model is not available"}}, {"error": "bad request"}],
    "fal": [{"detail": "Unauthorized"}, {"detail": [{"loc": ["body", "prompt"], "msg": "field required",
                                                     "type": "value_error.missing"}]}],
    "openai": [{"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "param": None,
                          "code": "invalid_api_key"}}],
    "siliconflow": [{"code": 20012, "message": "Model does not exist. Please check it carefully.", "data": None}],
    "dashscope": [{"request_id": "r", "code": "Throttling.RateQuota", "message": "Requests rate limit exceeded"}],
    "zhipu": [{"error": {"code": "1302", "message": "您当前使用该API的并发数过高"}}],
    "wizmodel": [{"detail": "version and input are required"}],
    "sdwebui": [{"detail": "Incorrect username or password"},
                {"error": "RuntimeError", "detail": "", "body": "", "errors": "CUDA out of memory"}],
    "comfyui": [{"error": {"type": "prompt_no_outputs", "message": "Prompt has no outputs", "details": "",
                           "extra_info": {}}, "node_errors": {}}],
    "seedream": [{"error": {"code": "RateLimitExceeded.EndpointRPMExceeded", "message": "Request rate limit exceeded",
                            "param": "", "type": "TooManyRequests"}}],
    "qwen_image": [{"request_id": "r", "code": "InvalidParameter", "message": "The size is not match"}],
    "minimax": [{"id": "x", "base_resp": {"status_code": 1004, "status_msg": "login fail"}}],
}

# Options each provider reads from providers.settings.<name>.options (and one it does not know).
OPTION_KEYS: dict[str, list[str]] = {
    "huggingface": ["parameters", "hub_url"], "replicate": ["size", "wait", "input"],
    "deepinfra": ["negative_prompt", "input"], "fal": ["negative_prompt", "input"], "openai": ["input"],
    "siliconflow": ["sizes", "steps", "input"], "dashscope": ["parameters"], "zhipu": ["input"],
    "wizmodel": ["input"], "sdwebui": ["max_side", "steps", "cfg_scale", "sampler"],
    "comfyui": ["workflow", "max_side"], "seedream": ["input"], "qwen_image": ["parameters"], "minimax": ["input"],
}

OPTION_KEYS["fal"] += ["host", "sync_url"]

# ── Gemini, Black Forest Labs, Stability, Hunyuan, Kling (their docs; specs/providers.md has none yet) ──
BFL_POLL = "https://api.eu2.bfl.ai/v1/get_result?id=d5ba37dc-ba09-4658-852e-deea7e176439"
HY_JOB = "1257439836-1764036000-d4e1f224-fa21-40bc-9ee7-4bb13abece6e-0"
KLING_TASK = "CjhYp2gGl5cAAAAAAUpOqg"


def _kling(status: str, **fields: Any) -> dict[str, Any]:
    return {"code": 0, "message": "SUCCEED", "request_id": "r-1",
            "data": {"task_id": KLING_TASK, "task_status": status, "task_status_msg": "", "task_info": {},
                     "created_at": 1764036000000, "updated_at": 1764036004000, **fields}}


def _hunyuan(code: str, **fields: Any) -> dict[str, Any]:
    return {"Response": {"JobStatusCode": code, "JobStatusMsg": "", "JobErrorCode": "", "JobErrorMsg": "",
                         "ResultImage": [], "ResultDetails": [], "RevisedPrompt": [], "RequestId": "r", **fields}}


REAL |= {
    "gemini": {"create": [
        {"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": B64}}],
                                     "role": "model"}, "finishReason": "STOP", "index": 0}],
         "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 1290, "totalTokenCount": 1302},
         "modelVersion": "gemini-2.5-flash-image", "responseId": "uJLnaPCQJp7Q"},
        {"candidates": [{"content": {"parts": [{"text": "I cannot draw that."}], "role": "model"},
                         "finishReason": "STOP"}]},
        {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "modelVersion": "gemini-2.5-flash-image"}]},
    "bfl": {
        "create": [{"id": "d5ba37dc-ba09-4658-852e-deea7e176439", "polling_url": BFL_POLL, "cost": 3.0,
                    "input_mp": 0.0, "output_mp": 1.05}],
        "poll": [{"id": "d5ba37dc", "status": "Pending", "result": None, "progress": 0.4, "details": None},
                 {"id": "d5ba37dc", "status": "Ready", "progress": None,
                  "result": {"sample": "https://delivery-eu1.bfl.ai/results/ab/cd/sample.png?se=2026-11-25T02%3A10"
                                       "%3A00Z&sp=r&sig=abc%3D", "prompt": "x", "seed": 42,
                             "start_time": 1764036000.1, "end_time": 1764036004.2, "duration": 4.1}},
                 {"id": "d5ba37dc", "status": "Content Moderated", "result": None,
                  "details": {"Moderation Reasons": ["Derivative Works Filter"]}}]},
    "stability": {"create": [PNG, {"image": B64, "finish_reason": "SUCCESS", "seed": 1050489934},
                             {"image": B64, "finish_reason": "CONTENT_FILTERED", "seed": 7}]},
    "hunyuan": {
        "create": [{"Response": {"JobId": HY_JOB, "RequestId": "1f9d5b2c-0c7e-4c53-9f33-5d0b0c6c9e11"}}],
        "poll": [_hunyuan("2", JobStatusMsg="处理中"),
                 _hunyuan("5", JobStatusMsg="处理完成", ResultDetails=["Success"], RevisedPrompt=["x"],
                          ResultImage=["https://hunyuan-prod-1258344703.cos.ap-guangzhou.tencentcos.cn/text2img/"
                                       "x.png?q-sign-algorithm=sha1&q-ak=AKID&q-sign-time=1764036000%3B1764039600"]),
                 _hunyuan("4", JobStatusMsg="处理失败", JobErrorCode="FailedOperation.GenerateImageFailed",
                          JobErrorMsg="图片包含敏感内容")]},
    "kling": {
        "create": [_kling("submitted")],
        "poll": [_kling("processing"),
                 _kling("succeed", task_result={"images": [{"index": 0, "url": "https://cdn.klingai.com/bs2/"
                                                                            "upload-kling-api/7/image/x.png"}]}),
                 _kling("failed", task_status_msg="Failure to pass the risk control system")]},
}
ERRORS |= {
    "gemini": [{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                          "status": "INVALID_ARGUMENT",
                          "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                                       "domain": "googleapis.com"}]}},
               {"error": {"code": 429, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED",
                          "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}]}}],
    "bfl": [{"detail": "Not authenticated"},
            {"detail": [{"loc": ["body", "width"], "msg": "Input should be a multiple of 16", "type": "value_error"}]}],
    "stability": [{"id": "a1b2", "name": "bad_request", "errors": ["aspect_ratio: must be one of 16:9, 1:1"]},
                  {"id": "c3d4", "name": "content_moderation", "errors": ["Your request was flagged."]}],
    "hunyuan": [{"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "签名不匹配"},
                              "RequestId": "r"}},
                {"Response": {"Error": {"Code": "RequestLimitExceeded.JobNumExceed", "Message": "并发数超过限制"},
                              "RequestId": "r"}}],
    "kling": [{"code": 1302, "message": "API request too fast", "request_id": "r"},
              {"code": 1102, "message": "resource pack exhausted", "request_id": "r"}],
}
OPTION_KEYS |= {"gemini": ["image_size", "generation_config"], "bfl": ["output_format", "input"],
                "stability": ["accept", "style_preset", "form"], "hunyuan": ["region", "style", "revise", "input"],
                "kling": ["resolution", "input"]}


def endpoint(name: str, **options: Any) -> Endpoint:
    p = provider(name)
    return Endpoint(name, p.base_url, p.model, "sk-fuzz-key", options)


def calls() -> dict[tuple[str, str], Call]:
    """The call each step answers: `create`, then each later step as the real answers lead to it."""
    found: dict[tuple[str, str], Call] = {}
    for name, steps in REAL.items():
        p, ep = provider(name), endpoint(name)
        found[name, "create"] = p.create(PLAN, ep)
        for step, bodies in steps.items():
            for body in bodies:
                answer = Answer(200, {"content-type": "application/json"}, json.dumps(body).encode()) \
                    if not isinstance(body, bytes) else Answer(200, {"content-type": "image/png"}, body)
                reply = p.parse(answer, found[name, step], ep)
                if reply.next is not None:
                    found.setdefault((name, reply.next.step), reply.next)
    return found


CALLS = calls()
STEPS = [(name, step) for name, steps in REAL.items() for step in steps]


def test_every_hosted_provider_and_step_is_fuzzed():
    assert set(REAL) == set(HOSTED) == set(ERRORS) == set(OPTION_KEYS)
    assert set(CALLS) == set(STEPS)


# ── strategies ─────────────────────────────────────────────────────────────────────────

ODD_TEXT = st.sampled_from(["", " ", "null", "not a url", "ftp://host/x.png", "http://", "https://exa mple.com/x",
                            "//cdn.example.com/x.png", "javascript:alert(1)", "data:,", "data:image/png;base64,!!",
                            "../../etc/passwd", "a/b?c#d", "\x00\n\t", "PENDING", "succeeded", "COMPLETED",
                            "图片", "x" * 5000, "https://" + "a" * 3000 + ".com/x.png", B64[:-3]])
SCALARS = (st.none() | st.booleans() | st.integers(-(10 ** 30), 10 ** 30) | st.floats() | st.text(max_size=40)
           | ODD_TEXT | st.sampled_from([0, -1, 2 ** 31, 2 ** 63, -(2 ** 63) - 1, 10 ** 400, 1e308, -1e-308]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def shaped_json(samples: list[Any]) -> st.SearchStrategy[Any]:
    """Arbitrary JSON whose object keys are often the protocol's own field names."""
    names = sorted({k for s in samples for k in _keys(s)}) or ["x"]
    keys = st.sampled_from(names) | st.text(max_size=8)
    return st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(keys, inner, max_size=5), max_leaves=16)


def _paths(value: Any, at: tuple = ()) -> list[tuple]:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    return [p for k, v in items for p in [(*at, k), *_paths(v, (*at, k))]]


def _huge(value: Any) -> Any:
    """A huge or negative number, a long string, a long list: about 200 kB of JSON at most."""
    if isinstance(value, bool) or value is None:
        return 2 ** 64
    if isinstance(value, (int, float)):
        return -value * 10 ** 20 if value else -(2 ** 63)
    if isinstance(value, str):
        return (value or "x") * (100_000 // max(1, len(value)))
    return [copy.deepcopy(value)] * max(2, 200_000 // len(json.dumps(value)))


@st.composite
def mutated(draw: st.DrawFn, samples: list[Any]) -> Any:
    """A real answer with 1–3 fields deleted, retyped, duplicated or made huge (that one last)."""
    value = copy.deepcopy(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(value)
        if not paths:
            break
        *parent_path, key = draw(st.sampled_from(paths))
        parent = value
        for k in parent_path:
            parent = parent[k]
        op = draw(st.sampled_from(["delete", "retype", "duplicate", "huge"]))
        if op == "delete":
            del parent[key]
        elif op == "retype":
            parent[key] = draw(shaped_json(samples))
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif op == "duplicate":
            parent[key] = [copy.deepcopy(parent[key]), copy.deepcopy(parent[key])]
        else:                                   # last: nothing is mutated inside a huge value
            parent[key] = _huge(parent[key])
            break
    return value


def encoded(value: Any, dup_key: bool = False) -> bytes:
    """JSON text of `value`; with dup_key an object's first key appears twice, first with a null."""
    text = json.dumps(value, ensure_ascii=False)
    if dup_key and isinstance(value, dict) and value:
        text = "{" + json.dumps(next(iter(value))) + ": null, " + text[1:]
    return text.encode()


CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=utf-8", "image/png",
                                 "text/html; charset=utf-8", "application/octet-stream", ""])


def bodies(samples: list[Any]) -> st.SearchStrategy[bytes]:
    json_samples = [s for s in samples if not isinstance(s, bytes)]
    texts = [s if isinstance(s, bytes) else encoded(s) for s in samples]
    kinds = [st.builds(encoded, JSON),                                                    # (a)
             st.binary(max_size=300),                                                      # (c)
             st.builds(lambda t, cut: t[:cut], st.sampled_from(texts), st.integers(0, 400))]
    if json_samples:
        kinds += [st.builds(encoded, shaped_json(json_samples), st.booleans()),
                  st.builds(encoded, mutated(json_samples), st.booleans())]               # (b)
    return st.one_of(kinds)


def answers(name: str, step: str) -> st.SearchStrategy[Answer]:
    return st.builds(lambda status, ctype, body: Answer(status, {"content-type": ctype}, body),
                     st.sampled_from([200, 200, 201, 202]), CONTENT_TYPES, bodies(REAL[name][step]))


def error_answers(name: str) -> st.SearchStrategy[Answer]:
    statuses = st.sampled_from([400, 401, 403, 404, 408, 422, 429, 500, 502, 503, 504]) | st.integers(100, 599)
    return st.builds(lambda status, ctype, body: Answer(status, {"content-type": ctype}, body),
                     statuses, CONTENT_TYPES, bodies(ERRORS[name]))


# ── properties ─────────────────────────────────────────────────────────────────────────

def parse_checked(name: str, step: str, answer: Answer) -> None:
    """The property of `parse`: a well-typed Reply that means something, or Malformed."""
    try:
        reply = provider(name).parse(answer, CALLS[name, step], endpoint(name))
    except Malformed as e:
        assert 0 < len(str(e)) <= 300, str(e)
        return
    assert isinstance(reply, Reply)
    assert isinstance(reply.images, list) and all(isinstance(i, bytes) and i for i in reply.images)
    assert isinstance(reply.urls, list)
    assert all(isinstance(u, str) and u.startswith(("https://", "http://")) for u in reply.urls), reply.urls
    assert reply.next is None or (isinstance(reply.next, Call) and isinstance(reply.next.url, str)
                                  and reply.next.url.startswith(("https://", "http://")))
    assert reply.seed is None or (type(reply.seed) is int and 0 <= reply.seed < 2 ** 63)
    assert reply.error is None or (isinstance(reply.error, str) and 0 < len(reply.error) <= 700)
    assert reply.images or reply.urls or reply.next or reply.error, "a success with no image is Malformed"


def fault_checked(name: str, answer: Answer) -> None:
    """The property of `fault`: always a Fault with a short message and an HTTP status."""
    fault = provider(name).fault(answer)
    assert isinstance(fault, Fault)
    assert isinstance(fault.message, str) and 0 < len(fault.message) <= 400
    assert type(fault.status) is int and 100 <= fault.status <= 599
    assert fault.retry_after is None or (isinstance(fault.retry_after, float) and math.isfinite(fault.retry_after)
                                         and fault.retry_after >= 0)


def fuzz(examples: int) -> Any:
    return settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name, step", STEPS)
def test_parse_gives_a_reply_or_malformed(name, step):
    @fuzz(150)
    @given(answers(name, step))
    @example(Answer(200, {"content-type": "application/json"}, b"[" * 100_000))   # deeper than json's recursion
    @example(Answer(200, {"content-type": "application/json"}, b'{"data": {"url": 5}}'))   # the nightly killer
    def prop(answer: Answer) -> None:
        parse_checked(name, step, answer)

    prop()


@pytest.mark.parametrize("name", list(REAL))
def test_fault_always_reads_an_error_body(name):
    @fuzz(150)
    @given(error_answers(name))
    @example(Answer(503, {}, b"[" * 100_000))
    @example(Answer(503, {}, b'{"error": "loading", "estimated_time": NaN}'))
    @example(Answer(429, {}, b'{"error": {"code": 1302, "message": ["x"]}, "code": {"a": 1}}'))
    def prop(answer: Answer) -> None:
        fault_checked(name, answer)

    prop()


@pytest.mark.slow
@pytest.mark.parametrize("name, step", STEPS)
def test_parse_holds_over_many_more_answers(name, step):
    @fuzz(600)
    @given(answers(name, step))
    def prop(answer: Answer) -> None:
        parse_checked(name, step, answer)

    prop()


@pytest.mark.slow
@pytest.mark.parametrize("name", list(REAL))
def test_fault_holds_over_many_more_error_bodies(name):
    @fuzz(600)
    @given(error_answers(name))
    def prop(answer: Answer) -> None:
        fault_checked(name, answer)

    prop()


# ── odd but valid plans and options ────────────────────────────────────────────────────

PROMPTS = (st.text(max_size=200) | st.text("山水桥灯笼咖啡拿铁🎨，。", min_size=1, max_size=50)
           | st.sampled_from(["x" * 40_000, "配图" * 20_000, "a\x00b\nc\td"]))
PLANS = st.builds(ImagePlan, key=st.just("cover"), role=st.sampled_from(["cover", "inline", "marker"]),
                  prompt=PROMPTS, negative_prompt=st.text(max_size=60), style=st.just("flat"),
                  width=st.integers(1, 4096) | st.sampled_from([1, 4096]),
                  height=st.integers(1, 4096) | st.sampled_from([1, 4096]),
                  seed=st.integers(0, 2 ** 63 - 1), template=st.just("travel"), template_version=st.just("t1"))


def options_for(name: str) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.sampled_from([*OPTION_KEYS[name], "unknown_option"])
    return st.dictionaries(keys, JSON, max_size=3)


@pytest.mark.parametrize("name", list(REAL))
def test_create_size_and_check_take_odd_plans_and_options(name):
    p = provider(name)

    @fuzz(120)
    @given(PLANS, options_for(name) | st.just({}))
    def prop(plan: ImagePlan, options: dict[str, Any]) -> None:
        ep = endpoint(name, **options)
        try:
            width, height = p.size(plan, ep)
            call, check = p.create(plan, ep), p.check(ep)
        except ConfigError as e:
            assert options, "the plan alone never makes a config error"
            assert f"providers.settings.{name}.options." in str(e), str(e)
            return
        assert type(width) is int and type(height) is int and width >= 1 and height >= 1
        for c in (call, check):
            assert isinstance(c, Call) and c.url.startswith(("https://", "http://"))
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in c.headers.items())
            json.dumps(c.json, allow_nan=False)              # what the transport will send

    prop()
