"""Images into WeChat, each exactly once: the cover as permanent material, body images via uploadimg.

Every upload is recorded by content hash in the state file (`wechat_uploads`): a row is written as
'sending' before the call and turned 'done' with the media_id/URL in one statement after it. A rerun
reuses 'done' rows; a 'sending' cover (the process died mid-call) is looked up in the material list
by its name before uploading again, so a crash never leaves two copies of one cover.
"""

from __future__ import annotations

import hashlib
import io
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ...errors import InputError, WeChatError
from ...images.decode import sniff
from ...models import Rendition
from ...state import schema

log = logging.getLogger(__name__)

INLINE_MAX_BYTES = 1_000_000          # media/uploadimg: jpg/png under 1 MB (exclusive)
MATERIAL_MAX_BYTES = 10_000_000       # add_material type=image: at most 10 MB (inclusive)
INLINE_FORMATS = ("JPEG", "PNG")
MATERIAL_FORMATS = ("JPEG", "PNG", "GIF", "BMP")
_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "BMP": "image/bmp"}
_EXT = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "BMP": ".bmp"}

_DDL = """
CREATE TABLE IF NOT EXISTS wechat_uploads (
    scope TEXT NOT NULL,          -- base URL and AppID: one account on one server
    kind TEXT NOT NULL,           -- 'material' (permanent image) | 'uploadimg' (body image)
    sha TEXT NOT NULL,            -- sha256 of the bytes sent
    name TEXT NOT NULL,           -- file name sent (materials are found by it after a crash)
    status TEXT NOT NULL,         -- 'sending' | 'done'
    media_id TEXT,
    url TEXT,
    updated REAL NOT NULL,
    PRIMARY KEY (scope, kind, sha)
);
CREATE INDEX IF NOT EXISTS wechat_uploads_media ON wechat_uploads (scope, media_id);
"""


def image_filename(data: bytes, name: str = "") -> str:
    """`name` with the extension that matches the bytes (WeChat answers 40113 to a missing or wrong one)."""
    ext = _EXT.get(sniff(data) or "")
    stem = Path(name).stem or "image"
    return stem + ext if ext else name or "image"


def _checked(data: bytes, name: str, formats: tuple[str, ...], limit: int, what: str, *,
             under: bool) -> tuple[str, bytes, str]:
    """The (filename, bytes, mime) part to send, after WeChat's format and size rules for `what`."""
    fmt = sniff(data)
    if fmt not in formats:
        raise InputError(f"{what} must be {'/'.join(formats)}, got {fmt or 'something that is not an image'}",
                         where=name)
    if len(data) >= limit if under else len(data) > limit:
        raise InputError(f"{what} is {len(data):,} bytes; WeChat takes {'under' if under else 'at most'} "
                         f"{limit:,}", where=name, hint="lower images.jpeg_quality or the image size")
    return image_filename(data, name), data, _MIME[fmt]


@dataclass
class Cover:
    """The image uploaded as the cover and the crops WeChat takes from it."""

    data: bytes
    width: int
    height: int
    crop_235_1: str
    crop_1_1: str


def crop(width: int, height: int, box: tuple[int, int, int, int]) -> str:
    """A pixel box as WeChat's normalised "X1_Y1_X2_Y2" (≤ 6 decimals)."""
    x1, y1, x2, y2 = box

    def f(v: float) -> str:
        return f"{v:.6f}".rstrip("0").rstrip(".") or "0"

    return "_".join((f(x1 / width), f(y1 / height), f(x2 / width), f(y2 / height)))


def centred(width: int, height: int, ratio: float) -> tuple[int, int, int, int]:
    """The largest box of `ratio` (w/h) centred in width×height."""
    cw = min(width, round(height * ratio))
    ch = min(height, round(cw / ratio))
    x, y = (width - cw) // 2, (height - ch) // 2
    return x, y, x + cw, y + ch


def cover_from(renditions: list[Rendition], jpeg_quality: int = 88) -> Cover | None:
    """One image for both crops: the 2.35:1 cover with the designed 1:1 share image beside it
    (e.g. 900×383 + 383×383 = 1283×383), or the cover alone with a centred 1:1 crop."""
    wide = next((r for r in renditions if r.role == "cover"), None)
    if wide is None:
        return None
    square = next((r for r in renditions if r.role == "cover_1x1"), None)
    if square is None:
        return Cover(wide.data, wide.width, wide.height, crop(wide.width, wide.height, (0, 0, wide.width, wide.height)),
                     crop(wide.width, wide.height, centred(wide.width, wide.height, 1.0)))
    with Image.open(io.BytesIO(wide.data)) as a, Image.open(io.BytesIO(square.data)) as b:
        w, h = a.size
        share = b.convert("RGB").resize((h, h), Image.Resampling.LANCZOS)
        sheet = Image.new("RGB", (w + h, h), "white")
        sheet.paste(a.convert("RGB"), (0, 0))
        sheet.paste(share, (w, 0))
    out = io.BytesIO()
    sheet.save(out, "JPEG", quality=jpeg_quality, optimize=True)
    return Cover(out.getvalue(), w + h, h, crop(w + h, h, (0, 0, w, h)), crop(w + h, h, (w, 0, w + h, h)))


class Uploader:
    """Uploads for one account, each recorded by content hash so nothing goes up twice."""

    def __init__(self, client, conn: sqlite3.Connection):
        self.client = client
        self.conn = conn
        self.scope = f"{client.base_url}|{client.appid}"
        schema(conn, _DDL)

    def _row(self, kind: str, sha: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM wechat_uploads WHERE scope=? AND kind=? AND sha=?",
                                 (self.scope, kind, sha)).fetchone()

    def _mark(self, kind: str, sha: str, name: str, status: str, media_id: str | None = None,
              url: str | None = None) -> None:
        self.conn.execute("REPLACE INTO wechat_uploads VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                          (self.scope, kind, sha, name, status, media_id, url, time.time()))

    def cover(self, data: bytes, name: str = "cover.jpg") -> tuple[str, str]:
        """Upload a permanent image (for thumb_media_id) → (media_id, url)."""
        sha = hashlib.sha256(data).hexdigest()
        name = image_filename(data, f"peitu-{sha[:16]}")
        row = self._row("material", sha)
        if row and row["status"] == "done":
            return row["media_id"], row["url"] or ""
        if row:                                   # a crash mid-upload: did WeChat get it?
            found = self.find_material(row["name"])
            if found:
                log.info("cover %s was uploaded before a crash; reusing %s", row["name"], found[0])
                self._mark("material", sha, row["name"], "done", *found)
                return found
        part = _checked(data, name, MATERIAL_FORMATS, MATERIAL_MAX_BYTES, "cover", under=False)
        self._mark("material", sha, name, "sending")
        result = self.client.material.add("image", part)
        media_id = result.get("media_id") if isinstance(result, dict) else None
        if not media_id:
            raise WeChatError("add_material answered without a media_id", where="WeChat material/add_material")
        self._mark("material", sha, name, "done", media_id, result.get("url", ""))
        return media_id, result.get("url", "")

    def inline(self, data: bytes, name: str = "image.jpg") -> str:
        """Upload a body image through media/uploadimg → its mmbiz URL for <img src>."""
        sha = hashlib.sha256(data).hexdigest()
        row = self._row("uploadimg", sha)
        if row and row["status"] == "done":
            return row["url"]
        part = _checked(data, name, INLINE_FORMATS, INLINE_MAX_BYTES, "inline image", under=True)
        self._mark("uploadimg", sha, part[0], "sending")
        url = self.client.media.upload_image(part)
        self._mark("uploadimg", sha, part[0], "done", None, url)
        return url

    def forget(self, media_id: str) -> None:
        """Drop a material WeChat no longer knows (40007), so the next run uploads it again."""
        self.conn.execute("DELETE FROM wechat_uploads WHERE scope=? AND media_id=?", (self.scope, media_id))

    def find_material(self, name: str) -> tuple[str, str] | None:
        """A permanent image called `name` among the newest and oldest 20 (a recent upload is at
        one end, whichever order the server lists in) → (media_id, url)."""
        first = self.client.material.batchget("image", 0, 20)
        pages = [first]
        total = int(first.get("total_count", 0))
        if total > 20:
            pages.append(self.client.material.batchget("image", total - 20, 20))
        for page in pages:
            for item in page.get("item", []):
                if item.get("name") == name:
                    return item["media_id"], item.get("url", "")
        return None
