"""`peitu doctor`: what is ready and what to fix."""

from __future__ import annotations

import click
from rich.console import Console

from . import App, pass_app

_MARK = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[red]✗[/]"}


@click.command()
@click.option("--offline", is_flag=True, help="check keys and settings without contacting providers or WeChat")
@pass_app
def doctor(app: App, offline: bool) -> int:
    """自检 Check config, state folder, font, templates, provider keys and reachability,
    WeChat credentials and IP whitelist, and the schedule; say what to fix.

    Exit code 1 when something must be fixed (✗); warnings (!) do not fail.
    """
    from ..doctor import run_checks

    console = Console()

    def show(check) -> None:
        console.print(f"{_MARK[check.status]} [bold]{check.area}[/]: {check.found}", highlight=False)
        if check.fix and check.status != "ok":
            console.print(f"    → {check.fix}", highlight=False)

    checks = run_checks(app.config_path, offline=offline, on_check=show)
    fails = sum(c.status == "fail" for c in checks)
    warns = sum(c.status == "warn" for c in checks)
    console.print(f"\n{'[red]' if fails else '[green]'}{len(checks)} checks: {fails} to fix, {warns} warnings[/]")
    return 1 if fails else 0
