"""Images into WeChat, each exactly once: the cover as permanent material, body images via uploadimg.

Every upload goes through a ledger in the state store (`wechat_uploads`, keyed by account and content
hash): its intent is recorded ('sending') before the call and its result ('done', media_id/URL) in one
statement right after it. A rerun reuses 'done' rows. A cover whose result is missing (the process died
mid-call, or the answer was lost) is looked up by its name through the whole material list before it is
sent again, so a crash never leaves two copies of one cover. A body image cannot be looked up (see
`Uploader.inline`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from ...errors import InputError, WeChatError
from ...images.decode import sniff
from ...models import Rendition
from ...store import Row, Store

log = logging.getLogger(__name__)

INLINE_MAX_BYTES = 1_000_000          # media/uploadimg: jpg/png under 1 MB (exclusive)
MATERIAL_MAX_BYTES = 10_000_000       # add_material type=image: at most 10 MB (inclusive)
INLINE_FORMATS = ("JPEG", "PNG")
MATERIAL_FORMATS = ("JPEG", "PNG", "GIF", "BMP")
_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "BMP": "image/bmp"}
_EXT = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "BMP": ".bmp"}

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


PAGE = 20                             # material/batchget_material: at most 20 a page
UNCLEAR = (None, -1)                  # errcodes after which WeChat may or may not have done the call


class Uploader:
    """Uploads for one account, each recorded by content hash so nothing goes up twice."""

    def __init__(self, client: Any, store: Store):
        self.client = client
        self.store = store
        self.scope = client.scope

    def _row(self, kind: str, sha: str) -> Row | None:
        rows = self.store.query("SELECT * FROM wechat_uploads WHERE scope = ? AND kind = ? AND sha = ?",
                                (self.scope, kind, sha))
        return rows[0] if rows else None

    def _mark(self, kind: str, sha: str, name: str, status: str, media_id: str | None = None,
              url: str | None = None) -> None:
        self.store.execute(
            "INSERT INTO wechat_uploads (scope, kind, sha, name, status, media_id, url, updated) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, kind, sha) DO UPDATE SET name = excluded.name, "
            "status = excluded.status, media_id = excluded.media_id, url = excluded.url, updated = excluded.updated",
            (self.scope, kind, sha, name, status, media_id, url, time.time()))

    def _drop(self, kind: str, sha: str) -> None:
        self.store.execute("DELETE FROM wechat_uploads WHERE scope = ? AND kind = ? AND sha = ? AND status = 'sending'",
                           (self.scope, kind, sha))

    def cover(self, data: bytes, name: str = "cover.jpg") -> tuple[str, str]:
        """Upload a permanent image (for thumb_media_id) → (media_id, url)."""
        sha = hashlib.sha256(data).hexdigest()
        name = image_filename(data, f"peitu-{sha[:16]}")
        row = self._row("material", sha)
        if row and row["status"] == "done":
            return row["media_id"], row["url"] or ""
        if row and (found := self._reconcile(sha, row["name"])):
            return found
        part = _checked(data, name, MATERIAL_FORMATS, MATERIAL_MAX_BYTES, "cover", under=False)
        self._mark("material", sha, name, "sending")
        try:
            result = self.client.material.add("image", part)
        except WeChatError as err:
            if err.errcode not in UNCLEAR:
                self._drop("material", sha)               # refused: nothing to look for next time
            elif found := self._reconcile(sha, name):     # it may have landed: look before anything else
                return found
            raise
        media_id = result.get("media_id") if isinstance(result, dict) else None
        if not media_id:
            raise WeChatError("add_material answered without a media_id", where="WeChat material/add_material")
        self._mark("material", sha, name, "done", media_id, result.get("url", ""))
        return media_id, result.get("url", "")

    def _reconcile(self, sha: str, name: str) -> tuple[str, str] | None:
        """A cover whose upload has no recorded result: find it by name, and record it if WeChat has it."""
        found = self.find_material(name)
        if found:
            log.info("cover %s was uploaded before (its answer was lost); reusing %s", name, found[0])
            self._mark("material", sha, name, "done", *found)
        return found

    def inline(self, data: bytes, name: str = "image.jpg") -> str:
        """Upload a body image through media/uploadimg → its mmbiz URL for <img src>.

        uploadimg returns only a URL and WeChat offers no way to list or look up the images it took, so
        an upload whose intent is recorded but whose result is not (the process was killed during the
        call) cannot be reconciled: that one image is uploaded again on the next run. The window is kept
        to the call itself: the intent is written just before it, the URL in one statement just after."""
        sha = hashlib.sha256(data).hexdigest()
        row = self._row("uploadimg", sha)
        if row and row["status"] == "done":
            return row["url"]
        if row:
            log.info("body image %s: the last upload was cut off before its answer; uploading it again", row["name"])
        part = _checked(data, name, INLINE_FORMATS, INLINE_MAX_BYTES, "inline image", under=True)
        self._mark("uploadimg", sha, part[0], "sending")
        try:
            url = self.client.media.upload_image(part)
        except WeChatError as err:
            if err.errcode not in UNCLEAR:
                self._drop("uploadimg", sha)             # refused: WeChat has nothing of it
            raise
        self._mark("uploadimg", sha, part[0], "done", None, url)
        return url

    def forget(self, media_id: str) -> None:
        """Drop a material WeChat no longer knows (40007), so the next run uploads it again."""
        self.store.execute("DELETE FROM wechat_uploads WHERE scope = ? AND media_id = ?", (self.scope, media_id))

    def find_material(self, name: str) -> tuple[str, str] | None:
        """The permanent image called `name` → (media_id, url): the whole material list, a page of 20 at
        a time, until it is found (an editor may have uploaded any number of images since)."""
        offset = 0
        while True:
            page = self.client.material.batchget("image", offset, PAGE)
            items = page.get("item", [])
            for item in items:
                if item.get("name") == name:
                    return item["media_id"], item.get("url", "")
            offset += len(items)
            if not items or offset >= int(page.get("total_count", 0)):
                return None
