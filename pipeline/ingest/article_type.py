"""Article type (a prompt template name) from config's weighted keyword rules.

score(type) = 3 × Σ weights of its words in the title + 2 × Σ in headings and tags
            + Σ weight × occurrences in the prose per 1,000 characters (short texts count as 1,000),
so a long article does not outscore a short one just by length. Below min_score → the default type."""

from __future__ import annotations

import re
from functools import lru_cache

from ..config import Config
from ..errors import InputError
from ..models import Article
from .frontmatter import as_list
from .keywords import to_simplified

TITLE_WEIGHT, HEADING_WEIGHT = 3.0, 2.0
PER_CHARS = 1000


def type_ids(cfg: Config) -> list[str]:
    """Every type id: the rules' ids and the default."""
    return [*cfg.article_types.rules, *([cfg.article_types.default]
                                        if cfg.article_types.default not in cfg.article_types.rules else [])]


def resolve_type(name: str, cfg: Config) -> str | None:
    """A type id from an id or a Chinese label ('财经', '教育/育儿' or '育儿'); None when unknown."""
    name = str(name).strip()
    if name in type_ids(cfg):
        return name
    low = name.lower()
    for type_id, rule in cfg.article_types.rules.items():
        labels = {rule.label, *re.split(r"[/／、,，]", rule.label)}
        if low == type_id.lower() or name in {lbl.strip() for lbl in labels}:
            return type_id
    if name in ("默认", "default"):
        return cfg.article_types.default
    return None


def require_type(name: str, cfg: Config, where: str) -> str:
    """resolve_type, or an InputError listing the choices."""
    type_id = resolve_type(name, cfg)
    if type_id is None:
        choices = ", ".join(f"{t} ({cfg.article_types.rules[t].label})" if t in cfg.article_types.rules else t
                            for t in type_ids(cfg))
        raise InputError(f"unknown article type '{name}'; choose one of: {choices}", where=where)
    return type_id


@lru_cache(maxsize=4096)
def _needle(word: str) -> re.Pattern[str] | str:
    """English words match whole words, case-insensitively; Chinese words match anywhere (a plain
    substring count, several times faster than a regex over every rule word)."""
    if word.isascii():
        return re.compile(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", re.IGNORECASE)
    return to_simplified(word)


def _count(word: str, text: str) -> int:
    if not text:
        return 0
    needle = _needle(word)
    return text.count(needle) if isinstance(needle, str) else len(needle.findall(text))


def type_scores(article: Article, cfg: Config) -> dict[str, float]:
    """Each rule's score for this article (see the module docstring)."""
    title = to_simplified(article.title)
    headings = to_simplified("\n".join(
        [*(s.heading for s in article.sections if s.heading),
         *as_list(article.meta.get("tags")), *as_list(article.meta.get("categories"))]))
    body = to_simplified("\n".join(p for s in article.sections for p in s.paragraphs))
    per = PER_CHARS / max(len(body), PER_CHARS)
    scores = {}
    for type_id, rule in cfg.article_types.rules.items():
        score = 0.0
        for word, weight in rule.keywords.items():
            score += weight * (TITLE_WEIGHT * bool(_count(word, title)) + HEADING_WEIGHT * _count(word, headings)
                               + per * _count(word, body))
        scores[type_id] = round(score, 3)
    return scores


def detect_type(article: Article, cfg: Config) -> str:
    """The best-scoring type id, or cfg.article_types.default when none reaches min_score."""
    scores = type_scores(article, cfg)
    best = max(scores, key=lambda t: scores[t], default=None)
    if best is None or scores[best] < cfg.article_types.min_score:
        return cfg.article_types.default
    return best
