"""`peitu mcp`: peitu's tools for writing agents over the Model Context Protocol."""

from __future__ import annotations

from pathlib import Path

import click

from . import App, pass_app


@click.command()
@click.option("--http", "use_http", is_flag=True, help="streamable HTTP at /mcp instead of stdio")
@click.option("--host", default=None, metavar="H", help="with --http: address (default: serve.host, 127.0.0.1)")
@click.option("--port", default=None, type=click.IntRange(0, 65535), help="with --http: port (default: serve.mcp_port)")
@click.option("--articles", "article_dirs", multiple=True,
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="folder whose articles the tools may read, besides the project's (repeatable)")
@pass_app
def mcp(app: App, use_http: bool, host: str | None, port: int | None, article_dirs: tuple[Path, ...]) -> None:
    """给写作助手用 Serve peitu's tools to agents over MCP: check, plan, illustrate, library_search,
    template_preview (and upload, when serve.allow_upload is true).

    \b
    stdio (the default) is for an agent that starts peitu itself, e.g. in its MCP settings:
      {"command": "peitu", "args": ["mcp", "--articles", "drafts"]}
    --http serves streamable HTTP at http://127.0.0.1:8766/mcp with a bearer token from
    serve.token_env (PEITU_API_TOKEN), or one made and printed at start.
    """
    import anyio

    from ..mcp_server import build_server, http_app
    from ..tools import Tools

    cfg = app.config
    tools = Tools(cfg, article_dirs, allow_upload=cfg.serve.allow_upload)
    server = build_server(tools)
    try:
        if not use_http:
            anyio.run(server.run_stdio_async)
            return
        import secrets

        from ..asgi import AsgiServer
        from ..netutil import is_loopback
        from ..secrets import get_secret

        given = get_secret(cfg.serve.token_env)
        token = given or secrets.token_urlsafe(32)
        bind_host = host or cfg.serve.host
        http = AsgiServer(http_app(server, bind_host, token), bind_host, cfg.serve.mcp_port if port is None else port,
                          name="peitu-mcp")
        if not is_loopback(http.host):
            click.secho(f"注意 note: listening on {http.host}: anyone with the token can run peitu's tools",
                        fg="yellow", err=True)
        click.echo(f"peitu MCP: {http.url}mcp   (Ctrl+C 退出)")
        if given is None:
            click.echo(f"token (this run only; put one in {cfg.serve.token_env} to keep it): {token}")
        http.serve_forever()
    finally:
        tools.close()
