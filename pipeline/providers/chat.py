"""An OpenAI-compatible chat endpoint (`POST {base_url}/chat/completions`): DeepSeek, Qwen through
DashScope's compatible mode, Doubao through Volcengine Ark, GLM, Kimi, OpenAI. Pure protocol, like an
image provider: it builds the request and reads the answer; pipeline.generate.chat sends it.

How the answer is asked to be JSON (`response_format`):
  json_schema  {"type": "json_schema", "json_schema": {"name", "schema", "strict": true}} (OpenAI; some others)
  json_object  {"type": "json_object"}: any JSON object; the messages must mention "json" (DeepSeek, Qwen,
               GLM, Kimi, Doubao)
  plain        nothing: the model is asked in words
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from .base import Answer, Call, Endpoint, Fault, Malformed, error_text, validate

Mode = Literal["json_schema", "json_object", "plain"]
MODES: tuple[Mode, ...] = ("json_schema", "json_object", "plain")     # strongest first
# hosts whose endpoints take json_object but not (all models) json_schema
JSON_OBJECT_HOSTS = ("deepseek.com", "aliyuncs.com", "volces.com", "bigmodel.cn", "moonshot.cn", "moonshot.ai")
Message = dict[str, str]


class ChatMessage(BaseModel):
    content: str | None = None
    refusal: str | None = None


class Choice(BaseModel):
    message: ChatMessage
    finish_reason: str | None = None


class Usage(BaseModel):
    prompt_tokens: int = Field(0, ge=0)
    completion_tokens: int = Field(0, ge=0)


class Completion(BaseModel):
    choices: list[Choice] = Field(min_length=1)
    model: str = ""
    usage: Usage | None = None


class Said(BaseModel):
    """What the model answered: its text, why it stopped ("stop", "length" …) and the tokens used."""

    text: str
    finish_reason: str = ""
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Chat:
    """The chat protocol. `label` names it in messages; settings live under `planner:` in config.yaml."""

    label = "chat model"
    auth_scheme = "Bearer"

    def headers(self, ep: Endpoint) -> dict[str, str]:
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        if ep.key:
            h["Authorization"] = f"{self.auth_scheme} {ep.key}"
        return h

    def url(self, ep: Endpoint, path: str) -> str:
        return ep.base_url.rstrip("/") + "/" + path.lstrip("/")

    def mode_for(self, ep: Endpoint) -> Mode:
        """The strongest JSON mode this endpoint is known to take (unknown endpoints: json_schema, and a
        refusal steps down)."""
        host = (urlsplit(ep.base_url).hostname or "").lower()
        return "json_object" if host.endswith(JSON_OBJECT_HOSTS) else "json_schema"

    def create(self, messages: list[Message], ep: Endpoint, *, mode: Mode, schema: dict[str, Any],
               max_tokens: int, temperature: float) -> Call:
        body: dict[str, Any] = {"model": ep.model, "messages": messages, "max_tokens": max_tokens,
                                "temperature": temperature, "stream": False}
        if mode == "json_schema":
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "plan", "schema": schema, "strict": True}}
        elif mode == "json_object":
            body["response_format"] = {"type": "json_object"}
        return Call("POST", self.url(ep, "chat/completions"), self.headers(ep), body | ep.options)

    def parse(self, answer: Answer, call: Call) -> Said:
        """The first choice's text; Malformed when the answer is no chat completion or holds no text."""
        done = validate(Completion, answer.body, call.step)
        first = done.choices[0]
        if first.message.refusal:
            raise Malformed(f"the model refused: {first.message.refusal[:200]}")
        if not first.message.content:
            raise Malformed(f"{call.step} answer: no text in choices[0].message.content")
        usage = done.usage or Usage.model_validate({})
        return Said(text=first.message.content, finish_reason=first.finish_reason or "", model=done.model,
                    prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens)

    def fault(self, answer: Answer) -> Fault:
        """{"error": {"message", "type", "code"}} as OpenAI and the compatible endpoints write it."""
        return Fault(error_text(answer), answer.status)

    def refuses_format(self, status: int | None, message: str) -> bool:
        """A 400/422 that is about response_format: the endpoint does not take that JSON mode."""
        text = message.lower()
        return status in (400, 422) and any(w in text for w in ("response_format", "json_schema",
                                                                      "json_object", "structured"))
