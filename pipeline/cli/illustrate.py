"""`peitu illustrate ARTICLE…`: cover, share crop and inline images for local articles."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import App, pass_app
from ..errors import PeituError
from ..secrets import redact


@click.command()
@click.argument("articles", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--type", "type_", metavar="T", help="article type, e.g. tech or 科技 (default: detected)")
@click.option("--style", metavar="S", help="image style, e.g. flat, watercolor (default: config)")
@click.option("--provider", metavar="P", help="use only this provider, e.g. local")
@click.option("--inline", "inline_count", type=click.IntRange(0, 20), help="inline images at most")
@click.option("--no-cover", is_flag=True, help="make no cover")
@click.option("--force", is_flag=True, help="make a cover even if the article names one")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="output folder (default: config paths.output)")
@click.option("--upload", is_flag=True, help="also create a draft in the WeChat draft box")
@click.option("--account", metavar="NAME", help="WeChat account from config (default: the first)")
@pass_app
def illustrate(app: App, articles: tuple[Path, ...], type_: str | None, style: str | None,
               provider: str | None, inline_count: int | None, no_cover: bool, force: bool,
               out_dir: Path | None, upload: bool, account: str | None) -> int:
    """Illustrate ARTICLE files (Markdown, HTML or text) into OUT/<slug>/.

    \b
    Each article gets cover.jpg (900×383), cover_1x1.jpg, inline images, article.html,
    manifest.json and preview.html; OUT/index.html lists them all. One failing article
    does not stop the others; the exit code is 1 if any failed. Every article is
    checked first (see `peitu check`); with --upload an article with errors is skipped.
    \b
    Examples:
      peitu illustrate examples/articles/*.md
      peitu illustrate draft.md --type 美食 --style watercolor --inline 2
      peitu illustrate draft.md --upload          # WECHAT_APPID / WECHAT_SECRET in .env
    """
    from ..check import check_article
    from ..illustrate import IllustrateOptions, illustrate_many
    from ..library import record_illustration
    from ..ingest import read_article
    from ..publish.output import write_index, write_output
    from ..publish.wechat.article import upload_illustration

    cfg = app.config
    if account:                                  # the account's own style and templates
        from ..publish.wechat.client import account_config
        cfg = account_config(cfg, account)
    console = Console(stderr=True, soft_wrap=True)
    out_root = out_dir or cfg.path(cfg.paths.output)
    opts = IllustrateOptions(type=type_, style=style, provider=provider, inline_count=inline_count,
                             cover=not no_cover, force=force)
    failed: list[tuple[str, str]] = []
    loaded, ingest_s = [], []
    for path in articles:
        findings = [f for f in check_article(path, cfg) if f.code != "unreadable"]
        for f in findings:
            colour = "red" if f.level == "error" else "yellow"
            console.print(f"  [{colour}]{'✗' if f.level == 'error' else '!'}[/] {f.file}:{f.line} {f.message}")
        if upload and any(f.level == "error" for f in findings):
            failed.append((str(path), "check found errors; not uploaded"))
            console.print(f"[red]✗[/] {path}: 检查未通过，未上传 (fix the errors above, or run without --upload)")
            continue
        start = time.perf_counter()
        try:
            article = read_article(path, cfg, type_override=type_)
        except PeituError as err:
            failed.append((str(path), str(err)))
            console.print(f"[red]✗[/] {_said(path, err)}")
            continue
        while article.slug in {a.slug for a in loaded}:      # two files with one name: keep both
            article.slug += "-2"
        loaded.append(article)
        ingest_s.append(time.perf_counter() - start)

    columns = (TextColumn("[bold]配图[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("", total=None)

        def on_image(plan, outcome) -> None:
            progress.update(task, advance=1, description=plan.key)

        progress.update(task, description="planning")
        results = illustrate_many(loaded, cfg, opts, on_image=on_image) if loaded else []
    for article, result, seconds in zip(loaded, results, ingest_s):
        if isinstance(result, PeituError):
            failed.append((str(article.source), str(result)))
            console.print(f"[red]✗[/] {_said(article.source, result)}")
            continue
        result.timings["ingest_s"] = seconds
        try:
            folder = write_output(result, out_root)
            record_illustration(cfg, article, result.plans, result.images, result.renditions, folder)
        except OSError as err:
            failed.append((str(article.source), f"cannot write output: {err}"))
            console.print(f"[red]✗[/] {article.source}: cannot write output: {err}")
            continue
        if upload and not result.ok:
            console.print(f"  [red]✗[/] 有配图未完成，未上传 not uploaded: {len(result.errors)} image(s) failed")
        elif upload:
            try:
                media_id = upload_illustration(result, cfg, account)
                console.print(f"  [green]↑[/] 草稿已保存 draft saved: media_id {media_id}")
            except PeituError as err:
                failed.append((str(article.source), str(err)))
                console.print(f"[red]✗[/] upload failed: {_said(article.source, err)}")
        made = sum(1 for p in result.plans if p.key in result.images)
        mark = "[green]✓[/]" if result.ok else "[yellow]![/]"
        console.print(f"{mark} {article.title}  [dim]{article.type} · {made}/{len(result.plans)} 张 → {folder}[/]")
        for key, err in result.errors.items():
            console.print(f"    [red]{key}[/]: {redact(str(err))}")
        if not result.ok:
            failed.append((str(article.source), f"{len(result.errors)} image(s) failed"))
    index = write_index(out_root, [{"slug": Path(src).stem, "article": {"title": src}, "error": msg}
                                   for src, msg in failed])
    done = len(articles) - len(failed)
    console.print(f"{done}/{len(articles)} 篇完成 · 预览 {index}")
    return 1 if failed else 0


def _said(path: Path | None, err: PeituError) -> str:
    """The error as one redacted message, naming the file unless the error already says where."""
    text = redact(str(err))
    return text if err.where else f"{path}: {text}"
