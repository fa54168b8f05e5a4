"""`peitu serve` (also `peitu web`): the HTTP API and the editors' page on this computer."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import click

from . import App, pass_app

MIN_TOKEN = 16


@click.command()
@click.option("--host", default=None, metavar="H",
              help="address to listen on (default: serve.host, 127.0.0.1: this computer only)")
@click.option("--port", default=None, type=click.IntRange(0, 65535),
              help="default serve.port (8765); 0 picks a free port")
@click.option("--articles", "article_dirs", multiple=True,
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="folder of articles the page lists and the API may read (repeatable)")
@click.option("--open", "open_browser", is_flag=True, help="open the page in a browser")
@click.option("--api-only", is_flag=True, help="serve the API without the editors' page")
@pass_app
def serve(app: App, host: str | None, port: int | None, article_dirs: tuple[Path, ...], open_browser: bool,
          api_only: bool) -> None:
    """编辑页面和接口 Serve the editors' page and the HTTP API (/api/v1, schema at /openapi.json).

    \b
    The page: browse and search the image library, see the prompts each template
    gives an article, edit templates with a live preview, regenerate one image.
    The API: plan, illustrate, check, library search, template preview (and upload
    when serve.allow_upload is true), for scripts and agents, with a bearer token
    from the variable serve.token_env names (PEITU_API_TOKEN), or one made and
    printed at start.
    \b
    Listens on 127.0.0.1 (this computer) unless --host says otherwise; anyone who
    can reach another address can edit templates and spend provider quota.
    \b
    Examples:  peitu serve --articles examples/articles --open
               curl -H "Authorization: Bearer $PEITU_API_TOKEN" -H "Content-Type: application/json" \\
                    -d '{"path": "post.md"}' http://127.0.0.1:8765/api/v1/check
    """
    from ..errors import ConfigError
    from ..netutil import is_loopback
    from ..secrets import get_secret
    from ..web import WebServer

    cfg = app.config
    token = get_secret(cfg.serve.token_env)
    if token is not None and len(token) < MIN_TOKEN:
        raise ConfigError(f"{cfg.serve.token_env} is shorter than {MIN_TOKEN} characters",
                          hint="use a long random value, e.g. peitu relay --new-key")
    server = WebServer(cfg, host or cfg.serve.host, cfg.serve.port if port is None else port,
                       article_dirs=article_dirs, api_token=token, page=not api_only)
    if not is_loopback(server.host):
        click.secho(f"注意：正在监听 {server.host}，同一网络的人都能打开此页面并修改模板。", fg="yellow", err=True)
    if not api_only:
        click.echo(f"peitu 编辑台: {server.url}   (Ctrl+C 退出)")
    click.echo(f"peitu API: {server.url}api/v1/   (schema: {server.url}openapi.json)")
    if token is None:
        click.echo(f"API token (this run only; put one in {cfg.serve.token_env} to keep it): {server.api_token}")
    if open_browser and not api_only:
        webbrowser.open(server.url)
    server.serve_forever()
