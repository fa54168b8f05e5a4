"""`peitu templates …`: list, show, preview, lint and create the prompt templates."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import App, pass_app
from ..errors import InputError
from ..prompts.library import NAME, SUFFIX, TemplateLibrary

LABEL_BLOCK = re.compile(r"(\{%-?\s*block\s+label\s*-?%\}).*?(\{%-?\s*endblock)", re.S)


def _library(app: App) -> TemplateLibrary:
    return TemplateLibrary(app.config)


@click.group()
def templates() -> None:
    """提示词模板 prompt templates: one per article type (what an image shows), one style preset per
    look (how it looks). See templates/prompts/README.md.

    \b
    Examples:
      peitu templates list
      peitu templates show food
      peitu templates preview food --article drafts/火锅.md --style ink
      peitu templates lint
      peitu templates new pets --from default --label 宠物
    """


@templates.command("list")
@pass_app
def list_(app: App) -> None:
    """Every template (type, label, version with the configured style) and every style preset."""
    lib, cfg = _library(app), app.config
    console = Console()
    table = Table(header_style="bold", title="模板 templates")
    for col in ("类型 type", "名称 label", f"版本 version ({cfg.style})", "文件 file"):
        table.add_column(col, overflow="fold")
    for name in lib.names():
        version = lib.version(name, cfg.style) if cfg.style in lib.style_names() else "-"
        table.add_row(name, lib.label(name), version, lib.display(lib.path(name)))
    console.print(table)
    styles = Table(header_style="bold", title="风格 styles")
    for col in ("风格 style", "名称 label", "调色 palette", "画法 medium", "离线 offline (local)"):
        styles.add_column(col, overflow="fold")
    from ..providers.local.looks import offline_note

    for name in lib.style_names():
        try:
            style = lib.style(name)
        except InputError as err:
            styles.add_row(name, "[red]错误 error[/]", "", escape(str(err)))
            continue
        mark = " [green]✓ 默认[/]" if name == cfg.style else ""
        styles.add_row(name + mark, style.label, style.palette.name, style.medium, offline_note(name) or "✓")
    console.print(styles)
    console.print(f"{len(lib.names())} 个模板 templates × {len(lib.style_names())} 种风格 styles; "
                  "预览 preview: peitu templates preview TYPE --article FILE")


@templates.command()
@click.argument("name")
@click.option("--style", help="the style for the version shown (default: config's style)")
@pass_app
def show(app: App, name: str, style: str | None) -> None:
    """Print template NAME with its file, label and version."""
    lib = _library(app)
    style = style or app.config.style
    click.echo(f"# {name} ({lib.label(name)})  {lib.display(lib.path(name))}  "
               f"version {lib.version(name, style)} with style {style}")
    click.echo(lib.source(name).rstrip("\n"))


@templates.command()
@click.argument("name")
@click.option("--article", "article_path", required=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="the article whose title, keywords and sections fill the template")
@click.option("--style", help="a style preset (default: the article's, else config's)")
@click.option("--inline", "inline_count", type=click.IntRange(0, 20), default=None,
              help="inline images to plan (default: the article's, else config's)")
@click.option("--json", "as_json", is_flag=True, help="print the plans as JSON")
@pass_app
def preview(app: App, name: str, article_path: Path, style: str | None, inline_count: int | None,
            as_json: bool) -> None:
    """Render template NAME for an article: each image's prompt and negative prompt. Nothing is generated."""
    from ..ingest import read_article
    from ..prompts import plan_images

    cfg, lib = app.config, _library(app)
    lib.path(name)                                  # an unknown template is an error, not a fallback
    article = read_article(article_path, cfg)
    article.type = name                             # any template, configured as a type or not yet
    plans = plan_images(article, cfg, style=style, inline_count=inline_count)
    if as_json:
        click.echo(json.dumps([asdict(p) for p in plans], ensure_ascii=False, indent=2))
        return
    click.echo(f"{article.title}  ({article_path})")
    click.echo(f"关键词 keywords: {'、'.join(article.keywords) or '-'}")
    for p in plans:
        where = f"  after “{p.title}”" if p.role == "inline" else f"  {p.title}" if p.title else ""
        click.echo(f"\n[{p.key}] {p.width}×{p.height}  seed {p.seed}  {p.template}@{p.template_version}"
                   f"  style {p.style} ({p.palette_hint}){where}")
        click.echo(f"  prompt:   {p.prompt}")
        click.echo(f"  negative: {p.negative_prompt}")


@templates.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@pass_app
def lint(app: App, folder: Path | None) -> None:
    """Check every template in FOLDER (default: the configured one), the styles, the glossary and the
    chat planner's prompt (paths.planner).

    Each template must compile, have the blocks cover_prompt, inline_prompt and negative, use only
    known variables, and render for a rich and a bare article in every style (and with a chat model's
    plan). The planner's plan.j2 must compile, have system, user and repair, and say JSON. Exit code 1
    on errors.
    """
    from ..plan.prompt import lint_planner
    from ..prompts.lint import lint_templates

    cfg = app.config
    folder = folder or cfg.path(cfg.paths.templates)
    errors = 0
    for what, findings in ((f"{len(list(folder.glob('*' + SUFFIX)))} 个模板 templates", lint_templates(folder, cfg)),
                           ("规划提示词 planner prompt", lint_planner(cfg))):
        wrong = sum(f.level == "error" for f in findings)
        for f in findings:
            click.secho(str(f), fg="red" if f.level == "error" else "yellow")
        click.secho(f"{'✗' if wrong else '✓'} {what}: {wrong} 个错误 errors, {len(findings) - wrong} 个警告 warnings",
                    fg="red" if wrong else "green")
        errors += wrong
    if errors:
        click.get_current_context().exit(1)


@templates.command()
@click.argument("name")
@click.option("--from", "source", default="default", show_default=True, help="the template to copy")
@click.option("--label", help="the type's Chinese label (written into the label block)")
@pass_app
def new(app: App, name: str, source: str, label: str | None) -> None:
    """Create template NAME as a copy of another; never overwrites."""
    cfg, lib = app.config, _library(app)
    if not NAME.match(name):
        raise click.BadParameter("use lowercase letters, digits, - and _ (e.g. pets, home-garden)",
                                 param_hint="NAME")
    target = cfg.path(cfg.paths.templates) / f"{name}{SUFFIX}"
    if target.exists():
        raise click.ClickException(f"{lib.display(target)} 已存在 already exists; not overwritten")
    text = lib.source(source)
    if label:
        text, found = LABEL_BLOCK.subn(lambda m: f"{m.group(1)}{label}{m.group(2)}", text, count=1)
        if not found:
            text = f"{{% block label %}}{label}{{% endblock %}}\n{text}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("x", encoding="utf-8") as out:
        out.write(text)
    click.echo(f"✓ {lib.display(target)} ← {source}")
    click.echo("Next: edit it, check it with `peitu templates lint`, try it with "
               f"`peitu templates preview {name} --article FILE`,\n"
               f"and add a `{name}` rule under article_types.rules in config.yaml so articles are typed {name}.")
