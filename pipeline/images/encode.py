"""JPEG within a byte limit: one encode when it fits (the usual case), else lower quality, then
smaller pixels, until it does."""

from __future__ import annotations

import io

from PIL import Image

from ..errors import InputError

MIN_QUALITY = 60
MIN_SIDE = 64


def jpeg(image: Image.Image, quality: int) -> bytes:
    """Baseline JPEG, no metadata; full-resolution colour (4:4:4) at high quality keeps type crisp."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, subsampling=0 if quality >= 80 else 2)
    return out.getvalue()


def fit_jpeg(image: Image.Image, quality: int, max_bytes: int, *, what: str) -> tuple[bytes, Image.Image]:
    """(JPEG bytes ≤ max_bytes, the image they encode — smaller than `image` if it had to shrink)."""
    q = quality
    while True:
        data = jpeg(image, q)
        if len(data) <= max_bytes:
            return data, image
        if q > MIN_QUALITY:
            q = max(MIN_QUALITY, q - 10)
            continue
        scale = max(0.5, min(0.92, (max_bytes / len(data)) ** 0.5 * 0.95))
        w, h = round(image.width * scale), round(image.height * scale)
        if min(w, h) < MIN_SIDE:
            raise InputError(f"cannot fit the image into {max_bytes} bytes as JPEG", where=what)
        image = image.resize((w, h), Image.Resampling.LANCZOS)
        q = min(quality, 80)
