"""What every hosted provider implements: build a request, read the answer, say how to poll.

A provider is pure protocol. It never sends anything itself, never sleeps, retries or falls back:
pipeline.generate owns all of that, and feeds each answer back to `parse`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, JsonValue, PlainValidator,
                      StringConstraints, ValidationError)
from urllib3 import encode_multipart_formdata

from ..errors import ConfigError
from ..models import ImagePlan
from .rules import ModelRules, rules_for


class Malformed(Exception):
    """An answer that does not follow the provider's protocol (bad JSON, missing fields)."""


@dataclass
class Endpoint:
    """A provider as configured: where it lives, which model, which key, provider-specific extras."""

    name: str
    base_url: str
    model: str
    key: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Call:
    """One HTTP request to make. `step` tells `parse` which answer it is reading. The body is `json`,
    or `form` (multipart/form-data text fields, e.g. Stability's API), or none."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    step: str = "create"
    carry: dict[str, Any] = field(default_factory=dict)   # what a later step needs (ids, URLs)
    form: dict[str, str] | None = None

    def payload(self) -> tuple[bytes | None, dict[str, str]]:
        """The body as sent, and the headers it needs (a multipart boundary). JSON is encoded the same
        way every time, so a provider may sign these very bytes (Tencent Cloud's TC3)."""
        if self.form is not None:
            body, content_type = encode_multipart_formdata(self.form)
            return body, {"Content-Type": content_type}
        if self.json is None:
            return None, {}
        return json.dumps(self.json, ensure_ascii=False).encode(), {}


@dataclass
class Answer:
    """An HTTP response, as `parse` sees it."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass
class Reply:
    """What an answer means: image bytes and/or URLs to download, a poll to make next, or a failed job."""

    images: list[bytes] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    next: Call | None = None           # pending: make this call after poll_interval_s
    seed: int | None = None            # the seed the provider reports it used
    error: str | None = None           # the job ran and failed (async failure, content filter)


@dataclass
class Fault:
    """A provider's own reading of an error body: its message and the HTTP status it amounts to."""

    message: str
    status: int
    retry_after: float | None = None


class Provider:
    """Base class: subclasses set the class attributes and override the four verbs."""

    name: ClassVar[str]
    label: ClassVar[str]                          # how users know it, e.g. "通义万相 (DashScope)"
    base_url: ClassVar[str]
    model: ClassVar[str]
    key_env: ClassVar[str | None]
    key_required: ClassVar[bool] = True
    auth_scheme: ClassVar[str] = "Bearer"
    check_ok: ClassVar[tuple[int, ...]] = (200,)  # statuses of `check` that mean "key accepted"
    models: ClassVar[dict[str, ModelRules]] = {"*": ModelRules()}   # model-name pattern → its rules

    def rules(self, ep: Endpoint) -> ModelRules:
        """The configured model's rules (the first matching pattern of `models`)."""
        return rules_for(ep.model, self.models)

    def headers(self, ep: Endpoint) -> dict[str, str]:
        """Auth and content headers for every call to the provider's own host."""
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        if ep.key:
            h["Authorization"] = f"{self.auth_scheme} {ep.key}"
        return h

    def size(self, plan: ImagePlan, ep: Endpoint) -> tuple[int, int]:
        """The size to ask for: what the model accepts, close to the plan's aspect ratio."""
        return self.rules(ep).size(plan.width, plan.height)

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        """The request that starts a generation; ConfigError when ep.options are wrong (see `options`)."""
        raise NotImplementedError

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        """Read a successful (2xx) answer to `call` through its schema (`validate`): a Reply that holds
        an image, a URL, the next call or the job's failure; Malformed for anything else."""
        raise NotImplementedError

    def fault(self, answer: Answer) -> Fault:
        """Read an error answer (status ≥ 400, or a 2xx the provider uses for errors). Never raises."""
        return Fault(error_text(answer), answer.status)

    def refuses(self, answer: Answer) -> bool:
        """True when a 2xx answer is an error all the same (Tencent Cloud answers every error with HTTP
        200 and a Response.Error); `fault` then reads it. Never raises."""
        return False

    def check(self, ep: Endpoint) -> Call:
        """One cheap authenticated call that makes no image (for `peitu providers check`)."""
        raise NotImplementedError

    def url(self, ep: Endpoint, path: str) -> str:
        return ep.base_url.rstrip("/") + "/" + path.lstrip("/")


# ── schemas: every answer is read through a pydantic model ─────────────────────────────

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: bytes | Any, step: str) -> M:
    """`data` (an answer's body, or a value already read from one) as `model`; Malformed naming the
    first wrong field otherwise. Models ignore extra fields: providers add fields freely."""
    try:
        if isinstance(data, bytes):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as e:
        raise Malformed(f"{step} answer: {explain(e)}") from None


def explain(err: ValidationError) -> str:
    """The first error of a validation, short, with the field's location (no input values)."""
    first = err.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    kind, msg = first["type"], first["msg"].removeprefix("Value error, ")
    if kind == "json_invalid":
        text = f"not JSON ({msg.removeprefix('Invalid JSON: ')})"
    elif kind in ("model_type", "model_attributes_type", "dict_type") and not where:
        text = "not a JSON object"
    elif kind == "missing":
        text = f"no '{where}'"
    elif kind == "too_short":
        text = f"'{where}' is empty: no image"
    elif kind == "string_pattern_mismatch":
        text = f"'{where}': not an id (letters, digits and ._:- only)"
    else:
        text = f"'{where}': {msg}"
    more = err.error_count() - 1
    return text[:200] + (f" (and {more} more)" if more else "")


def b64decode(text: str) -> bytes:
    """Decode base64 or a data: URL; ValueError when it is neither, or empty."""
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64") from None
    if not data:
        raise ValueError("an empty image")
    return data


def _image(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError("expected a base64 string")
    return b64decode(value)


def _http_url(value: str) -> str:
    parts = urlsplit(value)                                 # .port: ValueError when not a port number
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.port == 0 \
            or not value.isprintable() or " " in value:
        raise ValueError("not an http(s) URL")
    return value


Url = Annotated[str, StringConstraints(max_length=16_384), AfterValidator(_http_url)]
Urls = Annotated[list[Url], BeforeValidator(lambda v: [v] if isinstance(v, str) else v)]   # one URL or a list
Image = Annotated[bytes, PlainValidator(_image)]             # base64 or a data: URL, decoded
Seed = Annotated[int, Field(ge=0, le=2 ** 63 - 1)]           # it goes to the manifest and SQLite
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")]   # goes into a URL path
Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Text = Annotated[str, AfterValidator(lambda s: s[:300])]    # a provider's message, cut to fit one line


class Said(BaseModel):
    """An error object as APIs write them: {"message"} / {"msg"} / {"error"} / {"type"}."""

    model_config = ConfigDict(coerce_numbers_to_str=True)
    message: str | None = None
    msg: str | None = None
    error: str | None = None
    type: str | None = None

    def text(self) -> str:
        return self.message or self.msg or self.error or self.type or ""


Saying = str | Said | list[str | Said]


class ErrorBody(BaseModel):
    """The common error bodies: {"error": …}, {"detail": …} (FastAPI, RFC 7807), {"message": …}."""

    model_config = ConfigDict(coerce_numbers_to_str=True)
    error: Saying | None = None
    detail: Saying | None = None
    message: str | None = None
    msg: str | None = None
    title: str | None = None

    def text(self) -> str:
        for value in (self.error, self.detail, self.message, self.msg, self.title):
            parts = value if isinstance(value, list) else [value]
            text = "; ".join(p if isinstance(p, str) else p.text() for p in parts if p).strip()
            if text:
                return text
        return ""


def error_text(answer: Answer) -> str:
    """The message in an error body, whichever common shape it has; else the start of its text.
    Never raises."""
    try:
        said = ErrorBody.model_validate_json(answer.body).text()
    except ValidationError:
        said = ""
    text = said or answer.body[:200].decode("utf-8", "replace")
    text = "".join(c if c.isprintable() else " " for c in text).strip()
    return text[:300] or f"HTTP {answer.status}"


# ── options: providers.settings.<name>.options, checked like the rest of config.yaml ──────

def _json_finite(value: dict[str, Any]) -> dict[str, Any]:
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        raise ValueError("holds NaN or Infinity, which JSON cannot carry") from None
    return value


JsonObject = Annotated[dict[str, JsonValue], AfterValidator(_json_finite)]


class Options(BaseModel):
    """A provider's extras. Unknown keys are refused: a misspelt option would be ignored silently."""

    model_config = ConfigDict(extra="forbid")


class InputOptions(Options):
    input: JsonObject = Field(default_factory=dict)          # merged into the request's input as is


OptionsT = TypeVar("OptionsT", bound=Options)


def options(model: type[OptionsT], ep: Endpoint) -> OptionsT:
    """ep.options as `model`, or a ConfigError naming providers.settings.<name>.options.<key>."""
    try:
        return model.model_validate(ep.options)
    except ValidationError as e:
        first = e.errors(include_url=False, include_input=False)[0]
        key = first["loc"][0] if first["loc"] else ""
        msg = "unknown option" if first["type"] == "extra_forbidden" else first["msg"].removeprefix("Value error, ")
        known = ", ".join(model.model_fields) or "none"
        raise ConfigError(f"providers.settings.{ep.name}.options.{key}: {msg}",
                          hint=f"fix it in config.yaml (options {ep.name} knows: {known})") from None


def wh(size: tuple[int, int], sep: str = "x") -> str:
    return f"{size[0]}{sep}{size[1]}"


def drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}
