"""The preview and index pages carry their font: a WOFF subset of Noto Sans CJK SC with the page's
characters, so they read on a machine with no CJK font."""

from __future__ import annotations

import base64
import io
import re

from bs4 import BeautifulSoup
from fontTools.ttLib import TTFont

from pipeline.models import Article, Illustration, Section
from pipeline.publish.output import write_index, write_output
from pipeline.publish.webfont import FAMILY, font_face

DATA_URL = re.compile(r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)")


def embedded(html: str) -> TTFont:
    """The font a page embeds (exactly one @font-face)."""
    [data] = DATA_URL.findall(html)
    font = TTFont(io.BytesIO(base64.b64decode(data)))
    assert font.flavor == "woff"
    return font


def covered(font: TTFont) -> set[str]:
    return {chr(c) for c in font.getBestCmap()}


def test_the_subset_holds_the_characters_asked_for_and_no_others():
    css = font_face("潮汕牛肉火锅：一头牛，十几个部位 Beef 8 秒")
    assert f'font-family:"{FAMILY}"' in css and "font-display:block" in css
    chars = covered(embedded(css))
    assert set("潮汕牛肉火锅：一头，十几个部位Beef8秒") <= chars
    assert not chars & set("龘鬱的是") and len(chars) < 40
    assert len(css) < 20_000                              # a few kB for a few characters, not megabytes


def test_preview_and_index_embed_every_character_they_show(tmp_path):
    article = Article(title="秋天的第一碗牛肉面", slug="noodles", text="拉面师傅", sections=[Section("", 0, ["拉面师傅"])],
                      body_html="<p>拉面师傅在案板上拉出细如发丝的面条。</p>", author="美食编辑部",
                      digest="天气一凉，就想吃一碗热乎乎的牛肉面。", keywords=["牛肉面"], type="food")
    folder = write_output(Illustration(article=article, plans=[]), tmp_path)
    for page in (folder / "preview.html", write_index(tmp_path, [])):
        html = page.read_text(encoding="utf-8")
        shown = BeautifulSoup(html, "html.parser").get_text()
        cjk = {c for c in shown if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef"}
        assert cjk and cjk <= covered(embedded(html)), page.name
    assert "@font-face" not in (folder / "article.html").read_text(encoding="utf-8")   # it goes to WeChat
