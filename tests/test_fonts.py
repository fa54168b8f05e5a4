"""The packaged CJK font: found, every weight usable, no tofu for characters it lacks."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.fonts import PACKAGED, WEIGHTS, cjk_font, drawable, find_font, has_glyph


def ink(font, text: str) -> int:
    """How many pixels of ink `text` leaves (sum of coverage / 255)."""
    return sum(font.getmask(text)) // 255


def test_default_font_is_noto_sans_cjk_sc_at_the_asked_weight():
    for weight in ("Regular", "Bold", "Black"):
        assert cjk_font(40, weight).getname() == ("Noto Sans CJK SC", weight)


def test_fonts_are_cached_per_size_and_weight():
    assert cjk_font(33, "Bold") is cjk_font(33, "Bold")
    assert cjk_font(33, "Bold") is not cjk_font(33, "Black")
    assert cjk_font(33, "Bold") is not cjk_font(34, "Bold")


def test_heavier_weights_put_down_more_ink():
    inks = [ink(cjk_font(48, w), "配图标题") for w in ("Thin", "Regular", "Bold", "Black")]
    assert inks == sorted(inks) and inks[0] * 2 < inks[-1]


def test_chinese_latin_and_digits_are_real_glyphs_emoji_are_not():
    for ch in "中文配图AZaz09，。：？%—·":
        assert has_glyph(ch), ch
    assert not has_glyph("🚀")
    assert not has_glyph("\U00020000")          # CJK Extension B: not in Noto Sans CJK SC


def test_drawable_drops_what_would_be_tofu_and_tidies_spaces():
    assert drawable("AI 🚀 芯片\t来了\u0007") == "AI 芯片 来了"


def test_unknown_weight_is_refused():
    with pytest.raises(ValueError, match="Heavy"):
        cjk_font(20, "Heavy")


def test_a_configured_font_file_is_used(tmp_path: Path):
    packaged = Path(str(files("manimgx_fonts_cjk") / "NotoSansCJK-VF.otf.ttc"))
    font = cjk_font(24, "Bold", path=packaged)
    assert font.getname()[0].startswith("Noto Sans CJK")
    assert ink(font, "配图") > 0


def test_a_missing_configured_font_says_which_setting(tmp_path: Path):
    with pytest.raises(ConfigError) as err:
        find_font(tmp_path / "nope.otf")
    assert "paths.font" in str(err.value) and "nope.otf" in str(err.value)


def test_no_font_installed_says_which_package_to_install():
    with pytest.raises(ConfigError) as err:
        find_font(None, packaged=(("peitu_no_such_font_pkg", "x.ttc", 0),))
    assert "pip install manimgx-fonts-cjk" in str(err.value)


def test_packaged_candidates_are_the_documented_ones():
    assert [p for p, _, _ in PACKAGED] == ["manimgx_fonts_cjk", "noto_cjk_sans_otc"]
    assert "Black" in WEIGHTS and "Thin" in WEIGHTS
