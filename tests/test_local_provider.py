"""The embedded local provider: real JPEGs at the plan's size, deterministic, legible, on brand."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.models import ImagePlan
from pipeline.providers.local import LOOKS, PALETTES, choose_palette, compose, render_local
from pipeline.typography import luminance, text_contrast

STYLES = sorted(LOOKS)
# the default look runs in every test pass; the other looks are a slow (make test) pass
ALL_LOOKS = [s if s == "flat" else pytest.param(s, marks=pytest.mark.slow) for s in STYLES]


def plan_for(role: str = "cover", *, title: str = "ChatGPT 与 AI 芯片", style: str = "flat",
             template: str = "tech", size: tuple[int, int] | None = None, seed: int = 7,
             prompt: str = "a chip on a desk", **kw) -> ImagePlan:
    w, h = size or ((1344, 576) if role == "cover" else (1024, 576))
    key = {"cover": "cover", "inline": "inline-2", "marker": "marker-0"}[role]
    return ImagePlan(key=key, role=role, prompt=prompt, negative_prompt="", style=style, width=w, height=h,
                     seed=seed, template=template, template_version="t1", title=title,
                     keywords=["英伟达", "算力", "大模型"], **kw)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return image


@pytest.mark.parametrize("role, size", [("cover", (1344, 576)), ("cover", (900, 383)), ("cover", (800, 800)),
                                        ("inline", (1024, 576)), ("marker", (512, 1024)), ("inline", (320, 180))])
def test_png_of_exactly_the_planned_size(cfg: Config, role: str, size: tuple[int, int]):
    image = decode(render_local(plan_for(role, size=size), cfg))
    assert image.size == size and image.mode == "RGB"


def test_same_plan_gives_byte_identical_png(cfg: Config):
    plan = plan_for("cover", style="watercolor")     # grain texture included
    assert render_local(plan, cfg) == render_local(replace(plan), cfg)


def test_different_articles_and_types_look_different(cfg: Config):
    base = render_local(plan_for("cover"), cfg)
    assert render_local(plan_for("cover", prompt="another article"), cfg) != base
    assert render_local(plan_for("cover", seed=8), cfg) != base
    finance = decode(render_local(plan_for("inline", template="finance"), cfg))   # only the type differs
    travel = decode(render_local(plan_for("inline", template="travel"), cfg))
    assert ImageStat.Stat(finance).mean != ImageStat.Stat(travel).mean


def test_palette_follows_the_style_or_the_hint():
    assert choose_palette(plan_for(style="photo")) is PALETTES["dusk"]
    assert choose_palette(plan_for(style="minimal")) is PALETTES["mono"]
    assert choose_palette(plan_for(style="photo", palette_hint="forest")) is PALETTES["forest"]
    assert choose_palette(plan_for(style="flat", palette_hint="cool blue")) is PALETTES["ocean"]


def test_one_brand_per_style_dark_or_light_background(cfg: Config):
    for style, dark in (("photo", True), ("isometric", True), ("minimal", False), ("flat", False)):
        for prompt in ("one article", "another article"):
            image = decode(render_local(plan_for("cover", style=style, prompt=prompt), cfg))
            corner = image.crop((0, 0, 40, 40)).resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
            assert (luminance(corner) < 0.2) is dark, (style, corner)


@pytest.mark.parametrize("style", ALL_LOOKS)
def test_cover_title_is_legible_and_inside_the_square_crop(cfg: Config, style: str):
    for title in ("春", "ChatGPT 与 AI 芯片", "2024年中国新能源汽车出口增长30%的三个原因",
                  "为什么说今年是普通人学习人工智能的最好时机，这里有五个理由"):
        drawing = compose(plan_for("cover", style=style, title=title), cfg)
        w, h = drawing.image.size
        x0, y0, x1, y1 = drawing.title_mask.getbbox()
        side, margin = h, 0.04 * h
        left = (w - side) / 2
        assert left + margin <= x0 and x1 <= left + side - margin, (style, title)
        assert margin <= y0 and y1 <= h - margin
        assert text_contrast(drawing.image, drawing.title_mask, drawing.title_size) >= 4.5, (style, title)


@pytest.mark.parametrize("style", STYLES)
def test_inline_pictures_carry_no_caption(cfg: Config, style: str):
    """The heading is already above the picture in the article: the picture never repeats it."""
    drawing = compose(plan_for("inline", style=style, title="二、芯片为什么这么贵"), cfg)
    assert drawing.title_mask is None and drawing.title_size == 0


def test_a_marker_without_subjects_prints_neither_its_prompt_nor_its_alt(cfg: Config):
    drawing = compose(plan_for("marker", title="窗台上的猫", prompt="一只猫坐在窗台上，看着窗外的雨"), cfg)
    assert drawing.title_mask is None and drawing.depicts == [] and "no subjects" in drawing.reason


def test_characters_the_font_lacks_are_left_out_not_drawn_as_boxes(cfg: Config):
    with_emoji = render_local(plan_for("cover", title="AI🚀芯片 大战"), cfg)
    assert with_emoji == render_local(plan_for("cover", title="AI芯片 大战"), cfg)


def test_a_missing_configured_font_is_a_config_error(cfg: Config, tmp_path: Path):
    cfg.paths.font = tmp_path / "missing.otf"
    with pytest.raises(ConfigError, match="paths.font"):
        render_local(plan_for("cover"), cfg)
