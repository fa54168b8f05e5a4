"""`check_whole`: a provider's image is used only when every pixel decodes from data that is all there —
real files of each format, cut short, with and without the end marker a careless server appends."""

from __future__ import annotations

import io
import random
import struct

import pytest
from PIL import Image, ImageDraw

from pipeline.errors import InputError
from pipeline.images.decode import check_whole

IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def picture(mode: str = "RGB") -> Image.Image:
    rnd = random.Random(7)
    img = Image.new("RGB", (480, 320), (200, 120, 60))
    draw = ImageDraw.Draw(img)
    for _ in range(60):
        x, y, r = rnd.randrange(480), rnd.randrange(320), rnd.randrange(8, 40)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rnd.randrange(256) for _ in range(3)))
    return img.convert(mode)


def encoded(fmt: str, mode: str = "RGB", **options) -> bytes:
    out = io.BytesIO()
    picture(mode).save(out, fmt, **options)
    return out.getvalue()


FILES = {
    "baseline JPEG": lambda: encoded("JPEG", quality=90),
    "progressive JPEG": lambda: encoded("JPEG", quality=90, progressive=True),
    "greyscale JPEG": lambda: encoded("JPEG", "L"),
    "CMYK JPEG": lambda: encoded("JPEG", "CMYK"),
    "PNG": lambda: encoded("PNG"),
    "RGBA PNG": lambda: encoded("PNG", "RGBA"),
    "lossy WEBP": lambda: encoded("WEBP", quality=85),
    "lossless WEBP": lambda: encoded("WEBP", lossless=True),
}


def closed(data: bytes) -> bytes:
    """A cut file closed again as its format ends: FF D9, an IEND chunk, or a RIFF size that fits."""
    if data.startswith(b"\xff\xd8"):
        return data + b"\xff\xd9"
    if data.startswith(b"\x89PNG"):
        return data + IEND
    return data[:4] + struct.pack("<I", len(data) - 8) + data[8:]


@pytest.mark.parametrize("kind", FILES)
def test_a_whole_image_passes_with_its_size(kind):
    assert check_whole(FILES[kind](), 40_000_000) == (480, 320)


@pytest.mark.parametrize("cut", [0.25, 0.5, 0.9, 0.99])
@pytest.mark.parametrize("end", ["as cut", "closed again"])
@pytest.mark.parametrize("kind", FILES)
def test_a_cut_image_is_refused_whatever_its_last_bytes(kind, end, cut):
    data = FILES[kind]()
    short = data[: int(len(data) * cut)]
    if end == "closed again":
        short = closed(short)
    with pytest.raises(InputError, match="truncated or damaged"):
        check_whole(short, 40_000_000)


def test_pillow_alone_accepts_the_cut_jpeg_that_check_whole_refuses():
    """Why JPEGs go through libjpeg-turbo's strict mode: Pillow decodes this "successfully"."""
    data = FILES["baseline JPEG"]()
    short = data[: len(data) // 2] + b"\xff\xd9"
    with Image.open(io.BytesIO(short)) as img:
        img.load()
        assert img.getpixel((240, 310)) == (128, 128, 128)       # the grey bottom
    with pytest.raises(InputError, match="premature end of data segment"):
        check_whole(short, 40_000_000)


@pytest.mark.parametrize("data, words", [
    (b"<html><body>403 Forbidden</body></html>", "not an image"),
    (b'{"error": "quota"}', "not an image"),
    (b"", "not an image"),
    (encoded("GIF"), "a GIF image"),
])
def test_what_is_not_a_provider_image_is_named(data, words):
    with pytest.raises(InputError, match=words):
        check_whole(data, 40_000_000)


@pytest.mark.parametrize("kind", ["baseline JPEG", "PNG", "lossy WEBP"])
def test_the_pixel_cap_holds_before_decoding(kind):
    with pytest.raises(InputError, match="over the 100,000-pixel cap"):
        check_whole(FILES[kind](), 100_000)
