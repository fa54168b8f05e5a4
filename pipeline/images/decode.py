"""Bytes → a clean RGB picture: format sniffed, decompression bombs refused, orientation applied,
colour managed to sRGB, alpha flattened on white. Nothing of the source's metadata survives.

Also the one answer to "is this a whole image?" (`check_whole`), asked of every image a provider sends."""

from __future__ import annotations

import io
import logging
import struct
import warnings

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from ..config import Config
from ..errors import InputError

log = logging.getLogger(__name__)

FORMATS = "PNG, JPEG, WebP, GIF, BMP or AVIF"
GENERATED = ("PNG", "JPEG", "WEBP")      # what text-to-image providers answer
_ROTATED = {5, 6, 7, 8}                  # EXIF orientations that swap width and height


def sniff(data: bytes) -> str | None:
    """The image format named by the file's first bytes, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:2] == b"BM":
        return "BMP"
    if data[4:12] in (b"ftypavif", b"ftypavis"):
        return "AVIF"
    if data[4:8] == b"ftyp":
        return "HEIC"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    return None


def _what_it_is(data: bytes) -> str:
    head = data[:64].lstrip()
    if head[:1] in (b"{", b"["):
        return "JSON text (an error message from the server?)"
    if head[:1] == b"<":
        return "HTML/XML text (an error page?)"
    if not data:
        return "an empty file"
    return f"{len(data)} bytes starting {data[:8].hex(' ')}"


def open_image(data: bytes, cfg: Config, *, what: str, at_least: tuple[int, int] | None = None) -> Image.Image:
    """Decode `data` into an RGB image with its EXIF orientation applied.

    Raises InputError naming `what` for anything that is not a usable image, and for images over
    images.max_pixels (a decompression bomb). `at_least` lets a JPEG decode at a reduced scale
    that still covers that size (much faster for big photos)."""
    kind = sniff(data)
    if kind is None:
        raise InputError(f"not an image: expected {FORMATS}, got {_what_it_is(data)}", where=what)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data), formats=[kind])
            _check_size(image.size, cfg, what)
            if at_least and kind == "JPEG":
                turned = image.getexif().get(0x0112) in _ROTATED
                image.draft("RGB", at_least[::-1] if turned else at_least)
            image.load()
    except InputError:
        raise
    except Image.DecompressionBombError:
        raise InputError("image too large to decode safely (a decompression bomb?)", where=what) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as err:
        raise InputError(f"broken {kind} image: {err}", where=what) from None
    if image.getexif().get(0x0112, 1) != 1:
        image = ImageOps.exif_transpose(image)
    image = to_rgb(image)
    image.info = {}                      # EXIF, comments, XMP, profiles: none of it goes out again
    return image


def check_whole(data: bytes, max_pixels: int, *, what: str = "image") -> tuple[int, int]:
    """(width, height) if `data` is a whole PNG, JPEG or WEBP of at most max_pixels; else InputError.

    Whole means every pixel decodes from data that is all there. Pillow alone is not enough for JPEG:
    libjpeg decodes a file cut short and closed with an end-of-image marker "successfully", the rest
    grey, with only a warning that Pillow drops (JpegDecode.c ignores num_warnings). So a JPEG is decoded
    by libjpeg-turbo through simplejpeg in strict mode, where that warning ("premature end of data
    segment") is an error. PNGs are checked chunk by chunk (CRCs) and decoded; WEBPs decoded by libwebp,
    which refuses a short frame."""
    kind = sniff(data)
    if kind not in GENERATED:
        raise InputError(f"not an image (expected PNG, JPEG or WEBP): {_what_it_is(data)}" if kind is None
                         else f"a {kind} image; providers answer PNG, JPEG or WEBP", where=what)
    try:
        if kind == "JPEG":
            return _whole_jpeg(data, max_pixels, what)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as header:
                size = _within(header.size, max_pixels, what)
                if kind == "PNG":
                    header.verify()                 # every chunk there, every CRC right
            with Image.open(io.BytesIO(data), formats=[kind]) as pixels:
                pixels.load()                       # every row decodes
        return size
    except InputError:
        raise
    except Image.DecompressionBombError:
        raise InputError(f"declares more pixels than the {max_pixels:,}-pixel cap (images.max_pixels)",
                         where=what) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error) as err:
        raise InputError(f"{kind} image is truncated or damaged ({err})", where=what) from None


def _whole_jpeg(data: bytes, max_pixels: int, what: str) -> tuple[int, int]:
    import simplejpeg                            # (brings numpy: imported when a JPEG is checked, not before)

    height, width, colorspace, _ = simplejpeg.decode_jpeg_header(data)
    size = _within((width, height), max_pixels, what)
    target = {"Gray": "GRAY", "CMYK": "CMYK", "YCCK": "CMYK"}.get(colorspace, "RGB")
    simplejpeg.decode_jpeg(data, colorspace=target, strict=True)
    return size


def _within(size: tuple[int, int], max_pixels: int, what: str) -> tuple[int, int]:
    width, height = size
    if width < 1 or height < 1:
        raise InputError(f"image has no pixels ({width}×{height})", where=what)
    if width * height > max_pixels:
        raise InputError(f"image is {width}×{height}, over the {max_pixels:,}-pixel cap (images.max_pixels)",
                         where=what)
    return width, height


def _check_size(size: tuple[int, int], cfg: Config, what: str) -> None:
    w, h = size
    if w < 1 or h < 1:
        raise InputError(f"image has no pixels ({w}×{h})", where=what)
    if w * h > cfg.images.max_pixels:
        raise InputError(f"{w}×{h} is {w * h / 1e6:.0f} megapixels, over the {cfg.images.max_pixels / 1e6:.0f} MP "
                         f"limit (images.max_pixels); refused as a possible decompression bomb", where=what)


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB in sRGB: ICC profile applied, transparency over white, 16-bit and CMYK converted."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        image = _to_srgb(image, icc)
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    elif image.mode == "F":
        image = image.convert("L")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image if image.mode == "RGB" else image.convert("RGB")


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(src).lower().replace(" ", ""):
            return image
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, src, ImageCms.createProfile("sRGB"), outputMode=mode) or image
    except (ImageCms.PyCMSError, OSError, ValueError) as err:
        log.debug("colour profile ignored: %s", err)
        return image
