"""JPEG within a byte limit: one encode when it fits (the usual case), else lower quality, then
smaller pixels, until it does."""

from __future__ import annotations

import io

from PIL import Image

from ..errors import InputError

MIN_QUALITY = 60
MIN_SIDE = 64


def jpeg(image: Image.Image, quality: int, sharp: bool = False) -> bytes:
    """Baseline JPEG, no metadata. `sharp` keeps full-resolution colour (4:4:4) while the quality
    is high: coloured type on covers stays crisp; other pictures take the usual 4:2:0."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, subsampling=0 if sharp and quality >= 80 else 2)
    return out.getvalue()


def fit_jpeg(image: Image.Image, quality: int, max_bytes: int, *, what: str,
             sharp: bool = False) -> tuple[bytes, Image.Image]:
    """(JPEG bytes ≤ max_bytes, the image they encode — smaller than `image` if it had to shrink)."""
    q = quality
    while True:
        data = jpeg(image, q, sharp)
        if len(data) <= max_bytes:
            return data, image
        if q > MIN_QUALITY:
            q = max(MIN_QUALITY, q - 10)
            continue
        scale = max(0.5, min(0.92, (max_bytes / len(data)) ** 0.5 * 0.95))
        w, h = round(image.width * scale), round(image.height * scale)
        if min(w, h) < MIN_SIDE:
            raise InputError(f"cannot fit the image into {max_bytes} bytes as JPEG", where=what)
        image = image.resize((w, h), Image.Resampling.BICUBIC)
        q = min(quality, 80)
