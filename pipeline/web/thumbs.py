"""Thumbnails for the library page, made once per image and width and kept in the cache folder."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps

from ..fsutil import atomic_write

WIDTHS = (240, 480)


def thumbnail(source: Path, sha256: str, cache_dir: Path, width: int = 240) -> Path:
    """A JPEG at most `width` wide (one of WIDTHS) of the image at `source`."""
    width = min(WIDTHS, key=lambda w: abs(w - width))
    path = cache_dir / "thumbs" / f"{sha256}-{width}.jpg"
    if path.exists():
        return path
    with Image.open(source) as opened:
        im = ImageOps.exif_transpose(opened)
        im.thumbnail((width, width * 4))
        if im.mode not in ("RGB", "L"):
            im = im.convert("RGBA")
            flat = Image.new("RGB", im.size, (255, 255, 255))
            flat.paste(im, mask=im.getchannel("A"))
            im = flat
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=82, optimize=True)
    atomic_write(path, buf.getvalue(), private=True)
    return path
