"""A brand per account: validated in config with errors naming the key, applied to local covers and
to titles set on hosted covers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw

from pipeline.config import Brand, Config, load_config
from pipeline.errors import ConfigError
from pipeline.images.cover import cover_set
from pipeline.models import GeneratedImage, ImagePlan
from pipeline.providers.local import compose

from .conftest import require_art, write_config

MAGENTA = (255, 0, 255)


def cover_plan(account: str = "", style: str = "flat", title: str = "一碗好面的讲究") -> ImagePlan:
    return ImagePlan(key="cover", role="cover", prompt="noodles", negative_prompt="", style=style, width=1344,
                     height=576, seed=5, template="food", template_version="t1", title=title,
                     subjects=["面条", "筷子"], account=account)


def load(tmp_path: Path, **sections: dict) -> Config:
    return load_config(write_config(tmp_path, **sections))


# --- config -----------------------------------------------------------------------------------

@pytest.mark.parametrize("brand, key", [
    ({"palette": ["#FFFFFF", "#GG0000", "#123456"]}, "wechat.accounts.food.brand.palette"),
    ({"palette": ["#FFFFFF"]}, "wechat.accounts.food.brand.palette"),
    ({"text": "red"}, "wechat.accounts.food.brand.text"),
    ({"title_placement": "left"}, "wechat.accounts.food.brand.title_placement"),
    ({"logo": "no/such/logo.png"}, "wechat.accounts.food.brand.logo"),
    ({"font": "no/such/font.otf"}, "wechat.accounts.food.brand.font"),
    ({"slogan": "x"}, "wechat.accounts.food.brand.slogan"),
])
def test_a_bad_brand_is_an_error_naming_its_key(tmp_path: Path, brand: dict, key: str):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, wechat={"accounts": {"food": {"brand": brand}}})
    assert key in str(err.value)


def test_an_account_brand_falls_back_field_by_field_to_the_top_level_one(tmp_path: Path):
    cfg = load(tmp_path, brand={"name": "编辑部", "palette": ["#FFFFFF", "#EEEEEE", "#D9480F"]},
               wechat={"accounts": {"food": {"brand": {"name": "吃在广州", "title_placement": "top"}}}})
    food = cfg.brand_for("food")
    assert (food.name, food.title_placement, food.palette) == ("吃在广州", "top", ["#FFFFFF", "#EEEEEE", "#D9480F"])
    assert cfg.brand_for("default") == cfg.brand_for("") == cfg.brand and cfg.brand.name == "编辑部"


# --- local covers -----------------------------------------------------------------------------

def test_the_brand_name_is_set_in_the_square_the_1x1_card_shows(cfg: Config):
    require_art()
    plain = compose(cover_plan(), cfg).image
    cfg.brand = Brand(name="深夜食堂")
    branded = compose(cover_plan(), cfg).image
    x0, _y0, x1, _y1 = ImageChops.difference(plain, branded).getbbox()
    assert x0 >= (1344 - 576) / 2 and x1 <= (1344 + 576) / 2            # only the centre square changes


def test_palette_logo_and_placement_come_from_the_account(cfg: Config, tmp_path: Path):
    require_art()
    logo = Image.new("RGBA", (120, 40), (0, 0, 0, 0))
    ImageDraw.Draw(logo).rounded_rectangle((0, 0, 119, 39), radius=12, fill=(*MAGENTA, 255))
    logo.save(tmp_path / "logo.png")
    cfg.wechat.accounts["food"] = cfg.wechat.accounts["default"].model_copy(update={"brand": Brand(
        logo=tmp_path / "logo.png", palette=["#103060", "#1A3F78", "#FFB000", "#FF5E7E"], title_placement="top")})
    drawing = compose(cover_plan("food"), cfg)
    assert drawing.image.getpixel((5, 5)) == (16, 48, 96)                # the brand's background
    small = drawing.image.resize((336, 144)).tobytes()
    magenta = sum(1 for i in range(0, len(small), 3) if small[i] > 220 and small[i + 1] < 40 and small[i + 2] > 220)
    assert magenta > 30                                                  # its logo
    top = drawing.title_mask.getbbox()
    assert top[3] < 576 / 2                                              # the title at the top
    bottom = compose(cover_plan(), cfg).title_mask.getbbox()             # the default account: the style's place
    assert bottom[1] > 576 / 2


# --- hosted covers ----------------------------------------------------------------------------

def _hosted(colour: tuple[int, int, int]) -> GeneratedImage:
    out = io.BytesIO()
    Image.new("RGB", (1344, 576), colour).save(out, "JPEG", quality=95)
    return GeneratedImage(data=out.getvalue(), provider="fal", model="m", seed=1, elapsed_s=0.1)


def test_hosted_covers_get_the_brand_colour_placement_and_mark(cfg: Config):
    plain = cover_set(cover_plan(), _hosted((245, 240, 230)), cfg)
    cfg.brand = Brand(name="深夜食堂", text="#B03A2E", title_placement="bottom")
    branded = cover_set(cover_plan(), _hosted((245, 240, 230)), cfg)
    assert branded.title.colour == (0xB0, 0x3A, 0x2E) and branded.title.contrast >= 4.5
    assert branded.title.box[1] > plain.title.box[1] and branded.title.box[3] > 383 * 0.6
    above = branded.cover.crop((0, 0, 900, branded.title.box[1]))
    assert ImageChops.difference(above, plain.cover.crop((0, 0, 900, branded.title.box[1]))).getbbox()   # the mark


def test_a_brand_colour_that_would_not_read_gives_way(cfg: Config):
    cfg.brand = Brand(text="#202020")
    covers = cover_set(cover_plan(), _hosted((25, 25, 30)), cfg)          # dark text on a dark picture
    assert covers.title.colour == (255, 255, 255) and covers.title.contrast >= 4.5
