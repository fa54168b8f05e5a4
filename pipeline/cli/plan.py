"""`peitu plan ARTICLE…`: where each image goes, why, and what it shows; nothing is generated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import App, pass_app
from ..errors import PeituError
from ..plan import PLANNERS
from ..secrets import redact

if TYPE_CHECKING:
    from ..engine import Planned

KINDS = {"scene": "场景 scene", "object": "静物 object", "diagram": "图解 diagram", "map": "地图 map",
         "person": "人物 person", "pattern": "纹样 pattern"}


@click.command()
@click.argument("articles", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--planner", type=click.Choice(PLANNERS), help="rules (offline) or llm (a chat model, config "
                                                             "planner:); default: config planner.mode")
@click.option("--type", "type_", metavar="T", help="文章类型 article type, e.g. tech or 科技 (default: detected)")
@click.option("--style", metavar="S", help="图片风格 image style (default: the article's, else config)")
@click.option("--inline", "inline_count", type=click.IntRange(0, 20), help="正文配图最多几张 inline images at most")
@click.option("--no-cover", is_flag=True, help="不做封面 plan no cover")
@click.option("--force", is_flag=True, help="文章自带封面也规划 plan a cover even if the article names one")
@click.option("--account", metavar="NAME", help="公众号 WeChat account from config (its style and templates)")
@click.option("--json", "as_json", is_flag=True, help="print the plans as JSON (with every prompt)")
@pass_app
def plan(app: App, articles: tuple[Path, ...], planner: str | None, type_: str | None, style: str | None,
         inline_count: int | None, no_cover: bool, force: bool, account: str | None, as_json: bool) -> int:
    """配图规划 Show where each image of ARTICLE goes, why, and what it shows. Nothing is generated.

    \b
    rules: ingest's analysis, offline. llm: a chat model (config planner:) reads the article;
    when it fails or answers nonsense, the rules plan is shown with a one-line warning.
    The author stays in charge: a peitu: block, __generate: markers, 【配图】 placeholders,
    no_image_after and the inline count always win. Exit code 1 when an article cannot be read.
    \b
    Examples:
      peitu plan examples/articles/*.md
      peitu plan post.md --planner llm --json
    """
    from ..engine import plan as plan_article
    from ..ingest import read_article
    from ..ingest.article_type import require_type
    from ..models import IllustrateOptions

    cfg = app.config
    if account:
        from ..publish.wechat.client import account_config
        cfg = account_config(cfg, account)
    if type_:
        type_ = require_type(type_, cfg, "--type")
    opts = IllustrateOptions(type=type_, style=style, inline_count=inline_count, cover=not no_cover, force=force,
                             planner=planner)
    console = Console(soft_wrap=True)
    shown: list[dict[str, Any]] = []
    failed = 0
    for path in articles:
        try:
            planned = plan_article(read_article(path, cfg, type_override=type_), cfg, opts)
        except PeituError as err:
            failed += 1
            text = redact(str(err))
            click.secho(f"✗ {text if err.where else f'{path}: {text}'}", fg="red", err=True)
            continue
        entry = _entry(path, planned)
        shown.append(entry)
        if not as_json:
            _show(console, entry)
    if as_json:
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    return 1 if failed else 0


def _entry(path: Path, planned: Planned) -> dict[str, Any]:
    """One article's plan as `--json` prints it: the manifest's plan section, plus each image's prompts."""
    from ..manifest import PlanEntry
    from ..models import Illustration

    article, plans, planning = planned
    section = PlanEntry.of(Illustration(article=article, plans=plans, planning=planning))
    assert section is not None
    prompts = {p.key: p for p in plans}
    images = [{**i.model_dump(), "role": prompts[i.key].role, "prompt": prompts[i.key].prompt,
               "negative_prompt": prompts[i.key].negative_prompt} for i in section.images]
    return {"source": str(path), "title": article.title, "slug": article.slug,
            "plan": section.model_dump(exclude={"images"}), "images": images}


def _show(console: Console, entry: dict[str, Any]) -> None:
    plan = entry["plan"]
    cached = ", cached" if plan["cached"] else ""
    who = "规则 rules" if plan["planner"] == "rules" else f"模型 llm ({plan['model']}{cached})"
    console.print(f"[bold]{escape(entry['title'])}[/]  [dim]{escape(entry['source'])}[/]")
    console.print(f"  类型 type: {escape(plan['type'])} · 规划 planner: {escape(who)}")
    if plan["fallback"]:
        console.print(f"  [yellow]! 模型规划未用上，改用规则 the chat model's plan was not used: "
                      f"{escape(plan['fallback'])}[/]")
    console.print(f"  关键词 keywords: {escape('、'.join(plan['keywords']) or '-')}")
    table = Table(header_style="bold", show_lines=False, pad_edge=False)
    for col in ("图 image", "位置 where", "为什么 why", "画什么 what"):
        table.add_column(col, overflow="fold")
    for image in entry["images"]:
        where = {"cover": "封面 cover", "marker": "作者指定位置 the author's"}.get(
            image["role"], f"§{image['section']} {image['heading'] or ''}")
        if image["display_title"]:
            where += f"（标题 {image['display_title']}）"
        what = "、".join(image["subjects"])
        kind = KINDS.get(image["kind"], image["kind"])
        table.add_row(image["key"], escape(where), escape(image["purpose"] or "-"),
                      escape(f"{kind}: {what}" if kind and what else kind or what or "-"))
    console.print(table)
    console.print()
