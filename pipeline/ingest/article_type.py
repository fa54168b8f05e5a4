"""Article type (a prompt template name) from config's weighted vocabulary rules.

Every rule word found in the article is evidence for the types that list it:

    evidence(word) = TITLE_WEIGHT × [in the title] + HEADING_WEIGHT × [in a heading or tag]
                   + KEYWORD_WEIGHT × [inside one of the article's keywords]
                   + d / (d + BODY_HALF), d = its occurrences in the prose per 1,000 characters
    score(type)    = Σ weight(type, word) × evidence(word)

The prose term saturates, so a type wins by the breadth of its vocabulary in the text (many of its words,
a few times each) rather than by one word repeated, and a long article does not outscore a short one just
by length. Words are found in one pass over the text (Aho-Corasick), longest first and without overlap, so
自行车 is not also 车 and 汤姆 is not 汤; English words match whole and ignoring case. Below min_score →
the default type. The words and weights are config.yaml's `article_types.rules`, which operators edit."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from ..config import Config
from ..errors import InputError
from ..models import Article
from .frontmatter import as_list
from .vocabulary import Vocabulary, normalise, vocabulary

TITLE_WEIGHT, HEADING_WEIGHT, KEYWORD_WEIGHT = 3.0, 1.0, 1.0
BODY_HALF = 0.5                        # occurrences per 1,000 characters at which prose evidence is half full
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


def _texts(article: Article) -> tuple[str, str, str]:
    """Title, headings and tags, and prose, normalised."""
    headings = "\n".join([*(s.heading for s in article.sections if s.heading),
                          *as_list(article.meta.get("tags")), *as_list(article.meta.get("categories"))])
    body = "\n".join(p for s in article.sections for p in s.paragraphs)
    return normalise(article.title), normalise(headings), normalise(body)


def evidence(article: Article, vocab: Vocabulary) -> dict[int, float]:
    """Each rule word found in the article → how strongly it is there (see the module docstring)."""
    title, headings, body = _texts(article)
    if not vocab.weights:
        return {}
    per = PER_CHARS / max(len(body), PER_CHARS)
    strength: dict[int, float] = {}
    for i, n in vocab.find(body).items():
        density = n * per
        strength[i] = density / (density + BODY_HALF)
    for part, weight in ((vocab.find(title), TITLE_WEIGHT), (vocab.find(headings), HEADING_WEIGHT),
                         (_in_keywords(article.keywords, vocab), KEYWORD_WEIGHT)):
        for i in part:
            strength[i] = strength.get(i, 0.0) + weight
    return strength


def _in_keywords(keywords: Iterable[str], vocab: Vocabulary) -> Counter[int]:
    found: Counter[int] = Counter()
    for keyword in keywords:
        found.update(vocab.find(normalise(keyword)).keys())
    return found


def type_scores(article: Article, cfg: Config) -> dict[str, float]:
    """Each rule's score for this article (see the module docstring)."""
    vocab = vocabulary(cfg.article_types)
    scores = dict.fromkeys(cfg.article_types.rules, 0.0)
    for i, strength in evidence(article, vocab).items():
        for type_id, weight in vocab.weights[i]:
            scores[type_id] += weight * strength
    return {t: round(s, 3) for t, s in scores.items()}


def detect_type(article: Article, cfg: Config) -> str:
    """The best-scoring type id, or cfg.article_types.default when none reaches min_score."""
    scores = type_scores(article, cfg)
    best = max(scores, key=lambda t: scores[t], default=None)
    if best is None or scores[best] < cfg.article_types.min_score:
        return cfg.article_types.default
    return best
