"""`peitu gallery ARTICLE`: the article's cover in every type × style (local provider), as a contact sheet
and a page, to choose an account's look. The covers are made by the engine, one job per cell."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import App, pass_app
from ..engine import Job
from ..models import Article, IllustrateOptions, Illustration, Rendition
from ..providers import LOCAL
from ..secrets import redact


@dataclass
class GalleryJob(Job):
    """One cell: the article as if it were of `type_`, its cover only (author markers and a named cover aside)."""

    article: Article
    type_: str

    def load(self) -> Article:
        options = {k: v for k, v in self.article.options.items() if k != "cover"}
        return replace(self.article, type=self.type_, markers=[], options=options)


def _cover(ill: Illustration) -> Rendition | None:
    return next((r for r in ill.renditions if r.role == "cover"), None)


@click.command()
@click.argument("article", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--type", "types", metavar="T", multiple=True,
              help="只看这些类型 only these types (repeatable; default: all)")
@click.option("--style", "styles", metavar="S", multiple=True,
              help="只看这些风格 only these styles (repeatable; default: all)")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="输出文件夹 output folder (default: config paths.output)")
@click.option("--account", metavar="NAME",
              help="公众号 WeChat account whose style and templates to use (default: config)")
@pass_app
def gallery(app: App, article: Path, types: tuple[str, ...], styles: tuple[str, ...], out_dir: Path | None,
            account: str | None) -> int:
    """风格画廊 Gallery: ARTICLE's cover in every type × style, to choose an account's look.

    \b
    离线用本地绘图，按每种文章类型 × 每种风格各画一张封面，拼成对照图 gallery.png
    和同样排列的网页 gallery.html（首页 index.html 可以点开），帮你选定账号的风格。
    行是文章类型（画什么），列是风格（怎么画），● 是这篇文章现在用的。
    \b
    Made offline with the local provider, through the same templates, styles and
    cache as `peitu illustrate`. Writes OUT/<slug>/gallery.png (the sheet),
    gallery.html (the same grid, linked from OUT/index.html) and gallery/*.jpg.
    Rows are article types (what is drawn), columns styles (how); ● marks what the
    article gets now. Pick one with --type/--style, or `style:` in config.yaml.
    Exit code: 0 all made, 1 some cover failed, 2 bad options.
    \b
    Examples 例子:
      peitu gallery examples/articles/food-chaoshan-beef-hotpot.md
      peitu gallery post.md --style flat --style ink        # two columns only
      peitu gallery post.md --type food --type travel --out /tmp/looks
    """
    from ..engine import Engine
    from ..ingest import read_article
    from ..ingest.article_type import require_type
    from ..prompts.library import TemplateLibrary
    from ..publish.gallery import Choice, Gallery, write_gallery
    from ..publish.output import write_index

    cfg = app.config
    if account:
        from ..publish.wechat.client import account_config
        cfg = account_config(cfg, account)
    lib = TemplateLibrary(cfg)
    wanted_types = [require_type(t, cfg, "--type") for t in types] or lib.names()
    for t in wanted_types:
        if not lib.has(t):
            raise click.BadParameter(f"no template for type '{t}' (templates: {', '.join(lib.names())})",
                                     param_hint="--type")
    for s in styles:
        if s not in lib.style_names():
            raise click.BadParameter(f"no style '{s}' (styles: {', '.join(lib.style_names())})", param_hint="--style")
    a = read_article(article, cfg)
    current_style = str(a.options.get("style") or cfg.style)
    g = Gallery(a, [Choice(t, lib.label(t), t == a.type) for t in wanted_types],
                [Choice(s, lib.style(s).label, s == current_style) for s in (styles or lib.style_names())], {}, {})
    cells = {f"{t.name}×{s.name}": (t.name, s.name) for t in g.types for s in g.styles}
    jobs = [GalleryJob(job_id, IllustrateOptions(style=style, provider=LOCAL, inline_count=0, force=True), a, type_)
            for job_id, (type_, style) in cells.items()]
    console = Console(stderr=True)
    columns = (TextColumn("[bold]画廊[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress, Engine(cfg) as engine:
        task = progress.add_task("", total=len(jobs))
        for outcome in engine.run(jobs, _cover):
            key = cells[outcome.job.id]
            g.covers[key] = outcome.result
            if outcome.result is None:
                ill = outcome.illustration
                errors = [outcome.error] if outcome.error else list(ill.errors.values()) if ill else []
                g.errors[key] = redact("; ".join(str(e) for e in errors)) or "no cover"
                console.print(f"[red]✗[/] {outcome.job.id}: {g.errors[key]}")
            progress.advance(task)
    out_root = out_dir or cfg.path(cfg.paths.output)
    png, html = write_gallery(g, out_root / a.slug)
    write_index(out_root, [])
    made = sum(c is not None for c in g.covers.values())
    console.print(f"{made}/{len(jobs)} 张封面 covers · {png} · {html}")
    return 0 if made == len(jobs) else 1
