"""Library pages' JSON: browse and search, one image's record, tags, thumbnails and files."""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from ..errors import InputError
from ..library import Entry, Library, parse_since, search
from ..library.export import as_dict
from .app import App, HTTPError, Request, Response, file_response, json_response
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


def _get(lib: Library, req: Request) -> Entry:
    try:
        return lib.get(int(req.params["id"]))
    except InputError as err:
        raise HTTPError(404, err.message) from None


class LibraryViews:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.tz = cfg.schedule.timezone

    def register(self, app: App) -> None:
        app.route("GET", "/api/library", self.list)
        app.route("GET", r"/api/library/(?P<id>\d+)", self.detail)
        app.route("POST", r"/api/library/(?P<id>\d+)/tags", self.tags)
        app.route("GET", r"/thumb/(?P<id>\d+)", self.thumb)
        app.route("GET", r"/image/(?P<id>\d+)", self.original)
        app.route("GET", r"/image/(?P<id>\d+)/(?P<n>\d+)", self.file)

    def open(self) -> Library:
        return Library.open(self.cfg)

    def list(self, req: Request) -> Response:
        q = req.query
        since = parse_since(q["since"], self.tz) if q.get("since") else None
        with self.open() as lib:
            result = search(lib, q.get("q", ""), type=q.get("type") or None, role=q.get("role") or None,
                            since=since, limit=_int(q.get("limit", ""), "limit", PAGE, 500),
                            offset=_int(q.get("offset", ""), "offset", 0, 10**9))
        return json_response({"total": result.total, "items": [summary(e, self.tz) for e in result.entries]})

    def detail(self, req: Request) -> Response:
        with self.open() as lib:
            entry = _get(lib, req)
        data = as_dict(entry, self.tz) | {"thumb": f"/thumb/{entry.id}", "image": f"/image/{entry.id}"}
        for n, f in enumerate(data["files"]):
            f["url"] = f"/image/{entry.id}/{n}"
        return json_response(data)

    def tags(self, req: Request) -> Response:
        body = req.json()
        add, remove = body.get("add") or [], body.get("remove") or []
        if not all(isinstance(t, str) for t in [*add, *remove]):
            raise HTTPError(400, "tags must be strings")
        with self.open() as lib:
            return json_response({"tags": lib.tag(_get(lib, req).id, add=add, remove=remove)})

    def thumb(self, req: Request) -> Response:
        with self.open() as lib:
            entry = _get(lib, req)
        if not entry.file.is_file():
            raise HTTPError(404, f"原图不见了 (original missing): {entry.file.name}")
        width = _int(req.query.get("w", ""), "w", 240, 2000)
        return file_response(thumbnail(entry.file, entry.sha256, self.cfg.path(self.cfg.paths.cache), width),
                             cache=True)

    def original(self, req: Request) -> Response:
        with self.open() as lib:
            return file_response(_get(lib, req).file, cache=True)

    def file(self, req: Request) -> Response:
        with self.open() as lib:
            files = _get(lib, req).files
        n = int(req.params["n"])
        if n >= len(files):
            raise HTTPError(404, "no such file")
        return file_response(Path(files[n].path))
