"""`peitu providers` (what is configured), `peitu providers check [NAME]` and `peitu usage`."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from . import App, pass_app


def _router(app: App):
    from ..generate import router_for

    return router_for(app.config)


def _limits(st) -> str:
    return " ".join([f"{st.rate_per_second:g}/s" if st.rate_per_second else "–/s",
                     f"{st.rate_per_minute:g}/min" if st.rate_per_minute else "–/min", f"{st.max_in_flight}"])


def _models(router, names: list[str]) -> Table:
    """What each configured model takes: sizes or ratios, seed, negative prompt, watermark off, limits."""
    table = Table(title="models — what each takes (a cover is asked in the widest shape it allows, then cropped)")
    for col in ("provider: model", "sizes", "takes", "note"):
        table.add_column(col, overflow="fold")
    for name in names:
        s = router.slots[name]
        model = f"{name}: {s.ep.model or '(the server’s)'}"
        try:
            rules = s.proto.rules(s.ep)
        except Exception as err:                    # a bad option: the status column above says so too
            table.add_row(model, "–", "–", getattr(err, "message", str(err))[:80])
            continue
        table.add_row(model, rules.describe(), rules.features(), rules.note)
    return table


@click.group(invoke_without_command=True)
@pass_app
@click.pass_context
def providers(ctx: click.Context, app: App) -> int:
    """生图服务 List image providers: configured or not, key present, limits, quota, and what each
    configured model takes (sizes or ratios, seed, negative prompt, watermark off).

    \b
    Keys come from the environment or .env (names in .env.example); everything
    else from config.yaml providers.settings.<name>.
    \b
    Examples:
      peitu providers
      peitu providers check              # one cheap authenticated call to each provider in order
      peitu providers check siliconflow
    """
    if ctx.invoked_subcommand is not None:
        return 0
    from ..providers import LOCAL

    router = _router(app)
    p = app.config.providers
    shown = list(dict.fromkeys([*p.order, *p.settings, *([p.last_resort] if p.last_resort else [])]))
    table = Table(title=f"providers — strategy {p.strategy}, last resort {p.last_resort or 'none'}",
                  caption="limits: per second, per minute, requests in flight")
    for col in ("provider", "#", "model", "key", "limits", "today", "status"):
        table.add_column(col, overflow="fold")
    for name in shown:
        position = str(p.order.index(name) + 1) if name in p.order else ("last" if name == p.last_resort else "–")
        if name == LOCAL:
            from ..providers.local.artset import installed, status

            table.add_row("local", position, f"drawn here: {status()}", "–", "–", "",
                          "ready" if installed() else "patterns only")
            continue
        s = router.slots[name]
        key = ("✓ " if s.ep.key else "✗ ") + str(s.key_env) if s.proto.key_required or s.ep.key else "–"
        quota = router.usage.used(name)
        today = f"{quota}/{s.st.daily_quota}" if s.st.daily_quota is not None else str(quota)
        why = router.unusable(name)
        table.add_row(name, position, s.ep.model or "(server's)", key, _limits(s.st), today,
                      "ready" if why is None else why.split(":")[0])
    console = Console()
    console.print(table)
    hosted = [n for n in shown if n != LOCAL]
    if hosted:                                     # what each configured model takes
        console.print(_models(router, hosted))
    from ..providers.local.looks import offline_note

    if LOCAL in shown and offline_note(app.config.style):
        click.echo(f"local, style {app.config.style}: {offline_note(app.config.style)}")
    others = [n for n in router.slots if n not in shown]
    if others:
        click.echo(f"Also available: {', '.join(others)} — add to providers.order in config.yaml "
                   f"(examples there), keys as in .env.example.")
    return 0


@providers.command()
@click.argument("name", required=False)
@pass_app
def check(app: App, name: str | None) -> int:
    """测试密钥 Make one cheap authenticated call (no image) to NAME, or to each hosted provider in order."""
    from ..errors import ConfigError
    from ..providers import HOSTED, LOCAL

    router = _router(app)
    if name is not None and name not in HOSTED:
        raise ConfigError(f"'{name}' is not a hosted provider (known: {', '.join(HOSTED)})")
    names = [name] if name else [n for n in app.config.providers.order if n != LOCAL]
    if not names:
        click.echo("No hosted provider in providers.order (only local): nothing to check.")
        return 0
    failed = 0
    for n in names:
        ok, message = router.check(n)
        failed += not ok
        click.secho(f"{'✓' if ok else '✗'} {n}: {message}", fg="green" if ok else "red")
    return 1 if failed else 0


@click.command()
@click.option("--days", type=click.IntRange(1, 3650), default=1, show_default=True, help="days back, today included")
@pass_app
def usage(app: App, days: int) -> int:
    """用量 Calls, failures and images per provider, today's quota left, and why images failed.

    \b
    Failure reasons: timeout, deadline, http_429 (rate-limited), http_5xx, http_4xx, auth (key or
    account refused), not_found (model or URL), malformed (an answer peitu cannot read), empty,
    job_failed, expired (result URL gone), bad_image, too_large, url_refused, unreachable, drift.
    """
    router = _router(app)
    rows = {r["provider"]: r for r in router.usage.report(days)}
    table = Table(title=f"usage — last {days} day{'s' if days > 1 else ''}")
    for col in ("provider", "calls", "failures", "images", "quota left today"):
        table.add_column(col, justify="right" if col != "provider" else "left")
    names = [*rows, *(n for n in app.config.providers.order if n not in rows)]
    for name in names:
        r = rows.get(name, {"calls": 0, "failures": 0, "images": 0})
        slot = router.slots.get(name)
        quota = slot.st.daily_quota if slot else None
        left = "unlimited" if quota is None else f"{max(0, quota - router.usage.used(name))} of {quota}"
        table.add_row(name, str(r["calls"]), str(r["failures"]), str(r["images"]), left)
    console = Console()
    console.print(table)
    reasons = router.usage.failure_reasons(days)
    if reasons:
        why = Table(title="failures by reason")
        for col in ("provider", "reason", "count"):
            why.add_column(col, justify="right" if col == "count" else "left")
        for r in reasons:
            why.add_row(r["provider"], r["reason"], str(r["count"]))
        console.print(why)
    return 0
