"""`peitu mcp`: peitu's tools for writing agents over the Model Context Protocol, on the official MCP SDK.

The tools are pipeline.tools' operations (the same as `peitu serve`'s /api/v1): plan, illustrate, check,
library_search, template_preview and, when serve.allow_upload is true, upload. Each returns a structured
result (its pydantic model, also as JSON text) with the paths it wrote; a refused call is an error result
whose text says what to fix. Transports: stdio (an agent starts `peitu mcp`), or streamable HTTP on
loopback at /mcp with a bearer token (`peitu mcp --http`).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Literal, TypeVar

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import BaseModel, ValidationError
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import PeituError
from .secrets import redact
from .tools import (ArticleInput, CheckResult, IllustrateRequest, IllustrateResult, LibrarySearchRequest,
                    LibrarySearchResult, PlanRequest, PlanResult, TemplatePreviewRequest, TemplatePreviewResult, Tools,
                    UploadRequest)

R = TypeVar("R", bound=BaseModel)
INSTRUCTIONS = """peitu (配图) illustrates WeChat Official Account articles. Give an article as `path` (a file \
under the project or an --articles folder) or `text` (Markdown). Start with check (what WeChat would refuse) \
and plan (which images, where, with what prompts; nothing is generated); illustrate makes the images and writes \
output/<slug>/ with preview.html; library_search finds images made before."""
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


def _call(fn: Callable[..., R], model: type[BaseModel], **fields: object) -> R:
    """Validate the arguments as `model` and run `fn`; a refusal becomes a ToolError that says why."""
    try:
        req = model(**{k: v for k, v in fields.items() if v is not None})
    except ValidationError as err:
        raise ToolError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())) from None
    try:
        return fn(req)
    except PeituError as err:
        raise ToolError(redact(str(err))) from None


def build_server(tools: Tools) -> MCPServer:
    """The MCP server over `tools` (upload only when tools.allow_upload)."""
    server: MCPServer = MCPServer("peitu", instructions=INSTRUCTIONS)

    @server.tool(annotations=READ_ONLY)
    def check(path: str | None = None, text: str | None = None) -> CheckResult:
        """Check an article against WeChat's limits (title, author, digest, images, body size) before anything
        is made; ok is false when something would be refused."""
        return _call(tools.check, ArticleInput, path=path, text=text)

    @server.tool(annotations=READ_ONLY)
    def plan(path: str | None = None, text: str | None = None, type: str | None = None, style: str | None = None,
             inline: int | None = None, cover: bool = True) -> PlanResult:
        """Plan an article's images: the cover and which sections get an inline image, each with its prompt,
        negative prompt, style, size and seed. Nothing is generated. type: e.g. tech or 科技; style: e.g. flat."""
        return _call(tools.plan, PlanRequest, path=path, text=text, type=type, style=style, inline=inline, cover=cover)

    @server.tool(annotations=WRITES)
    def illustrate(path: str | None = None, text: str | None = None, type: str | None = None,
                   style: str | None = None, inline: int | None = None, cover: bool = True,
                   provider: str | None = None, force: bool = False) -> IllustrateResult:
        """Make an article's images and write output/<slug>/: cover.jpg, cover_1x1.jpg, inline images,
        article.html, preview.html (how WeChat will show it) and manifest.json; the paths are in the result."""
        return _call(tools.illustrate, IllustrateRequest, path=path, text=text, type=type, style=style,
                     inline=inline, cover=cover, provider=provider, force=force)

    @server.tool(annotations=READ_ONLY)
    def library_search(q: str = "", type: str | None = None, role: Literal["cover", "inline", "marker"] | None = None,
                       since: str | None = None, limit: int = 20, offset: int = 0) -> LibrarySearchResult:
        """Search the images peitu made before by words in their tags, prompts or article titles (Chinese or
        English); since: e.g. 30d. Each item has its file path."""
        return _call(tools.library_search, LibrarySearchRequest, q=q, type=type, role=role, since=since,
                     limit=limit, offset=offset)

    @server.tool(annotations=READ_ONLY)
    def template_preview(template: str, path: str | None = None, text: str | None = None,
                         style: str | None = None) -> TemplatePreviewResult:
        """The prompts one prompt template (an article type such as food or tech) gives the article."""
        return _call(tools.template_preview, TemplatePreviewRequest, template=template, path=path, text=text,
                     style=style)

    if tools.allow_upload:
        @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True,
                                                 open_world_hint=True))
        def upload(path: str | None = None, text: str | None = None, type: str | None = None,
                   style: str | None = None, inline: int | None = None, account: str | None = None) -> IllustrateResult:
            """Illustrate the article, then save it as a draft in the WeChat draft box (media_id in the result).
            The same article uploads once: a second call returns the same draft."""
            return _call(tools.upload, UploadRequest, path=path, text=text, type=type, style=style, inline=inline,
                         account=account)

    return server


class BearerGuard:
    """ASGI middleware for the HTTP transport: `Authorization: Bearer <token>` on every request."""

    def __init__(self, app: ASGIApp, token: str):
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scheme, _, given = Headers(scope=scope).get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self.token.encode()):
                refused = JSONResponse({"error": "missing or wrong token: send Authorization: Bearer <token>"}, 401,
                                       headers={"WWW-Authenticate": "Bearer"})
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)


def http_app(server: MCPServer, host: str, token: str) -> ASGIApp:
    """Streamable HTTP at /mcp (the SDK also checks Host and Origin on loopback), behind the token."""
    return BearerGuard(server.streamable_http_app(host=host), token)
