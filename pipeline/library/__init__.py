"""The asset library: a searchable record of every image, and reuse of matching ones.

What other stages call:
  record_illustration(cfg, article, plans, images, renditions, out_dir)  after an output folder is written
  find_reusable(plan, article, cfg)                                       before generating a plan's image
  record_upload(cfg, data, media_id, url, account=…)                      after a WeChat upload
"""

from __future__ import annotations

from ..config import Config
from .reuse import find_reusable
from .search import SearchResult, parse_since, search
from .store import Entry, Library, record_illustration, sha256_of

__all__ = ["Entry", "Library", "SearchResult", "find_reusable", "parse_since", "record_illustration",
           "record_upload", "search"]


def record_upload(cfg: Config, data: bytes, media_id: str, url: str = "", *, account: str = "default") -> int | None:
    """Remember that these bytes (a rendition or an original) were uploaded to WeChat as `media_id`
    (and `url` for inline images). Returns the library id, or None when the library does not know them."""
    with Library.open(cfg) as lib:
        return lib.record_upload(sha256_of(data), media_id, url, account=account)
