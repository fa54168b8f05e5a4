"""In a real browser that has no CJK font (headless Chromium, private fontconfig): the pages show Chinese
glyphs from the font they embed, where a page without it shows empty boxes."""

from __future__ import annotations

import re

import pytest

from pipeline.publish.output import write_index

from .conftest import ink, needs_chromium, screenshot, without_cjk_fonts

pytestmark = [pytest.mark.slow, needs_chromium]
FONT_FACE = re.compile(r"@font-face\{[^}]*\}")


def index_page(folder, title: str):
    """An index page whose one card shows `title` (a failed article's card: no picture)."""
    folder.mkdir()
    return write_index(folder, [{"slug": "a", "article": {"title": title}, "error": "x"}])


def test_pages_show_glyphs_not_boxes_without_a_system_cjk_font(tmp_path):
    env = without_cjk_fonts(tmp_path)
    light, heavy = index_page(tmp_path / "light", "一" * 12), index_page(tmp_path / "heavy", "龘" * 12)
    for page in (light, heavy):                    # the same pages without their font
        bare = page.with_name("bare.html")
        bare.write_text(FONT_FACE.sub("", page.read_text(encoding="utf-8")), encoding="utf-8")
    shots = {name: ink(screenshot(page.as_uri(), tmp_path / f"{name}.png", env=env))
             for name, page in (("light", light), ("heavy", heavy), ("light-bare", light.with_name("bare.html")),
                                ("heavy-bare", heavy.with_name("bare.html")))}
    # with the font each character is its own glyph: twelve 龘 carry far more ink than twelve 一
    assert shots["heavy"] - shots["light"] > 600, shots
    # without it both are twelve identical boxes (this browser really has no CJK font)
    assert abs(shots["heavy-bare"] - shots["light-bare"]) < 50, shots
