"""What the author decided, which every planner's proposal yields to: how many inline images (`--inline`,
`peitu: {inline: …}`, config), which sections may have one (a heading, enough prose, no image of the
author's, not named in `peitu: {no_image_after: […]}`), and whether the type was declared (`--type`,
`peitu: {type: …}`, front matter `type:`). Author-placed images (`__generate:` markers, 【配图：…】
placeholders) are not planned at all: the prompts stage makes them from the author's words."""

from __future__ import annotations

from typing import Any

from ..config import Config
from ..errors import InputError
from ..models import Article, Section
from .schema import ImageIdea, Plan

MIN_PROSE = 20              # characters: a one-line section gets no image


def inline_count(article: Article, cfg: Config, count: int | None) -> int:
    """The run's count, else the article's `peitu: {inline: …}`, else config's images.inline_count."""
    if count is not None:
        return max(count, 0)
    value = article.options.get("inline")
    if value is None or value is True:
        return cfg.images.inline_count
    if value is False:
        return 0
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        raise InputError(f"peitu.inline must be a number of images, not {value!r}",
                         where=str(article.source or article.slug)) from None


def excluded(article: Article) -> set[str]:
    """Headings the author named in `peitu: {no_image_after: […]}`."""
    return {str(h).strip() for h in _as_list(article.options.get("no_image_after"))}


def eligible(article: Article) -> list[bool]:
    """Per section: may an inline image follow it?"""
    skip = excluded(article)
    return [_fit(s) and s.heading.strip() not in skip for s in article.sections]


def _fit(s: Section) -> bool:
    return bool(s.heading.strip()) and not s.has_image and len(s.text.strip()) >= MIN_PROSE


def declared_type(article: Article, cfg: Config, override: str | None = None) -> bool:
    """True when the type was set by the run or the author, not detected: then it stays."""
    from ..ingest.article_type import resolve_type

    declared = article.meta.get("type")
    return bool(override or "type" in article.options
                or (declared not in (None, "") and resolve_type(str(declared), cfg)))


def apply(plan: Plan, article: Article, count: int) -> Plan:
    """`plan` with only images the author allows: on eligible sections, one per section, at most
    `count` (the planner's first choices), in article order."""
    ok = eligible(article)
    kept: dict[int, ImageIdea] = {}
    for idea in plan.images:
        if len(kept) >= count:
            break
        if idea.section < len(ok) and ok[idea.section] and idea.section not in kept:
            kept[idea.section] = idea
    return plan.model_copy(update={"images": [kept[i] for i in sorted(kept)]})


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
