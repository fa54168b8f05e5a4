"""`peitu web`: a small local page for editors — library, article prompts, template editor.

    with WebServer(cfg, "127.0.0.1", 0).start() as server:   # port 0: any free port
        print(server.url)
"""

from .server import DEFAULT_HOST, WebServer

__all__ = ["DEFAULT_HOST", "WebServer"]
