"""`peitu web`: serve the editors' page on this computer."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import click

from . import App, pass_app


@click.command()
@click.option("--host", default=None, metavar="H",
              help="address to listen on (default 127.0.0.1: this computer only)")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port")
@click.option("--articles", "article_dirs", multiple=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="folder of articles to list on the page (repeatable)")
@click.option("--open", "open_browser", is_flag=True, help="open the page in a browser")
@pass_app
def web(app: App, host: str | None, port: int, article_dirs: tuple[Path, ...], open_browser: bool) -> None:
    """Serve the editors' page: browse and search the image library, see the prompts each
    template gives an article, edit templates with a live preview, regenerate one image.

    \b
    Listens on 127.0.0.1 (this computer) unless --host says otherwise; anyone who
    can reach another address can edit templates and spend provider quota.
    \b
    Example:  peitu web --articles examples/articles --open
    """
    from ..web import DEFAULT_HOST, WebServer
    from ..netutil import is_loopback

    server = WebServer(app.config, host or DEFAULT_HOST, port, article_dirs=article_dirs)
    if not is_loopback(server.host):
        click.secho(f"注意：正在监听 {server.host}，同一网络的人都能打开此页面并修改模板。", fg="yellow", err=True)
    click.echo(f"peitu 编辑台: {server.url}   (Ctrl+C 退出)")
    if open_browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
