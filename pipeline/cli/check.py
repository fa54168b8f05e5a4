"""`peitu check ARTICLE…`: pre-flight checks against WeChat's limits, before anything is generated."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from . import App, pass_app


@click.command()
@click.argument("articles", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print findings as JSON (for scripts)")
@click.option("--newspic", is_flag=True, help="检查为图片消息 check as image posts (as front matter `type: image`)")
@pass_app
def check(app: App, articles: tuple[Path, ...], as_json: bool, newspic: bool) -> int:
    """发布前检查 Check ARTICLE files for what WeChat would refuse or peitu would change.

    \b
    Errors (exit code 1): title over 32 characters, author over 16, a local image
    that does not exist, a URL where a media_id belongs, a body over WeChat's limits
    (20,000 characters / 1 MB, counted with the theme's inline styles), an unknown
    theme, broken front matter or peitu: settings; for an image post (type: image),
    more than 20 pictures, pictures that are not local files, text over 1,000
    characters.
    Warnings: no title (the file name is used), a body H1 that repeats the title, a
    digest over 128 (cut), cover keys that disagree, images in a format or size
    WeChat refuses (peitu converts them), a cover peitu made whose 1:1 crop would
    cut the title (WeChat's chat card).
    \b
    Examples:
      peitu check drafts/*.md
      peitu check post.md --json
      peitu check photos.md --newspic
    """
    from ..check import check_article

    cfg = app.config
    findings = [f for path in articles for f in check_article(path, cfg, made=True, newspic=newspic)]
    errors = sum(f.level == "error" for f in findings)
    if as_json:
        click.echo(json.dumps([f.to_dict() for f in findings], ensure_ascii=False, indent=2))
        return 1 if errors else 0
    console = Console()
    if findings:
        table = Table(show_lines=False, header_style="bold")
        table.add_column("级别", no_wrap=True)
        table.add_column("位置 where", overflow="fold")
        table.add_column("代码 code", no_wrap=True)
        table.add_column("说明 message", overflow="fold")
        for f in findings:
            level = "[red]错误[/]" if f.level == "error" else "[yellow]警告[/]"
            table.add_row(level, f"{f.file}:{f.line}" if f.line else f.file, f.code, f.message)
        console.print(table)
    warnings = len(findings) - errors
    mark = "[red]✗[/]" if errors else "[green]✓[/]"
    console.print(f"{mark} {len(articles)} 篇文章 articles: {errors} 个错误 errors, {warnings} 个警告 warnings")
    return 1 if errors else 0
