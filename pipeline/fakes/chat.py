"""A fake OpenAI-compatible chat model: `POST /v1/chat/completions` and `GET /v1/models` on 127.0.0.1.

It speaks the protocol as OpenAI documents it and the compatible vendors (DeepSeek, Qwen, Doubao, GLM,
Kimi) follow it: Bearer auth, `response_format` json_schema / json_object / none, the json_object rule
that some message must say "json", errors as {"error": {"message", "type", "param", "code"}}, 429 with
Retry-After. What it answers is a plan: a fixed one when a message holds one of `plans`' keys (an
article's title), else one built from the request as a model would (the offline keywords and type it
was shown, the sections marked [可配图]). Without a response_format it answers in words around a fenced
JSON block. Faults, one per request (`inject`): the provider faults of the fake providers' base (429,
5xx, timeout, malformed bodies, dripping answers) and the model's own: prose (no JSON at all), badjson,
wrongschema (JSON of another shape), length (cut off at max_tokens)."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any, ClassVar

from .providers.base import STATUS_FAULTS, FakeServer, Request, Response

CHAT_FAULTS = (*STATUS_FAULTS, "timeout", "malformed", "oddshape", "drip", "prose", "badjson", "wrongschema",
               "length")
FORMATS = ("json_schema", "json_object", "text")
SECTION = re.compile(r"^§(\d+) (.*?) \[(可配图|不配图)\]$", re.M)
CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,6}")


class FakeChat(FakeServer):
    name = "chat"
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [("POST", r"/v1/chat/completions", "complete", True),
                                                          ("GET", r"/v1/models", "models", False)]
    faults_supported = CHAT_FAULTS

    def __init__(self, *, plans: dict[str, dict[str, Any]] | None = None, formats: tuple[str, ...] = FORMATS,
                 images: int = 3, model: str = "fake-chat", **knobs: Any):
        super().__init__(**knobs)
        self.plans = plans or {}          # a text a message holds (an article's title) → the plan to answer
        self.formats = formats            # response_format types it takes ("text": none asked)
        self.images = images              # inline images a built plan proposes at most
        self.model = model

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def error(self, status: int, message: str) -> Response:
        kind = {401: ("invalid_request_error", "invalid_api_key"), 429: ("requests", "rate_limit_exceeded"),
                404: ("invalid_request_error", "model_not_found")}.get(
            status, ("server_error" if status >= 500 else "invalid_request_error", None))
        return Response.of({"error": {"message": message, "type": kind[0], "param": None, "code": kind[1]}},
                           status, **{"x-request-id": f"req_{uuid.uuid4().hex[:16]}"})

    def requests(self) -> list[dict[str, Any]]:
        """The bodies of the completion requests seen so far."""
        return [r.json for r in self.creates()]

    # ── the protocol ──────────────────────────────────────────────────────────────────────

    def complete(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body["messages"]:
            return self.error(400, "Missing required parameter: 'messages'.")
        if not body.get("model"):
            return self.error(400, "Missing required parameter: 'model'.")
        texts = [str(msg.get("content", "")) for msg in body["messages"] if isinstance(msg, dict)]
        wanted = body.get("response_format") or {"type": "text"}
        kind = wanted.get("type") if isinstance(wanted, dict) else None
        if kind not in self.formats:
            return self.error(400, "This response_format type is unavailable now")
        if kind == "json_object" and not any("json" in t.lower() for t in texts):
            return self.error(400, "'messages' must contain the word 'json' in some form, to use 'response_format' "
                                   "of type 'json_object'.")
        schema = wanted.get("json_schema") if kind == "json_schema" else None
        if kind == "json_schema" and not (isinstance(schema, dict) and schema.get("name")
                                          and isinstance(schema.get("schema"), dict)):
            return self.error(400, "Invalid parameter: 'response_format.json_schema' needs 'name' and 'schema'.")
        plan = self.plan_for(texts, schema["schema"] if schema else None)
        content, finish = self.said(plan, kind, fault)
        return self.answer(body["model"], content, finish, texts)

    def said(self, plan: dict[str, Any], kind: str, fault: str | None) -> tuple[str, str]:
        """The answer's text and finish_reason, as the format and the fault make it."""
        text = json.dumps(plan, ensure_ascii=False)
        if fault == "prose":
            return "这篇文章很有意思，建议在每一节后面配一张和内容相关的图片。", "stop"
        if fault == "badjson":
            return text[: len(text) // 2] + ', "images": [}', "stop"
        if fault == "wrongschema":
            other = {"pictures": [{"where": "开头", "what": "一张图"}], "type": 42}
            return json.dumps(other, ensure_ascii=False), "stop"
        if fault == "length":
            return text[: len(text) // 3], "length"
        if kind == "text":
            fenced = json.dumps(plan, ensure_ascii=False, indent=2)
            return f"好的，这是配图方案：\n```json\n{fenced}\n```\n祝写作顺利！", "stop"
        return text, "stop"

    def answer(self, model: str, content: str, finish: str, texts: list[str]) -> Response:
        return Response.of({
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": None},
                         "logprobs": None, "finish_reason": finish}],
            "usage": {"prompt_tokens": sum(map(len, texts)) // 2, "completion_tokens": len(content) // 2,
                      "total_tokens": (sum(map(len, texts)) + len(content)) // 2}})

    def models(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return Response.of({"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "fake"}]})

    # ── what it plans ─────────────────────────────────────────────────────────────────────

    def plan_for(self, texts: list[str], schema: dict[str, Any] | None) -> dict[str, Any]:
        for key, plan in self.plans.items():
            if any(key in t for t in texts):
                return plan
        return self.built(next((t for t in texts if SECTION.search(t)), texts[-1]), schema)

    def built(self, article: str, schema: dict[str, Any] | None) -> dict[str, Any]:
        """A plan read off the article as shown: its offline keywords and type, its sections marked [可配图]."""
        title = _line_after(article, "Title:") or "文章"
        keywords = [k for k in re.split(r"[、,，\s]+", _line_after(article, "Keywords found offline:")) if k]
        keywords = keywords or list(dict.fromkeys(CJK_WORD.findall(article)))[:6]
        heads = list(SECTION.finditer(article))
        ends = [h.start() for h in heads[1:]] + [len(article)] * bool(heads)
        bodies = [article[h.end():end] for h, end in zip(heads, ends, strict=True)]
        images: list[dict[str, Any]] = []
        for head, body in zip(heads, bodies, strict=True):
            if head.group(3) != "可配图" or len(images) >= self.images:
                continue
            subjects = [k for k in keywords if k in body][:4] or CJK_WORD.findall(body)[:2]
            images.append({"section": int(head.group(1)), "purpose": f"展示{head.group(2)[:12]}", "kind": "scene",
                           "subjects": subjects,
                           "prompt": f"a clear picture of {', '.join(subjects) or 'the scene'}, natural light"})
        types = ((schema or {}).get("properties", {}).get("type", {}) or {}).get("enum") or []
        offline = _line_after(article, "Type found offline:").split(" ")[0]
        return {"type": offline if offline and (offline in types or not types) else (types or ["default"])[-1],
                "keywords": keywords[:8],
                "cover": {"concept": "、".join(keywords[:2]) or title[:8], "kind": "scene", "subjects": keywords[:3],
                          "prompt": f"a wide scene showing {', '.join(keywords[:3]) or 'the story'}",
                          "display_title": title[:12] if len(title) > 16 else ""},
                "images": images}


def _line_after(text: str, label: str) -> str:
    found = re.search(re.escape(label) + r"\s*(.*)", text)
    return found.group(1).strip() if found else ""
