"""`peitu sandbox`: a fake WeChat API with drafts in it, to try the whole flow without an account."""

from __future__ import annotations

import signal
import threading

import click

from . import App, pass_app
from ..config import Planner

CHAT_KEY_ENV = "PEITU_SANDBOX_CHAT_KEY"


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="port on 127.0.0.1 (0: any free port)")
@click.option("--empty", is_flag=True, help="start with an empty draft box")
@click.option("--nightly", "run", is_flag=True, help="also run the nightly job against it once, right away")
@click.option("--chat", is_flag=True, help="also start a fake chat model for the llm planner (planner:)")
@pass_app
def sandbox(app: App, port: int, empty: bool, run: bool, chat: bool) -> int:
    """模拟公众号 Start a fake WeChat API on 127.0.0.1 with a few drafts, until Ctrl-C.

    \b
    It speaks the real protocol (token, material, uploadimg, draft box) with WeChat's
    limits and errcodes. Open its address in a browser to see the draft box. In another
    terminal, point peitu at it with the three variables it prints, then run
    `peitu nightly` (or `peitu illustrate ARTICLE --upload`). With --chat, a fake
    OpenAI-compatible chat model plans the images too (`--planner llm`).
    """
    import os

    from ..fakes.wechat import SANDBOX_APPID, SANDBOX_SECRET, FakeWeChat, seed_sandbox
    from ..publish.wechat.client import BASE_URL_ENV

    fake = FakeWeChat(port=port).start()
    ids = [] if empty else seed_sandbox(fake)
    click.echo(f"WeChat sandbox: {fake.url}   (draft box in a browser: {fake.url}/)")
    click.echo(f"{len(ids)} drafts: some without a cover, some with 【配图】, one finished.\n")
    click.echo("In another terminal:")
    click.echo(f"  export {BASE_URL_ENV}={fake.url} WECHAT_APPID={SANDBOX_APPID} WECHAT_SECRET={SANDBOX_SECRET}")
    click.echo("  peitu nightly\n")
    planner = _start_chat() if chat else None
    if run:
        from ..nightly import run_nightly

        os.environ.update({BASE_URL_ENV: fake.url, "WECHAT_APPID": SANDBOX_APPID, "WECHAT_SECRET": SANDBOX_SECRET})
        cfg = app.config
        if planner is not None:
            cfg = cfg.model_copy(update={"planner": planner})
        for name, acct in cfg.wechat.accounts.items():
            os.environ.setdefault(acct.appid_env, SANDBOX_APPID)
            os.environ.setdefault(acct.secret_env, SANDBOX_SECRET)
            report = run_nightly(cfg, name, on_article=lambda label, outcome: click.echo(f"  {label}: {outcome}"))
            click.echo(report.line())
        click.echo(f"\nSee the illustrated drafts at {fake.url}/")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo("Ctrl-C to stop.")
    stop.wait()
    fake.stop()
    return 0


def _start_chat() -> Planner:
    """A fake chat model on 127.0.0.1 (stopped with the process); the planner settings that use it."""
    import os

    from ..fakes.chat import FakeChat

    chat = FakeChat()
    chat.start()
    os.environ[CHAT_KEY_ENV] = str(chat.key)
    planner = Planner.model_validate({"mode": "llm", "base_url": chat.base_url, "model": chat.model,
                                      "key_env": CHAT_KEY_ENV, "allow_http": True})
    click.echo(f"Chat model sandbox (planner): {chat.base_url}")
    click.echo("In config.yaml:")
    click.echo(f"  planner: {{mode: llm, base_url: {chat.base_url}, model: {chat.model}, key_env: {CHAT_KEY_ENV}, "
               "allow_http: true}")
    click.echo(f"  export {CHAT_KEY_ENV}={chat.key}")
    click.echo("  peitu plan ARTICLE --planner llm\n")
    return planner
