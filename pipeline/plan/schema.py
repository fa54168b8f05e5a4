"""What a planner returns, as a pydantic model: the article's type, its keywords, a cover and the inline
images (which section, why, what kind of picture, the concrete subjects, the image prompt). The rules
planner builds one; a chat model's answer is read through it (`read`), with the article's own facts
(the types, the section numbers) passed as validation context, and `json_schema` is what the model is
shown and, where the endpoint takes it, held to."""

from __future__ import annotations

import copy
import json
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, ValidationError, ValidationInfo, field_validator

KINDS = ("scene", "object", "diagram", "map", "person", "pattern")
Kind = Literal["scene", "object", "diagram", "map", "person", "pattern"]
MAX_KEYWORDS = 8
MAX_ERRORS = 8                           # validation errors sent back in the repair turn


def _cut(limit: int) -> AfterValidator:
    return AfterValidator(lambda s: " ".join(str(s).split())[:limit])


Short = Annotated[str, _cut(40)]         # a subject, a keyword
Line = Annotated[str, _cut(120)]         # a purpose, a concept
Prompt = Annotated[str, _cut(800)]


class CoverIdea(BaseModel):
    """The cover: its concept, what kind of picture, its subjects, its prompt, and a shorter title to set
    on it when the real one is long ("" otherwise)."""

    concept: Line
    kind: Kind = "scene"
    subjects: list[Short] = Field(default_factory=list, max_length=6)
    prompt: Prompt = ""
    display_title: Annotated[str, _cut(20)] = ""


class ImageIdea(BaseModel):
    """One inline image, placed after section number `section` (an index into Article.sections)."""

    section: int = Field(ge=0)
    purpose: Line
    kind: Kind
    subjects: list[Short] = Field(default_factory=list, max_length=6)
    prompt: Prompt = ""                 # "" lets the type template write it from the subjects

    @field_validator("section")
    @classmethod
    def _known_section(cls, value: int, info: ValidationInfo) -> int:
        count = (info.context or {}).get("sections")
        if count is not None and value >= count:
            raise ValueError(f"no section {value}: the article's sections are numbered 0 to {count - 1}")
        return value


class Plan(BaseModel):
    """An article's illustration plan."""

    type: str
    keywords: list[Short] = Field(max_length=12)
    cover: CoverIdea
    images: list[ImageIdea] = Field(default_factory=list, max_length=12)

    @field_validator("type")
    @classmethod
    def _our_type(cls, value: str, info: ValidationInfo) -> str:
        types: dict[str, str] | None = (info.context or {}).get("types")      # label or id → id
        if types is None:
            return value
        found = types.get(value.strip()) or types.get(value.strip().lower())
        if found is None:
            raise ValueError(f"'{value[:40]}' is not one of the types: {', '.join(sorted(set(types.values())))}")
        return found


def json_schema(types: list[str], sections: int) -> dict[str, Any]:
    """Plan's JSON schema as a model is shown it: the type one of `types`, a section number below
    `sections`, every field required and no others (what strict structured output asks)."""
    schema = copy.deepcopy(_SCHEMA)
    schema["properties"]["type"]["enum"] = types
    schema["$defs"]["ImageIdea"]["properties"]["section"]["maximum"] = max(sections - 1, 0)
    return schema


def _strict(node: Any) -> None:
    """Every object: all properties required, no others; titles, defaults and docstrings dropped."""
    if isinstance(node, dict):
        node.pop("title", None)
        node.pop("default", None)
        node.pop("description", None)
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])
            node["additionalProperties"] = False
        for value in node.values():
            _strict(value)
    elif isinstance(node, list):
        for value in node:
            _strict(value)


_SCHEMA = Plan.model_json_schema()
_strict(_SCHEMA)


def read(text: str, context: dict[str, Any]) -> tuple[Plan | None, list[str]]:
    """A model's answer as a Plan, or None and what is wrong with it (one line each, for the repair turn).
    The JSON object may sit in a ```json fence or among words."""
    try:
        return Plan.model_validate_json(_json_part(text), context=context), []
    except ValidationError as err:
        return None, explain(err)


def explain(err: ValidationError) -> list[str]:
    out = []
    for e in err.errors(include_url=False, include_input=False)[:MAX_ERRORS]:
        where = ".".join(str(p) for p in e["loc"]) or "(the answer)"
        msg = e["msg"].removeprefix("Value error, ")
        out.append(f"not JSON: {msg.removeprefix('Invalid JSON: ')}" if e["type"] == "json_invalid"
                   else f"{where}: {msg}")
    if err.error_count() > MAX_ERRORS:
        out.append(f"(and {err.error_count() - MAX_ERRORS} more)")
    return out


FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def _json_part(text: str) -> str:
    """The JSON object in an answer: the text itself, a fenced block, or from the first { to the last }."""
    text = text.strip()
    if text.startswith("{"):
        return text
    fenced = FENCE.search(text)
    if fenced and fenced.group(1).strip().startswith("{"):
        return fenced.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    return text[start:end + 1] if 0 <= start < end else text


def schema_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":"))
