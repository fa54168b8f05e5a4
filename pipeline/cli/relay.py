"""`peitu relay`: forward signed WeChat API calls from peitu clients, on the host whose IP is whitelisted."""

from __future__ import annotations

import logging

import click

from . import App, pass_app


@click.command()
@click.option("--host", default=None, metavar="H", help="address to listen on (default: relay.host, 127.0.0.1)")
@click.option("--port", default=None, type=click.IntRange(0, 65535), help="port (default: relay.port, 8790)")
@click.option("--new-key", is_flag=True, help="print a new random client key and exit")
@pass_app
def relay(app: App, host: str | None, port: int | None, new_key: bool) -> None:
    """微信接口中转 Relay WeChat API calls for peitu clients whose own IP is not whitelisted (40164).

    \b
    Run it on a host with a fixed IP in the account's IP whitelist, behind a TLS
    reverse proxy (see README). It holds the AppID, AppSecret and access token; a
    client signs each call with a key shared with the relay (relay.clients) and
    never sees a token. Only the WeChat calls peitu makes are forwarded.
    \b
    On the relay:   peitu relay --new-key     # once per client; put it in .env on both
                    peitu relay               # relay.account's WECHAT_APPID/WECHAT_SECRET in .env
    On the client:  wechat.accounts.default.relay_url: https://relay.example.com
    """
    from ..relay.signing import new_key as make_key

    if new_key:
        click.echo(make_key())
        return
    from ..asgi import AsgiServer
    from ..netutil import is_loopback
    from ..relay import build_relay

    cfg = app.config
    logging.getLogger("pipeline.relay").setLevel(logging.INFO)     # one line per call (nothing secret in it)
    relay_ = build_relay(cfg)
    port = cfg.relay.port if port is None else port
    server = AsgiServer(relay_.app, host or cfg.relay.host, port, name="peitu-relay")
    if not is_loopback(server.host):
        click.secho(f"注意 note: listening on {server.host} without TLS; put it behind a TLS reverse proxy "
                    "(README: peitu relay).", fg="yellow", err=True)
    click.echo(f"peitu relay for account '{cfg.relay.account}': {server.url}  "
               f"({len(cfg.relay.clients)} client(s); Ctrl+C 退出)")
    server.serve_forever()
