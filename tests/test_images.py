"""Images stage: decoding safely, crops for both cover shapes, WeChat's limits, titles we set."""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from pipeline.config import Config
from pipeline.errors import InputError
from pipeline.images import cover_set, open_image, renditions_for
from pipeline.models import GeneratedImage, ImagePlan
from pipeline.providers.local import compose, render_local
from pipeline.typography import text_contrast

TITLE = "深度解读：美联储降息对A股的影响"


def encode(image: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kw)
    return out.getvalue()


def plan_for(role: str = "cover", size: tuple[int, int] = (1344, 576), **kw) -> ImagePlan:
    key = {"cover": "cover", "inline": "inline-1", "marker": "marker-0"}[role]
    return ImagePlan(key=key, role=role, prompt="p", negative_prompt="", style="photo", width=size[0],
                     height=size[1], seed=1, template="finance", template_version="t", title=kw.pop("title", TITLE), **kw)


def generated(data: bytes, provider: str = "fal") -> GeneratedImage:
    return GeneratedImage(data=data, provider=provider, model="m", seed=1, elapsed_s=0.0)


def backgrounds(w: int, h: int) -> dict[str, Image.Image]:
    rnd = random.Random(3)
    light = Image.linear_gradient("L").resize((w, h)).point(lambda v: 215 + v // 6).convert("RGB")
    dark = Image.linear_gradient("L").resize((w, h)).point(lambda v: v // 6).convert("RGB")
    noise = Image.frombytes("RGB", (w, h), rnd.randbytes(w * h * 3))
    checker = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(checker)
    for x in range(0, w, 20):
        for y in range(0, h, 20):
            if (x // 20 + y // 20) % 2:
                draw.rectangle((x, y, x + 19, y + 19), fill="black")
    return {"light": light, "dark": dark, "noise": noise, "checker": checker}


def png_header_only(w: int, h: int) -> bytes:
    """A PNG that claims w×h but holds almost nothing: what a decompression bomb looks like."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


# --- decoding ----------------------------------------------------------------------------------

@pytest.mark.parametrize("data, words", [(b"", "empty"), (b"hello world", "not an image"),
                                         (b'{"error": "quota"}', "JSON"), (b"<html>502</html>", "HTML")])
def test_non_images_are_refused_naming_what(cfg: Config, data: bytes, words: str):
    with pytest.raises(InputError) as err:
        open_image(data, cfg, what="cover image from fal")
    assert "cover image from fal" in str(err.value) and words in str(err.value)


def test_truncated_image_is_refused(cfg: Config):
    data = encode(Image.new("RGB", (300, 200), "red"), "JPEG")
    with pytest.raises(InputError, match="broken JPEG"):
        open_image(data[: len(data) // 2], cfg, what="x")


def test_decompression_bombs_are_refused_before_decoding(cfg: Config):
    with pytest.raises(InputError, match="max_pixels"):
        open_image(png_header_only(8000, 8000), cfg, what="inline-1 image")     # 64 MP > 40 MP
    with pytest.raises(InputError, match="decompression bomb"):
        open_image(png_header_only(30000, 30000), cfg, what="inline-1 image")   # Pillow's own limit
    cfg.images.max_pixels = 10_000
    with pytest.raises(InputError, match="decompression bomb"):
        open_image(encode(Image.new("RGB", (200, 200))), cfg, what="inline-1 image")


def test_exif_orientation_is_applied(cfg: Config):
    image = Image.new("RGB", (200, 100), "white")
    image.paste((255, 0, 0), (0, 0, 100, 100))            # left half red
    exif = Image.Exif()
    exif[0x0112] = 6                                      # rotate 90° clockwise to display
    opened = open_image(encode(image, "JPEG", exif=exif.tobytes()), cfg, what="x")
    assert opened.size == (100, 200)
    assert opened.getpixel((50, 20))[0] > 200 and opened.getpixel((50, 20))[1] < 60   # red now on top


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "L", "CMYK", "I;16", "1"])
def test_every_mode_becomes_rgb_with_alpha_on_white(cfg: Config, mode: str):
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    image.paste((200, 30, 30, 255), (0, 0, 32, 64))
    if mode == "P":
        image = image.convert("P")
        image.info["transparency"] = image.getpixel((50, 50))
        data = encode(image, "PNG", transparency=image.getpixel((50, 50)))
    elif mode == "CMYK":
        data = encode(image.convert("RGB").convert("CMYK"), "JPEG")
    elif mode == "I;16":
        data = encode(image.convert("L").convert("I;16"), "PNG")
    else:
        data = encode(image if mode == "RGBA" else image.convert(mode), "PNG")
    opened = open_image(data, cfg, what="x")
    assert opened.mode == "RGB" and opened.size == (64, 64)
    if mode in ("RGBA", "LA", "P"):
        assert opened.getpixel((50, 50)) == (255, 255, 255)   # transparent → white, not black


# --- renditions --------------------------------------------------------------------------------

def test_cover_renditions_sizes_names_roles(cfg: Config):
    out = renditions_for(plan_for(), generated(encode(backgrounds(1344, 576)["noise"])), cfg)
    assert [(r.name, r.role, r.width, r.height, r.format, r.key) for r in out] == [
        ("cover.jpg", "cover", 900, 383, "JPEG", "cover"), ("cover_1x1.jpg", "cover_1x1", 383, 383, "JPEG", "cover")]
    for r in out:
        with Image.open(io.BytesIO(r.data)) as image:
            assert image.format == "JPEG" and image.size == (r.width, r.height) and image.mode == "RGB"
        assert len(r.data) <= cfg.images.cover_max_bytes


def test_metadata_is_stripped(cfg: Config):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"                           # Make
    exif[0x0131] = "EditorApp 1.0"                       # Software
    data = encode(backgrounds(1600, 900)["light"], "JPEG", exif=exif.tobytes(), comment=b"private note")
    for plan in (plan_for("cover"), plan_for("inline")):
        for r in renditions_for(plan, generated(data), cfg):
            with Image.open(io.BytesIO(r.data)) as image:
                assert not image.getexif() and "icc_profile" not in image.info and "comment" not in image.info
            assert b"SecretCam" not in r.data and b"private note" not in r.data


@pytest.mark.parametrize("size, expected", [((2048, 1152), (1080, 608)), ((800, 600), (800, 600)),
                                            ((1080, 4000), (1080, 4000))])
def test_inline_at_most_1080_wide_aspect_kept(cfg: Config, size, expected):
    data = encode(Image.new("RGB", size, (90, 140, 200)), "JPEG")
    [r] = renditions_for(plan_for("inline"), generated(data), cfg)
    assert (r.name, r.role, r.key, (r.width, r.height)) == ("inline-1.jpg", "inline", "inline-1", expected)
    [m] = renditions_for(plan_for("marker"), generated(data), cfg)
    assert (m.name, m.role) == ("marker-0.jpg", "marker")


def test_inline_is_squeezed_under_the_byte_limit(cfg: Config):
    grain = Image.frombytes("RGB", (1080, 1080), random.Random(3).randbytes(1080 * 1080 * 3)).point(lambda v: v // 4)
    data = encode(ImageChops.add(Image.linear_gradient("L").resize((1080, 1080)).convert("RGB"), grain))
    cfg.images.inline_max_bytes = 300_000                # ~900 kB at quality 88
    [r] = renditions_for(plan_for("inline"), generated(data), cfg)
    assert len(r.data) <= 300_000 and r.width == 1080    # quality stepped down, size kept
    cfg.images.inline_max_bytes = 40_000
    [r] = renditions_for(plan_for("inline"), generated(data), cfg)
    assert len(r.data) <= 40_000 and r.width < 1080      # then the pixels shrink
    with Image.open(io.BytesIO(r.data)) as image:
        assert image.size == (r.width, r.height)
        assert abs(r.width / r.height - 1.0) < 0.01


def test_smart_crop_keeps_the_subject_off_centre(cfg: Config):
    image = Image.new("RGB", (2400, 600), (230, 230, 225))
    ImageDraw.Draw(image).ellipse((2000, 150, 2300, 450), fill=(220, 30, 30))   # subject at the far right
    cfg.images.title_on_cover = False
    cover, share = renditions_for(plan_for(), generated(encode(image)), cfg)

    def red_pixels(data: bytes) -> int:
        with Image.open(io.BytesIO(data)) as im:
            small = im.convert("RGB").resize((90, 38 if im.width > im.height else 90)).tobytes()
        return sum(1 for i in range(0, len(small), 3) if small[i] > 180 and small[i + 1] < 90)

    assert red_pixels(cover.data) > 20 and red_pixels(share.data) > 60   # a centre crop would show none


def test_local_cover_crops_keep_the_designed_title(cfg: Config):
    plan = plan_for(title="ChatGPT 与 AI 芯片：谁在赢？")
    drawing = compose(plan, cfg)
    covers = cover_set(plan, generated(render_local(plan, cfg), provider="local"), cfg)
    assert covers.title is None                          # the local provider set it already
    # the cover is the whole composition; the share square is its centre, where the title is
    w, h = drawing.image.size
    x0, _y0, x1, _y1 = drawing.title_mask.getbbox()
    assert (w - h) / 2 <= x0 and x1 <= (w + h) / 2
    left = (900 - 383) // 2                              # the share is the cover's centre, ±2 px
    assert min(_mean_diff(covers.cover.crop((left + dx, dy, left + dx + 383, dy + 383)), covers.share)
               for dx in range(-2, 3) for dy in range(3)) < 1


def _mean_diff(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


# --- titles on hosted covers -------------------------------------------------------------------

@pytest.mark.parametrize("size", [(1344, 576), (1024, 1024), (768, 1344)])
@pytest.mark.parametrize("name", ["light", "dark", "noise", "checker"])
def test_title_reaches_4_5_to_1_on_the_final_jpeg_and_sits_inside_both_crops(cfg: Config, size, name):
    data = encode(backgrounds(*size)[name])
    plan = plan_for(size=size)
    covers = cover_set(plan, generated(data), cfg)
    cover, share = renditions_for(plan, generated(data), cfg)
    for mark, rendition in ((covers.title, cover), (covers.share_title, share)):
        assert mark is not None
        w, h = rendition.width, rendition.height
        x0, y0, x1, y1 = mark.mask.getbbox()
        assert 0.04 * w <= x0 and x1 <= 0.96 * w and 0.04 * h <= y0 and y1 <= 0.96 * h, (name, mark.box)
        with Image.open(io.BytesIO(rendition.data)) as final:
            measured = text_contrast(final.convert("RGB"), mark.mask, mark.size)
        assert measured >= 4.5, (name, size, rendition.name, measured, mark.scrim)
    assert covers.share_title.size >= 14                 # still readable in the 1:1 crop


def test_busy_backgrounds_get_a_scrim_calm_ones_do_not(cfg: Config):
    calm = cover_set(plan_for(), generated(encode(backgrounds(1344, 576)["dark"])), cfg).title
    busy = cover_set(plan_for(), generated(encode(backgrounds(1344, 576)["checker"])), cfg).title
    assert calm.scrim == 0 and calm.colour == (255, 255, 255)
    assert busy.scrim > 0


def test_title_goes_where_the_picture_is_calm(cfg: Config):
    image = backgrounds(1344, 576)["noise"]
    image.paste((40, 60, 90), (0, 0, 1344, 370))          # calm sky on top, busy below
    covers = cover_set(plan_for(), generated(encode(image)), cfg)
    assert covers.title.box[1] < 383 * 0.1 and covers.title.box[3] < 370 * 383 / 572
    assert covers.title.scrim == 0                       # on calm sky it needs none


@pytest.mark.parametrize("change", ["config", "plan", "local", "no title"])
def test_title_overlay_can_be_turned_off(cfg: Config, change: str):
    plan, provider = plan_for(), "fal"
    if change == "config":
        cfg.images.title_on_cover = False
    elif change == "plan":
        plan.title_overlay = False
    elif change == "local":
        provider = "local"
    else:
        plan.title = "  "
    covers = cover_set(plan, generated(encode(backgrounds(1344, 576)["dark"]), provider), cfg)
    assert covers.title is None and covers.share_title is None
    assert covers.cover.getextrema()[0][1] < 60           # nothing white drawn on the dark picture
