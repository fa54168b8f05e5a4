"""/api/v1: the tools of pipeline.tools as HTTP endpoints (the same requests and results as `peitu mcp`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.security import HTTPBearer
from pydantic import BaseModel

from ..tools import (ArticleInput, CheckResult, IllustrateRequest, IllustrateResult, LibrarySearchRequest,
                     LibrarySearchResult, PlanRequest, PlanResult, TemplatePreviewRequest, TemplatePreviewResult,
                     Tools, UploadRequest)


class ErrorBody(BaseModel):
    error: str


ERRORS: dict[int | str, dict] = {
    400: {"model": ErrorBody, "description": "the article, template or option cannot be used (says why)"},
    401: {"model": ErrorBody, "description": "missing or wrong bearer token"},
    403: {"model": ErrorBody, "description": "a Host or Origin that is not this server"},
    413: {"model": ErrorBody, "description": "request body over 2 MB"},
}


def api_router(tools: Tools) -> APIRouter:
    """The endpoints; /upload only when uploading is allowed (serve.allow_upload)."""
    # the guard checks the token; this dependency puts the bearer scheme in the OpenAPI schema
    r = APIRouter(prefix="/api/v1", tags=["peitu"], responses=ERRORS,
                  dependencies=[Depends(HTTPBearer(auto_error=False))])

    @r.post("/plan", operation_id="plan")
    def plan(req: PlanRequest) -> PlanResult:
        """Where images go and what each shows (prompts, sizes, seeds); nothing is generated."""
        return tools.plan(req)

    @r.post("/illustrate", operation_id="illustrate")
    def illustrate(req: IllustrateRequest) -> IllustrateResult:
        """Make the images and write output/<slug>/ (images, article.html, preview.html, manifest.json)."""
        return tools.illustrate(req)

    @r.post("/check", operation_id="check")
    def check(req: ArticleInput) -> CheckResult:
        """What WeChat would refuse or peitu would change (title, digest, images, body size …)."""
        return tools.check(req)

    @r.get("/library", operation_id="library_search")
    def library(req: Annotated[LibrarySearchRequest, Query()]) -> LibrarySearchResult:
        """Images in the library matching every word, best first (newest first without words)."""
        return tools.library_search(req)

    @r.post("/templates/preview", operation_id="template_preview")
    def template_preview(req: TemplatePreviewRequest) -> TemplatePreviewResult:
        """The prompts one template gives the article; nothing is generated."""
        return tools.template_preview(req)

    if tools.allow_upload:
        @r.post("/upload", operation_id="upload")
        def upload(req: UploadRequest) -> IllustrateResult:
            """Illustrate, then create a draft in the WeChat draft box (media_id in the result)."""
            return tools.upload(req)

    return r
