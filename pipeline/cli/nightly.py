"""`peitu nightly`: illustrate the drafts in the WeChat draft box that ask for it, now."""

from __future__ import annotations

import click
from rich.console import Console
from rich.markup import escape

from . import App, pass_app
from ..errors import PeituError
from ..plan import PLANNERS
from ..secrets import redact

_MARKS = {"illustrated": "[green]✓[/]", "would": "[cyan]→[/]", "failed": "[red]✗[/]"}


@click.command()
@click.option("--account", "-a", "accounts", multiple=True, metavar="NAME",
              help="account from wechat.accounts (repeatable; default: every account)")
@click.option("--force", is_flag=True, help="also replace covers the editors set (their body images stay)")
@click.option("--dry-run", is_flag=True, help="list what would be illustrated; generate and upload nothing")
@click.option("--draft", "drafts", multiple=True, metavar="MEDIA_ID", help="only this draft (repeatable)")
@click.option("--planner", type=click.Choice(PLANNERS), help="配图规划 rules (offline) or llm (a chat model, config "
                                                             "planner:); default: config planner.mode")
@pass_app
def nightly(app: App, accounts: tuple[str, ...], force: bool, dry_run: bool, drafts: tuple[str, ...],
            planner: str | None) -> int:
    """给草稿箱配图 Illustrate the drafts that lack a cover or hold the placeholder, and update them in place.

    \b
    A draft article is picked when it has no cover, or when its text holds the
    placeholder (config wechat.placeholder, default 【配图】): each 【配图】 becomes an
    image at that spot; 【配图：夕阳下的长城】 names what to draw. Without a placeholder,
    images go after the best headings. The editor's cover, images and every other
    field are kept (--force replaces the cover). A draft done before and unchanged
    since is skipped. A run that is killed or hits the daily quota (45009) goes on
    where it stopped the next time, with nothing uploaded twice.
    \b
    Examples:
      peitu nightly --dry-run
      peitu nightly --account food
    """
    from ..nightly import run_nightly
    from ..publish.wechat.client import account_settings

    cfg = app.config
    console = Console(stderr=True)
    names = list(accounts) or list(cfg.wechat.accounts)
    for name in names:
        account_settings(cfg, name)                 # unknown names fail before anything runs
    failed = False
    for name in names:
        def show(label: str, outcome: str) -> None:
            mark = next((m for k, m in _MARKS.items() if outcome.startswith(k)), "[dim]·[/]")
            console.print(f"{mark} {escape(redact(label))}: {escape(redact(outcome))}", highlight=False)

        try:
            with console.status(f"[bold]配图[/] nightly [{name}]{' (dry run)' if dry_run else ''} …"):
                report = run_nightly(cfg, name, force=force, dry_run=dry_run, only=set(drafts) or None,
                                     on_article=show, planner=planner)
        except PeituError as err:                   # e.g. another run holds the account: go on with the rest
            console.print(f"[red]✗ {escape(redact(str(err)))}[/]", highlight=False)
            failed = True
            continue
        colour = "yellow" if report.stopped or report.failed else "green"
        console.print(f"[{colour}]{escape(redact(report.line()))}[/]", highlight=False)
        failed |= bool(report.failed or report.stopped)
    return 1 if failed else 0
