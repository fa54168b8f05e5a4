"""Export library records as CSV (opens cleanly in Excel/WPS) or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from zoneinfo import ZoneInfo

from .store import Entry

COLUMNS = ["id", "created_at", "article_slug", "article_title", "article_type", "role", "plan_key", "tags",
           "prompt", "negative_prompt", "style", "template", "template_version", "provider", "model", "seed",
           "width", "height", "sha256", "file", "media_id", "wechat_url", "used_by", "origin"]


def _when(ts: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, zone).isoformat(timespec="seconds")


def as_dict(entry: Entry, tz: str = "Asia/Shanghai") -> dict:
    """Everything about one image, JSON-ready (times in the account's time zone)."""
    zone = ZoneInfo(tz)
    data = asdict(entry)
    data["file"] = str(entry.file)
    data["created_at"] = _when(entry.created_at, zone)
    for group, key in (("uses", "used_at"), ("uploads", "uploaded_at")):
        for item in data[group]:
            item[key] = _when(item[key], zone)
    data["media_id"] = entry.media_id
    data["wechat_url"] = entry.wechat_url
    return data


def to_json(entries: Iterable[Entry], tz: str = "Asia/Shanghai") -> str:
    return json.dumps([as_dict(e, tz) for e in entries], ensure_ascii=False, indent=2)


def to_csv(entries: Iterable[Entry], tz: str = "Asia/Shanghai") -> str:
    """One row per image; tags and using articles joined with '; '. Starts with a BOM for Excel."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for e in entries:
        row = as_dict(e, tz)
        row["tags"] = "; ".join(e.tags)
        row["used_by"] = "; ".join(dict.fromkeys(u.article_slug for u in e.uses))
        writer.writerow(row)
    return "\ufeff" + buf.getvalue()
