"""The chat planner's own prompt: templates/planner/plan.j2 (config paths.planner), blocks `system`,
`user` and `repair`, rendered in the prompt templates' bounded sandbox. Its version (a hash of the file
and whatever it includes) is part of the plan cache's key, so an edit asks the model again.

The article goes in as prose only, trimmed to planner.max_chars: the title and every heading are kept,
and each section keeps its start, the budget shared so that short sections keep all they have and long
ones are cut at a sentence end."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, nodes

from ..config import Config
from ..errors import PeituError, TemplateError
from ..models import Article
from ..prompts.library import TemplateLibrary
from ..prompts.lint import Finding, from_error, samples
from . import author
from .rules import LONG_TITLE
from .schema import KINDS

NAME = "plan"
BLOCKS = ("system", "user", "repair")
CONTEXT_VARS = ("article", "types", "kinds", "inline", "cover", "language", "schema", "display_title", "errors")
SENTENCE_ENDS = "。！？!?；;\n"
EMPTY: dict[str, Any] = {
    "article": {"title": "", "type": "", "type_label": "", "keywords": [], "sections": [], "trimmed": False},
    "types": [], "kinds": list(KINDS), "inline": 0, "cover": True, "language": "English", "schema": "{}",
    "display_title": False, "errors": [],
}


class PlannerTemplates(TemplateLibrary):
    """templates/planner/: the messages a chat model gets."""

    context_vars = CONTEXT_VARS
    blocks = BLOCKS

    def __init__(self, cfg: Config, folder: Path | None = None):
        super().__init__(cfg)
        self.dirs = [Path(folder or cfg.path(cfg.paths.planner)).resolve()]

    def empty(self) -> dict[str, Any]:
        return EMPTY

    def finish(self, text: str) -> str:
        """Lines kept (a message is read, not a one-line prompt): trailing spaces and runs of blank lines go."""
        lines = [line.rstrip() for line in text.strip().splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))

    def prompt_version(self) -> str:
        """12 hex digits over plan.j2 and every template it uses."""
        h = hashlib.sha256()
        for filename, sha in self._source_key(NAME):
            h.update(filename.encode() + b"\0" + sha.encode() + b"\0")
        return h.hexdigest()[:12]

    def messages(self, ctx: dict[str, Any]) -> tuple[str, str]:
        """(system, user)."""
        out = self.render(NAME, ctx, blocks=("system", "user"))
        return self._need(out, "system"), self._need(out, "user")

    def repair(self, ctx: dict[str, Any], errors: list[str]) -> str:
        return self._need(self.render(NAME, {**ctx, "errors": errors}, blocks=("repair",)), "repair")

    def _need(self, out: dict[str, str], block: str) -> str:
        if not out.get(block):
            raise TemplateError(f"block '{block}' is missing or renders nothing", where=self.display(self.path(NAME)))
        return out[block]


_kept: dict[tuple[Path, Path], PlannerTemplates] = {}


def planner_templates(cfg: Config) -> PlannerTemplates:
    """The process-wide planner templates for this config (compiled once, re-read when the file changes)."""
    key = (cfg.root.resolve(), cfg.path(cfg.paths.planner).resolve())
    if key not in _kept:
        _kept[key] = PlannerTemplates(cfg)
    _kept[key].cfg = cfg
    return _kept[key]


def context(article: Article, cfg: Config, *, count: int, cover: bool, language: str, schema: str) -> dict[str, Any]:
    """What plan.j2 renders with (see templates/planner/README.md)."""
    ok = author.eligible(article)
    texts = trim([s.text for s in article.sections], cfg.planner.max_chars - len(article.title)
                 - sum(len(s.heading) for s in article.sections))
    sections = [{"number": i, "heading": s.heading, "text": t, "eligible": ok[i]}
                for i, (s, t) in enumerate(zip(article.sections, texts, strict=True))]
    rule = cfg.article_types.rules.get(article.type)
    return {
        "article": {"title": article.title, "type": article.type, "type_label": rule.label if rule else "通用",
                    "keywords": list(article.keywords), "sections": sections,
                    "trimmed": texts != [s.text for s in article.sections]},
        "types": [{"id": i, "label": r.label} for i, r in cfg.article_types.rules.items()]
        + [{"id": cfg.article_types.default, "label": "通用"}],
        "kinds": list(KINDS), "inline": count, "cover": cover,
        "language": "Chinese" if language == "zh" else "English", "schema": schema,
        "display_title": len(article.title.strip()) > LONG_TITLE, "errors": [],
    }


def trim(texts: list[str], budget: int) -> list[str]:
    """`texts` within `budget` characters in all: each keeps its start, up to a common cap that the
    shorter ones leave room for (water-filling), cut at a sentence end where one is near."""
    budget = max(budget, 0)
    if sum(map(len, texts)) <= budget:
        return texts
    cap, left = 0, budget
    lengths = sorted(map(len, texts))
    for i, length in enumerate(lengths):
        share = left // (len(lengths) - i)
        if length > share:
            cap = share
            break
        left -= length
    return [t if len(t) <= cap else _cut(t, cap) for t in texts]


def _cut(text: str, limit: int) -> str:
    if limit <= 1:
        return ""
    head = text[:limit - 1]
    end = max(head.rfind(c) for c in SENTENCE_ENDS)
    return (head[:end + 1] if end >= len(head) // 2 else head) + "…"


def lint_planner(cfg: Config, folder: Path | None = None) -> list[Finding]:
    """plan.j2 compiles, has its blocks, uses known variables, renders for a sample article, and says
    "JSON" (an endpoint asked for a json_object refuses messages that do not)."""
    lib = PlannerTemplates(cfg, folder)
    shown = lib.display(lib.dirs[0] / f"{NAME}.j2")
    try:
        path = lib.path(NAME)
        ast = lib.env.parse(lib.read(path)[0], NAME, str(path))
        unknown = meta.find_undeclared_variables(ast) - set(CONTEXT_VARS) - set(lib.env.globals)
    except PeituError as err:
        return [Finding(shown, 0, err.message)]
    except jinja2.TemplateSyntaxError as err:                    # an unknown filter or test too
        return [Finding(shown, err.lineno, err.message or str(err))]
    found = [Finding(shown, 0, f"unknown variable '{v}' (the planner's template can use: {', '.join(CONTEXT_VARS)})")
             for v in sorted(unknown)]
    names = {b.name for b in ast.find_all(nodes.Block)}
    found += [Finding(shown, 1, f"missing block '{b}'") for b in BLOCKS if b not in names]
    if found:
        return found
    rich, _ = samples("food")
    ctx = context(rich, cfg, count=2, cover=True, language="en", schema="{}")
    try:
        system, user = lib.messages(ctx)
        lib.repair(ctx, ["images.0.kind: Input should be 'scene'"])
    except PeituError as err:
        return [from_error(err, shown)]
    if "json" not in (system + user).lower():
        found.append(Finding(shown, 0, "the messages never say JSON: endpoints asked for a json_object refuse them"))
    return found
