"""Plan stage: Article → where each image goes, why, and what it shows (between ingest and prompts).

    outline = plan_article(article, cfg, planner="llm")     # outline.plan, outline.planning, outline.article

Two planners return the same validated Plan: `rules` (offline, pipeline.plan.rules) and `llm` (a chat
model, pipeline.plan.llm), which falls back to rules with a one-line warning when it fails or answers
nonsense. Either way the author stays in charge (pipeline.plan.author): the inline count, the sections
they excluded, a declared type, and their own markers and placeholders, which are never planned."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from ..config import Config
from ..errors import ConfigError
from ..models import Article, Planning
from . import author
from .rules import rules_plan
from .schema import MAX_KEYWORDS, Plan

__all__ = ["PLANNERS", "Outline", "Plan", "plan_article", "rules_outline"]

log = logging.getLogger(__name__)
PLANNERS = ("rules", "llm")


@dataclass
class Outline:
    """A planned article: the plan (the author's limits applied), how it was made, and the article with
    the chat model's type and keywords where the author declared none."""

    article: Article
    plan: Plan
    planning: Planning


def plan_article(article: Article, cfg: Config, *, planner: str | None = None, inline_count: int | None = None,
                 cover: bool = True, type_override: str | None = None) -> Outline:
    """Plan `article` with `planner` (default: config planner.mode)."""
    asked = planner or cfg.planner.mode
    if asked not in PLANNERS:
        raise ConfigError(f"unknown planner '{asked}' (known: {', '.join(PLANNERS)})")
    count = author.inline_count(article, cfg, inline_count)
    planning = Planning(asked=asked)
    plan = None
    if asked == "llm" and (cover or (count and any(author.eligible(article)))):
        plan = _from_model(article, cfg, count, cover, planning)
    elif asked == "llm":                                  # e.g. a draft with its own cover and placeholders
        planning.fallback = "nothing for the chat model to place: no cover to make, no section open to an image"
    if plan is None:
        plan = rules_plan(article, cfg, count)
    elif not author.declared_type(article, cfg, type_override):
        article = replace(article, type=plan.type, keywords=plan.keywords or article.keywords)
    elif plan.keywords:
        article = replace(article, keywords=plan.keywords)
    plan = author.apply(plan, article, count)
    planning.type, planning.keywords, planning.cover = article.type, list(article.keywords), plan.cover.concept
    return Outline(article, plan, planning)


def rules_outline(article: Article, cfg: Config, inline_count: int | None = None) -> Plan:
    """The rules' plan with the author's limits: what the prompts stage plans with when given no plan."""
    count = author.inline_count(article, cfg, inline_count)
    return author.apply(rules_plan(article, cfg, count), article, count)


def _from_model(article: Article, cfg: Config, count: int, cover: bool, planning: Planning) -> Plan | None:
    """The chat model's plan, its keywords those the text holds; None (and a warning) when there is none."""
    from ..generate.chat import Turns
    from ..ingest.frontmatter import as_list
    from .llm import Unplanned, ask_model

    turns = Turns()
    planning.model = cfg.planner.model
    try:
        answered = ask_model(article, cfg, count=count, cover=cover, turns=turns)
    except Unplanned as why:
        planning.fallback = " ".join(str(why).split())
        _warn(article, f"规划改用规则 planned by rules: {planning.fallback}")
        return None
    finally:
        planning.attempts = turns.lines()
    tags = [t for key in ("tags", "categories", "keywords") for t in as_list(article.meta.get(key))]
    text = "\n".join([article.title, article.text, *tags]).lower()           # the author's own tags count
    keywords = [k for k in dict.fromkeys(answered.plan.keywords) if k.strip() and k.lower() in text]
    planning.dropped_keywords = len(answered.plan.keywords) - len(keywords)
    planning.planner, planning.model, planning.cached = "llm", answered.model, answered.cached
    if planning.dropped_keywords:
        _warn(article, f"规划模型给的关键词有 {planning.dropped_keywords} 个不在正文中，已去掉 "
                       f"dropped {planning.dropped_keywords} of {len(answered.plan.keywords)} keywords the text "
                       "does not hold")
    return answered.plan.model_copy(update={"keywords": keywords[:MAX_KEYWORDS]})


def _warn(article: Article, message: str) -> None:
    log.warning("%s: %s", article.source or article.slug, message)
