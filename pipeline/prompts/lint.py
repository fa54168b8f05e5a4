"""`peitu templates lint`: every template compiles, has its blocks, uses known variables and renders."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import jinja2
from jinja2 import meta, nodes

from ..config import Config
from ..errors import PeituError
from ..models import Article, Marker, Section
from .library import CONTEXT_VARS, REQUIRED_BLOCKS, SUFFIX, TemplateLibrary
from ..plan.schema import CoverIdea, ImageIdea, Plan
from .planner import plan_images

MAX_PROMPT = 800     # characters; DashScope cuts prompts here
MAX_NEGATIVE = 500


class Finding(NamedTuple):
    file: str
    line: int
    message: str
    level: str = "error"          # "error" fails the lint, "warning" does not

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.level}: {self.message}" if self.line else \
            f"{self.file}: {self.level}: {self.message}"


def lint_templates(templates_dir: Path, cfg: Config) -> list[Finding]:
    """Findings for every template in `templates_dir`, the style files and the glossary."""
    lib = TemplateLibrary(cfg, templates_dir)
    findings = _check(lib.glossary)
    styles = []
    for style in lib.style_names():
        problems = _check(functools.partial(lib.style, style))
        findings += problems
        styles += [] if problems else [style]
    if not lib.style_names():
        findings.append(Finding(lib.display(lib.styles_dir), 0, "no style files (*.yaml)"))
    files = sorted(Path(templates_dir).glob("*" + SUFFIX))
    if not files:
        findings.append(Finding(str(templates_dir), 0, "no templates (*.j2) here"))
    for path in files:
        findings += _lint_file(lib, path, styles)
    return list(dict.fromkeys(findings))


def _lint_file(lib: TemplateLibrary, path: Path, styles: list[str]) -> list[Finding]:
    shown = lib.display(path)
    try:
        source = lib.read(path)[0]
        ast = lib.env.parse(source, path.stem, str(path))
    except jinja2.TemplateSyntaxError as err:
        return [Finding(shown, err.lineno, err.message or str(err))]
    except PeituError as err:
        return [Finding(shown, 0, err.message)]
    unknown = meta.find_undeclared_variables(ast) - set(CONTEXT_VARS) - set(lib.env.globals)
    found = [Finding(shown, _first_use(ast, var), f"unknown variable '{var}' "
                     f"(templates can use: {', '.join(CONTEXT_VARS)})") for var in sorted(unknown)]
    if path.name.startswith("_"):
        return found                                # a partial: used by others, not rendered alone
    blocks = _blocks(lib, ast, frozenset({path}))
    found += [Finding(shown, 1, f"missing block '{b}'") for b in REQUIRED_BLOCKS if b not in blocks]
    if "label" not in blocks:
        found.append(Finding(shown, 1, "no label block: lists show the type id instead", "warning"))
    if found:
        return found
    rich, bare = samples(path.stem)
    main = [lib.cfg.style] if lib.cfg.style in styles else styles[:1]
    runs = [(rich, s, None) for s in styles] + [(bare, s, None) for s in main] + [(rich, s, PLANNED) for s in main]
    for article, style, planned in runs:
        try:
            plans = plan_images(article, lib.cfg, style=style, templates_dir=path.parent, plan=planned)
        except PeituError as err:
            found.append(from_error(err, shown))
            continue
        for plan in plans:
            found += _lengths(shown, plan.key, plan.prompt, plan.negative_prompt, style)
    return found


def _blocks(lib: TemplateLibrary, ast: nodes.Template, seen: frozenset[Path] = frozenset()) -> set[str]:
    """Blocks a template defines, and those of the templates it extends."""
    names = {b.name for b in ast.find_all(nodes.Block)}
    for ext in ast.find_all(nodes.Extends):
        parent = lib.find(ext.template.value) if isinstance(ext.template, nodes.Const) else None
        if parent is not None and parent not in seen:
            names |= _blocks(lib, lib.env.parse(lib.read(parent)[0]), seen | {parent})
    return names


def _first_use(ast: nodes.Template, var: str) -> int:
    return min((n.lineno for n in ast.find_all(nodes.Name) if n.name == var and n.ctx == "load"), default=0)


def _lengths(shown: str, key: str, prompt: str, negative: str, style: str) -> list[Finding]:
    out = []
    if len(prompt) > MAX_PROMPT:
        out.append(Finding(shown, 0, f"{key} prompt with style {style} is {len(prompt)} characters; "
                           f"some providers cut at {MAX_PROMPT}", "warning"))
    if len(negative) > MAX_NEGATIVE:
        out.append(Finding(shown, 0, f"negative prompt with style {style} is {len(negative)} characters; "
                           f"some providers cut at {MAX_NEGATIVE}", "warning"))
    return out


def from_error(err: PeituError, default_file: str) -> Finding:
    where = err.where or default_file
    file, _, line = where.rpartition(":")
    if file and line.isdigit():
        return Finding(file, int(line), err.message)
    return Finding(where, 0, err.message)


def _check(fn: Callable[[], object]) -> list[Finding]:
    try:
        fn()
    except PeituError as err:
        return [from_error(err, "")]
    return []


# a chat model's plan for the rich sample (run in the first style), so the `image.prompt` branches run
PLANNED = Plan(type="food", keywords=["火锅", "成都"], cover=CoverIdea(
    concept="成都老火锅", kind="scene", subjects=["火锅", "成都"],
    prompt="a bubbling copper hot pot on a crowded table in an old Chengdu restaurant, warm evening light"),
    images=[ImageIdea(section=1, purpose="看清锅底", kind="object", subjects=["牛油锅底"],
                      prompt="a close view of a red beef tallow broth simmering with chillies and peppercorns")])


def samples(type_: str) -> tuple[Article, Article]:
    """A rich article (run in every style) and a bare one without keywords (run in the first style),
    so both branches of `{{ kw or "…" }}` run."""
    rich = Article(
        title="成都火锅地图：10家老店实测", slug="lint-rich", type=type_, text="", body_html="",
        keywords=["火锅", "成都", "人工智能", "投资", "旅行"],
        sections=[Section("", 0, ["开头。"]),
                  Section("一口锅底的秘密", 2, ["牛油锅底" * 20], keywords=["火锅", "牛油"]),
                  Section("排队两小时值不值", 2, ["排队" * 30], keywords=["排队"])],
        markers=[Marker(1, "一只熊猫在吃火锅", "熊猫", 16, 9), Marker(2, "a cat reading a book")])
    bare = Article(title="无题", slug="lint-bare", type=type_, text="", body_html="", keywords=[],
                   sections=[Section("第一部分", 2, ["某某某" * 20])])
    return rich, bare
