"""`peitu schedule`: run the nightly job every night (APScheduler), or once now."""

from __future__ import annotations

import logging

import click

from . import App, pass_app


@click.command()
@click.option("--account", "-a", "accounts", multiple=True, metavar="NAME",
              help="schedule only this account (repeatable; default: every account)")
@click.option("--once", is_flag=True, help="run the nightly job now for each account, then exit")
@pass_app
def schedule(app: App, accounts: tuple[str, ...], once: bool) -> int:
    """每晚定时 Run the nightly job at each account's time (default 02:00 Asia/Shanghai) until stopped.

    \b
    Times come from config (schedule:, or wechat.accounts.NAME.schedule). Jobs are kept
    in the state file: a night missed while the machine was off runs when peitu starts
    again, if it is less than misfire_grace_s late. One scheduler per account runs at a
    time. SIGTERM or Ctrl-C lets a running job finish, then exits. Each run logs one line.
    With a broker configured (broker.url_env), each night sends the account's job to the
    workers (`peitu worker`) instead of running it here.
    \b
    Examples:
      peitu schedule                 # keep running (systemd, supervisor, tmux …)
      peitu schedule --once          # run it now (or send it to the workers), e.g. from cron
    """
    from ..publish.wechat.client import account_settings
    from ..schedule import config_path_of, nightly_job, serve

    cfg = app.config
    names = list(accounts) or list(cfg.wechat.accounts)
    for name in names:
        account_settings(cfg, name)
    logging.getLogger("pipeline.schedule").setLevel(logging.INFO)
    logging.getLogger("pipeline.nightly").setLevel(logging.INFO)
    config_path = config_path_of(app.config_path)
    if once:
        for name in names:
            nightly_job(config_path, name)
        return 0

    def started(sched) -> None:
        for name, when in sched.next_runs().items():
            click.echo(f"peitu schedule: nightly [{name}] next at {when:%Y-%m-%d %H:%M %Z}", err=True)
        click.echo("peitu schedule: running; stop with Ctrl-C or SIGTERM", err=True)

    serve(cfg, names, config_path, on_start=started)
    click.echo("peitu schedule: stopped", err=True)
    return 0
