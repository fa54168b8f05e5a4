"""`peitu illustrate ARTICLE…`: cover, share crop and inline images for local articles.

The work is the engine's; this module shows its progress and outcomes and picks the exit code."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import App, pass_app
from ..errors import ConfigError, PeituError
from ..plan import PLANNERS
from ..secrets import redact

if TYPE_CHECKING:
    from ..engine import Outcome, Written

EXIT_OK, EXIT_FAILED, EXIT_FALLBACK = 0, 1, 3


@click.command()
@click.argument("articles", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--type", "type_", metavar="T", help="文章类型 article type, e.g. tech or 科技 (default: detected)")
@click.option("--style", metavar="S", help="图片风格 image style, e.g. flat, watercolor (default: config)")
@click.option("--provider", metavar="P", help="只用这个服务 use only this provider, e.g. local")
@click.option("--inline", "inline_count", type=click.IntRange(0, 20), help="正文配图最多几张 inline images at most")
@click.option("--no-cover", is_flag=True, help="不做封面 make no cover")
@click.option("--force", is_flag=True, help="文章自带封面也重做 make a cover even if the article names one")
@click.option("--newspic", is_flag=True,
              help="作为图片消息（最多 20 张图，第一张是封面，纯文字）an image post, as front matter `type: image`")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="输出文件夹 output folder (default: config paths.output)")
@click.option("--upload", is_flag=True, help="同时存入公众号草稿箱 also create a draft in the WeChat draft box")
@click.option("--account", metavar="NAME", help="公众号 WeChat account from config (default: the first)")
@click.option("--planner", type=click.Choice(PLANNERS),
              help="配图规划 rules (offline) or llm (a chat model, config planner:); default: config planner.mode")
@pass_app
def illustrate(app: App, articles: tuple[Path, ...], type_: str | None, style: str | None,
               provider: str | None, inline_count: int | None, no_cover: bool, force: bool, newspic: bool,
               out_dir: Path | None, upload: bool, account: str | None, planner: str | None) -> int:
    """给文章配图 Illustrate ARTICLE files (Markdown, HTML or text) into OUT/<slug>/.

    \b
    Each article gets cover.jpg (900×383), cover_1x1.jpg, inline images, article.html,
    manifest.json and preview.html; OUT/index.html lists them all. One failing article
    does not stop the others. Every article is checked first (see `peitu check`);
    with --upload an article with errors is not uploaded.
    \b
    Exit code 退出码:
      0  everything made as asked            全部按要求完成
      3  done, but some images came from a fallback provider (the console says why)
                                            完成，但部分图片由备用服务生成
      1  an article or image failed         有文章或图片失败
      2  bad options or config              参数或配置有误
    \b
    Examples:
      peitu illustrate examples/articles/*.md
      peitu illustrate draft.md --type 美食 --style watercolor --inline 2
      peitu illustrate draft.md --upload          # WECHAT_APPID / WECHAT_SECRET in .env
      peitu illustrate photos.md --newspic --upload   # 图片消息 an image post
      peitu illustrate draft.md --planner llm     # a chat model plans the images (config planner:)
    """
    from ..engine import Engine, file_jobs, to_folder
    from ..ingest.article_type import require_type
    from ..models import IllustrateOptions
    from ..providers import NAMES
    from ..publish.output import write_index

    cfg = app.config
    if account:                                  # the account's own style and templates
        from ..publish.wechat.client import account_config
        cfg = account_config(cfg, account)
    if type_:                                    # once, before any work
        type_ = require_type(type_, cfg, "--type")
    if provider and provider not in NAMES:
        raise ConfigError(f"--provider: unknown provider '{provider}' (known: {', '.join(NAMES)})")
    console = Console(stderr=True, soft_wrap=True)
    out_root = out_dir or cfg.path(cfg.paths.output)
    opts = IllustrateOptions(type=type_, style=style, provider=provider, inline_count=inline_count,
                             cover=not no_cover, force=force, newspic=newspic, planner=planner)
    counts = {"ok": 0, "fallback": 0, "failed": 0}
    failed_entries: list[dict] = []
    columns = (TextColumn("[bold]配图[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress, Engine(cfg) as engine:
        task = progress.add_task("", total=None)
        engine.on_image = lambda job, plan, outcome: progress.update(task, advance=1, description=plan.key)
        for outcome in engine.run(file_jobs(articles, cfg, opts, upload=upload),
                                  to_folder(cfg, out_root, upload=upload, account=account)):
            status = _show(console, outcome, upload)
            counts[status] += 1
            if status == "failed":
                failed_entries.append({"slug": Path(outcome.job.id).stem, "article": {"title": outcome.job.id},
                                       "error": redact(str(outcome.error)) if outcome.error else "images failed"})
    index = write_index(out_root, failed_entries) if out_root.exists() or failed_entries else None
    total = len(articles)
    summary = f"{counts['ok'] + counts['fallback']}/{total} 篇完成"
    if counts["fallback"]:
        summary += f"（{counts['fallback']} 篇用了备用服务 used a fallback provider）"
    if counts["failed"]:
        summary += f" · {counts['failed']} 篇失败 failed"
    if index is not None and counts["failed"] < total:
        summary += f" · 预览 {index}"
    console.print(summary)
    return EXIT_FAILED if counts["failed"] else EXIT_FALLBACK if counts["fallback"] else EXIT_OK


def _show(console: Console, outcome: Outcome[Written], upload: bool) -> str:
    """Print one article's outcome (check findings, each failed or fallback image); its status,
    counting a failed upload as a failure."""
    job, ill, written = outcome.job, outcome.illustration, outcome.result
    for f in getattr(job, "findings", []):
        colour = "red" if f.level == "error" else "yellow"
        console.print(f"  [{colour}]{'✗' if f.level == 'error' else '!'}[/] {f.file}:{f.line} {f.message}")
    if ill is None or written is None:
        console.print(f"[red]✗[/] {_said(job.id, outcome.error)}")
        return "failed"
    status = outcome.status
    made = sum(1 for p in ill.plans if p.key in ill.images)
    mark = {"ok": "[green]✓[/]", "fallback": "[yellow]✓[/]", "failed": "[red]![/]"}[status]
    console.print(f"{mark} {ill.article.title}  [dim]{ill.article.type} · "
                  f"{made}/{len(ill.plans)} 张 → {written.folder}[/]")
    for key, image in ill.images.items():
        if image.fallback:
            tried = "; ".join(redact(str(a)) for a in image.attempts[:-1])
            console.print(f"    [yellow]{key}[/]: 由 {image.provider} 生成 made by {image.provider} after: {tried}")
    for key, err in ill.errors.items():
        console.print(f"    [red]{key}[/]: {redact(str(err))}")
    if outcome.error is not None:
        console.print(f"[red]✗[/] {_said(job.id, outcome.error)}")
        return "failed"
    if upload and not ill.ok:
        console.print(f"  [red]✗[/] 有配图未完成，未上传 not uploaded: {len(ill.errors)} image(s) failed")
    elif written.upload_error is not None:
        console.print(f"[red]✗[/] upload failed: {_said(job.id, written.upload_error)}")
        return "failed"
    elif written.media_id:
        console.print(f"  [green]↑[/] 草稿已保存 draft saved: media_id {written.media_id}")
    return status


def _said(where: str, err: PeituError | None) -> str:
    """The error as one redacted message, naming the file unless the error already says where."""
    if err is None:
        return f"{where}: failed"
    text = redact(str(err))
    return text if err.where else f"{where}: {text}"
