"""`peitu serve`: the HTTP API (/api/v1) and the editors' page (library, article prompts, template editor)
on one ASGI app.

    with WebServer(cfg, "127.0.0.1", 0).start() as server:   # port 0: any free port
        print(server.url, server.api_token)
"""

from .server import DEFAULT_HOST, WebServer

__all__ = ["DEFAULT_HOST", "WebServer"]
