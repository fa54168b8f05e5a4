"""YAML front matter as the 公众号 Markdown tools write it (wenyan, md2wechat, baoyu, doocs/md, Hexo/Jekyll),
normalised to what peitu needs, with file:line errors."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import InputError
from ..yamlsafe import load_yaml

TITLE_KEYS = ("title",)
COVER_KEYS = ("cover", "coverImage", "featureImage", "image", "header-img")
DIGEST_KEYS = ("digest", "summary", "description")
_OPEN = re.compile(r"\A---[ \t]*\r?\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)
_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:", re.MULTILINE)
MAX_BYTES = 100_000                 # front matter is a few lines of settings


@dataclass
class FrontMatter:
    meta: dict[str, Any]
    body: str
    body_line: int = 0                                         # source lines before the body
    key_lines: dict[str, int] = field(default_factory=dict)   # top-level key → 1-based line

    def first(self, keys: tuple[str, ...]) -> tuple[str, str]:
        """(key, value) of the first key present with a non-empty value, else ('', '')."""
        for key in keys:
            value = self.meta.get(key)
            if value not in (None, ""):
                return key, _scalar(value)
        return "", ""

    def line(self, key: str) -> int:
        return self.key_lines.get(key, 0)


def _scalar(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return str(value[0]).strip() if value else ""
    return str(value).strip()


def _plain(value: Any) -> Any:
    """Dates as ISO strings, so meta stays JSON-friendly."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def split_front_matter(text: str, where: str) -> FrontMatter:
    """Split `---` YAML front matter off the text. No front matter → empty meta."""
    opening = _OPEN.match(text)
    if not opening:
        return FrontMatter({}, text)
    closing = _CLOSE.search(text, opening.end())
    if not closing:
        if _KEY.match(text, opening.end()):
            raise InputError("front matter starts with --- on line 1 but is never closed with ---",
                             where=f"{where}:1")
        return FrontMatter({}, text)
    block = text[opening.end():closing.start()]
    meta = load_yaml(block, where, what="front matter", first_line=2, aliases=False, max_bytes=MAX_BYTES)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise InputError("front matter must be `key: value` lines", where=f"{where}:2")
    end = closing.end()
    body = text[end:].removeprefix("\r").removeprefix("\n")
    key_lines = {m.group(1): block.count("\n", 0, m.start()) + 2 for m in _KEY.finditer(block)}
    return FrontMatter(_plain({str(k): v for k, v in meta.items()}), body,
                       body_line=text.count("\n", 0, len(text) - len(body)), key_lines=key_lines)


def as_list(value: Any) -> list[str]:
    """tags/categories: a YAML list, or 'a, b' / 'a，b' in one string."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in re.split(r"[,，、;；]|\s{2,}", str(value)) if p.strip()]


class Options(BaseModel):
    """The `peitu:` front-matter block: per-article settings."""

    model_config = ConfigDict(extra="forbid")

    type: str | None = None
    style: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]+$")
    cover: bool | None = None
    inline: int | None = Field(None, ge=0, le=20)
    no_image_after: list[str] | None = None
    account: str | None = None

    @field_validator("no_image_after", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("inline", mode="before")
    @classmethod
    def _no_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a number of images, e.g. 3")
        return value


def parse_options(fm: FrontMatter, where: str) -> dict[str, Any]:
    """Validate the `peitu:` block; returns only the keys the author set."""
    block = fm.meta.get("peitu")
    if block is None:
        return {}
    at = f"{where}:{fm.line('peitu') or 1}"
    if not isinstance(block, dict):
        raise InputError("`peitu:` must be a block of settings (type, style, cover, inline, no_image_after)",
                         where=at)
    try:
        return Options(**block).model_dump(exclude_unset=True, exclude_none=True)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            key = ".".join(str(p) for p in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = f"unknown setting; allowed: {', '.join(Options.model_fields)}"
            problems.append(f"peitu.{key}: {msg}")
        raise InputError("; ".join(problems), where=at) from None
