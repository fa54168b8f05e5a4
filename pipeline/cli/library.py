"""`peitu library …`: search, show, tag, export and import the asset library."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.table import Table

from . import App, pass_app
from ..config import Config
from ..errors import InputError

LIMIT_ALL = 1_000_000


def _type_id(cfg: Config, value: str | None) -> str | None:
    """An article type given as its id (food) or its Chinese label (美食)."""
    if not value:
        return None
    for type_id, rule in cfg.article_types.rules.items():
        if value in (type_id, rule.label):
            return type_id
    return value


def _when(cfg: Config, ts: float) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(cfg.schedule.timezone)).strftime("%Y-%m-%d %H:%M")


def _filters(cfg: Config, type_: str | None, role: str | None, since: str | None) -> dict:
    from ..library import parse_since

    return {"type": _type_id(cfg, type_), "role": role,
            "since": parse_since(since, cfg.schedule.timezone) if since else None}


filter_options = [
    click.option("--type", "type_", metavar="T", help="only this article type (id or label, e.g. food / 美食)"),
    click.option("--role", type=click.Choice(["cover", "inline", "marker"]),
                 help="only covers, inline or marker images"),
    click.option("--since", metavar="DATE", help="made on or after DATE (2025-05-01) or within an age (7d, 2w, 3m)"),
]


def with_filters(fn):
    for option in reversed(filter_options):
        fn = option(fn)
    return fn


@click.group()
def library() -> None:
    """图库 The asset library: every image peitu made, searchable in Chinese and English.

    \b
    Examples:
      peitu library search 咖啡 --type 美食 --since 30d
      peitu library show 12
      peitu library tag 12 +拿铁 -研磨
      peitu library export --out library.csv
      peitu library import output/
    """


@library.command()
@click.argument("query", nargs=-1)
@with_filters
@click.option("-n", "--limit", default=30, show_default=True, type=click.IntRange(1, 10_000),
              help="images to list")
@pass_app
def search(app: App, query: tuple[str, ...], type_: str | None, role: str | None, since: str | None,
           limit: int) -> None:
    """Find images whose tags, prompt or article title contain every word of QUERY (newest first without one)."""
    from ..library import Library, search as run

    cfg = app.config
    with Library.open(cfg) as lib:
        result = run(lib, " ".join(query), limit=limit, **_filters(cfg, type_, role, since))
    console = Console()
    if not result.entries:
        console.print("没有找到图片 (no images match)."
                      + ("" if query else "  先运行 peitu illustrate 或 peitu library import"))
        return
    table = Table(header_style="bold")
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("日期", no_wrap=True)
    for col in ("文章", "类型", "图", "标签", "来源"):
        table.add_column(col, overflow="fold")
    for e in result.entries:
        table.add_row(str(e.id), _when(cfg, e.created_at)[:10], e.article_title or e.article_slug, e.article_type,
                      e.plan_key or e.role, "、".join(e.tags), e.provider)
    console.print(table)
    more = f"，显示前 {len(result.entries)} 张 (use --limit)" if result.total > len(result.entries) else ""
    console.print(f"[dim]{result.total} 张图片{more}；peitu library show ID 查看详情[/]")


@library.command()
@click.argument("image_id", type=int)
@pass_app
def show(app: App, image_id: int) -> None:
    """Everything recorded about image ID: prompt, provenance, tags, files, uses and WeChat uploads."""
    from ..library import Library

    cfg = app.config
    with Library.open(cfg) as lib:
        e = lib.get(image_id)
    console = Console(highlight=False, soft_wrap=True)     # paths stay whole for copying
    rows = [("文章 article", f"{e.article_title}  [dim]({e.article_slug}, {e.article_type})[/]"),
            ("图 image", f"{e.plan_key} · {e.role} · {e.width}×{e.height}"),
            ("标签 tags", "、".join(e.tags) or "—"),
            ("提示词 prompt", e.prompt or "—"),
            ("反向 negative", e.negative_prompt or "—"),
            ("模板 template", f"{e.template} @ {e.template_version}  风格 style: {e.style}"),
            ("来源 provider", f"{e.provider} / {e.model}  seed {e.seed}"),
            ("时间 made", f"{_when(cfg, e.created_at)}  ({e.origin})"),
            ("原图 original", f"{e.file}  [dim]sha256 {e.sha256}[/]"),
            ("可复用 reusable", "是 yes" if e.reusable else "否 no")]
    rows += [("文件 file", f"{f.path}  [dim]{f.width}×{f.height} {f.bytes // 1024} KB[/]") for f in e.files]
    rows += [("用于 used by", f"{u.article_slug} {u.plan_key}{' (复用 reused)' if u.reused else ''}  "
                              f"[dim]{_when(cfg, u.used_at)}[/]") for u in e.uses]
    rows += [("微信 WeChat", f"{u.account}: {u.media_id or u.url}  [dim]{_when(cfg, u.uploaded_at)}[/]")
             for u in e.uploads]
    console.print(f"[bold]#{e.id}[/]")
    for label, value in rows:
        console.print(f"  [cyan]{label:<16}[/] {value}")


@library.command(context_settings={"ignore_unknown_options": True})
@click.argument("image_id", type=int)
@click.argument("changes", nargs=-1, required=True, type=click.UNPROCESSED)
@pass_app
def tag(app: App, image_id: int, changes: tuple[str, ...]) -> None:
    """Add (+标签 or 标签) and remove (-标签) tags of image ID.

    \b
    Example:  peitu library tag 12 +拿铁 +latte -研磨
    """
    from ..library import Library

    add = [c[1:] if c.startswith("+") else c for c in changes if not c.startswith("-")]
    remove = [c[1:] for c in changes if c.startswith("-")]
    with Library.open(app.config) as lib:
        tags = lib.tag(image_id, add=add, remove=remove)
    click.echo(f"#{image_id} 标签: {'、'.join(tags) or '（无）'}")


@library.command()
@click.argument("query", nargs=-1)
@with_filters
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), help="default: from --out's suffix, else csv")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="file to write (default: stdout)")
@pass_app
def export(app: App, query: tuple[str, ...], type_: str | None, role: str | None, since: str | None,
           fmt: str | None, out: Path | None) -> None:
    """Export every matching image (all without QUERY) as CSV or JSON."""
    from ..fsutil import atomic_write
    from ..library import Library, search as run
    from ..library.export import to_csv, to_json

    cfg = app.config
    fmt = fmt or ("json" if out and out.suffix.lower() == ".json" else "csv")
    with Library.open(cfg) as lib:
        entries = run(lib, " ".join(query), limit=LIMIT_ALL, **_filters(cfg, type_, role, since)).entries
    text = (to_json if fmt == "json" else to_csv)(entries, cfg.schedule.timezone)
    if out is None:
        sys.stdout.write(text.removeprefix("\ufeff"))
        return
    atomic_write(out, text)
    click.echo(f"{len(entries)} 张图片 → {out}", err=True)


@library.command(name="import")
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@pass_app
def import_(app: App, folder: Path | None) -> None:
    """Add images from existing output folders (FOLDER/<slug>/manifest.json; default: paths.output)."""
    from ..library import Library
    from ..library.importer import import_outputs

    cfg = app.config
    root = folder or cfg.path(cfg.paths.output)
    with Library.open(cfg) as lib:
        report = import_outputs(lib, root)
    console = Console(stderr=True)
    for problem in report.problems:
        console.print(f"[red]✗[/] {problem}")
    console.print(f"{report.articles} 篇文章，新增 {report.added} 张，已有 {report.known} 张 ← {root}")
    if report.problems and not report.articles:
        raise InputError(f"{root} 中没有可导入的文章 (nothing could be imported)")
