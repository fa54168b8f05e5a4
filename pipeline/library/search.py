"""Finding library images: full-text over tags, prompts and titles, filtered by type, role and date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..errors import InputError
from .store import Entry, Library
from .text import match_query, ts_query

_RELATIVE = re.compile(r"^(\d+)\s*([dwm天周月])$")
_UNIT_DAYS = {"d": 1, "天": 1, "w": 7, "周": 7, "m": 30, "月": 30}


@dataclass
class SearchResult:
    entries: list[Entry]
    total: int                          # matches before limit/offset


def parse_since(value: str, tz: str = "Asia/Shanghai", *, now: datetime | None = None) -> float:
    """A date (2025-05-01), a date and time, or an age (7d, 2w, 3m, 7天) → unix time of its start."""
    zone = ZoneInfo(tz)
    text = value.strip()
    if m := _RELATIVE.match(text.lower()):
        start = (now or datetime.now(zone)) - timedelta(days=int(m[1]) * _UNIT_DAYS[m[2]])
        return start.timestamp()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--since {value!r}: 看不懂的日期 (not a date)",
                         hint="写成 2025-05-01、2025-05-01T08:00 或 7d / 2w / 3m") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


def search(lib: Library, query: str = "", *, type: str | None = None, role: str | None = None,
           since: float | None = None, limit: int = 50, offset: int = 0) -> SearchResult:
    """Images matching every word of `query` (best first), or all images (newest first) when it is empty."""
    where: list[str] = []
    args: list[object] = []
    if type:
        where.append("i.article_type = ?")
        args.append(type)
    if role:
        where.append("i.role = ?")
        args.append(role)
    if since is not None:
        where.append("i.created_at >= ?")
        args.append(since)
    postgres = lib.store.dialect == "postgresql"
    expr = (ts_query if postgres else match_query)(query, lib.tokenizer) if query.strip() else ""
    if query.strip() and not expr:
        return SearchResult([], 0)
    if expr and postgres:                    # a tsvector weighted A tags, B title, C prompt (see store.py)
        source = "library_fts f JOIN library_images i ON i.id = f.rowid CROSS JOIN to_tsquery('simple', ?) q"
        where.insert(0, "f.doc @@ q")
        args.insert(0, expr)
        order = "ts_rank('{0, 0.25, 0.5, 1}', f.doc, q) DESC, i.created_at DESC"
    elif expr:
        source = "library_fts f JOIN library_images i ON i.id = f.rowid"
        where.insert(0, "library_fts MATCH ?")
        args.insert(0, expr)
        # tags weigh most, then prompt, then the article's title
        order = "bm25(library_fts, 4.0, 1.0, 2.0), i.created_at DESC"
    else:
        source = "library_images i"
        order = "i.created_at DESC, i.id DESC"
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    total = lib.store.query(f"SELECT count(*) FROM {source}{clause}", args)[0][0]
    ids = [r[0] for r in lib.store.query(
        f"SELECT i.id FROM {source}{clause} ORDER BY {order} LIMIT ? OFFSET ?", [*args, limit, offset])]
    return SearchResult(lib.entries(ids), total)

