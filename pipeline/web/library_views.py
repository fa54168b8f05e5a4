"""Library pages' JSON: browse and search, one image's record, tags, thumbnails and files."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from ..config import Config
from ..errors import InputError
from ..library import Entry, Library, parse_since, search
from ..library.export import as_dict
from .app import HTTPError, JsonBody, file_response
from .thumbs import thumbnail

PAGE = 60


def summary(entry: Entry, tz: str) -> dict:
    full = as_dict(entry, tz)
    keep = ("id", "article_slug", "article_title", "article_type", "role", "plan_key", "tags", "provider",
            "model", "width", "height", "reusable", "origin", "created_at", "media_id", "style")
    return {k: full[k] for k in keep} | {"thumb": f"/thumb/{entry.id}", "uses": len(entry.uses)}


def _int(value: str, name: str, default: int, top: int) -> int:
    try:
        return max(0, min(int(value), top)) if value else default
    except ValueError:
        raise HTTPError(400, f"{name} must be a number") from None


def _get(lib: Library, image_id: int) -> Entry:
    try:
        return lib.get(image_id)
    except InputError as err:
        raise HTTPError(404, err.message) from None


class LibraryViews:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.tz = cfg.schedule.timezone

    def router(self) -> APIRouter:
        r = APIRouter(include_in_schema=False)
        r.add_api_route("/api/library", self.list)
        r.add_api_route("/api/library/{image_id:int}", self.detail)
        r.add_api_route("/api/library/{image_id:int}/tags", self.tags, methods=["POST"])
        r.add_api_route("/thumb/{image_id:int}", self.thumb)
        r.add_api_route("/image/{image_id:int}", self.original)
        r.add_api_route("/image/{image_id:int}/{n:int}", self.file)
        return r

    def open(self) -> Library:
        return Library.open(self.cfg)

    def list(self, q: str = "", type: str = "", role: str = "", since: str = "", limit: str = "",
             offset: str = "") -> dict:
        when = parse_since(since, self.tz) if since else None
        with self.open() as lib:
            result = search(lib, q, type=type or None, role=role or None, since=when,
                            limit=_int(limit, "limit", PAGE, 500), offset=_int(offset, "offset", 0, 10**9))
        return {"total": result.total, "items": [summary(e, self.tz) for e in result.entries]}

    def detail(self, image_id: int) -> dict:
        with self.open() as lib:
            entry = _get(lib, image_id)
        data = as_dict(entry, self.tz) | {"thumb": f"/thumb/{entry.id}", "image": f"/image/{entry.id}"}
        for n, f in enumerate(data["files"]):
            f["url"] = f"/image/{entry.id}/{n}"
        return data

    def tags(self, image_id: int, body: JsonBody) -> dict:
        add, remove = body.get("add") or [], body.get("remove") or []
        if not isinstance(add, list) or not isinstance(remove, list) or \
                not all(isinstance(t, str) for t in [*add, *remove]):
            raise HTTPError(400, "tags must be strings")
        with self.open() as lib:
            return {"tags": lib.tag(_get(lib, image_id).id, add=add, remove=remove)}

    def thumb(self, image_id: int, w: str = "") -> Response:
        with self.open() as lib:
            entry = _get(lib, image_id)
        if not entry.file.is_file():
            raise HTTPError(404, f"原图不见了 (original missing): {entry.file.name}")
        width = _int(w, "w", 240, 2000)
        return file_response(thumbnail(entry.file, entry.sha256, self.cfg.path(self.cfg.paths.cache), width),
                             cache=True)

    def original(self, image_id: int) -> Response:
        with self.open() as lib:
            return file_response(_get(lib, image_id).file, cache=True)

    def file(self, image_id: int, n: int) -> Response:
        with self.open() as lib:
            files = _get(lib, image_id).files
        if n >= len(files):
            raise HTTPError(404, "no such file")
        return file_response(Path(files[n].path))
