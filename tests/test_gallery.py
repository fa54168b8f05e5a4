"""`peitu gallery ARTICLE`: one article's cover in every type × style, made by the engine with the local
provider, as a contact sheet (PNG) and a page with the same grid, linked from the index page."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from bs4 import BeautifulSoup
from click.testing import CliRunner
from PIL import Image

from pipeline.cli import cli
from pipeline.models import Article
from pipeline.publish.gallery import CELL, GAP, LEFT, TOP, Choice, Gallery, contact_sheet

from .conftest import REPO, write_config

FOOD = REPO / "examples" / "articles" / "food-chaoshan-beef-hotpot.md"
SLUG = "food-chaoshan-beef-hotpot"


def run(tmp_path: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(write_config(tmp_path)), *args], catch_exceptions=False)


def test_gallery_of_two_types_by_two_styles(tmp_path):
    out = tmp_path / "out"
    result = run(tmp_path, "gallery", str(FOOD), "--type", "food", "--type", "科技", "--style", "flat",
                 "--style", "ink", "--out", str(out))
    assert result.exit_code == 0, result.output
    folder = out / SLUG
    with Image.open(folder / "gallery.png") as sheet:               # 2 rows × 2 columns, labels, the title
        assert sheet.height == TOP + 2 * (CELL[1] + GAP) + GAP
        assert LEFT + 2 * (CELL[0] + GAP) + GAP <= sheet.width < 1200
    page = BeautifulSoup((folder / "gallery.html").read_text(encoding="utf-8"), "html.parser")
    srcs = [img["src"] for img in page.select("td img")]
    assert srcs == ["gallery/food-flat.jpg", "gallery/food-ink.jpg", "gallery/tech-flat.jpg", "gallery/tech-ink.jpg"]
    covers = [(folder / src).read_bytes() for src in srcs]
    assert len({hashlib.sha256(c).hexdigest() for c in covers}) == 4    # every type and style draws its own
    for data in covers:
        with Image.open(io.BytesIO(data)) as im:
            assert im.size == (900, 383)
    assert [th.get_text(strip=True) for th in page.select("th.row")] == ["美食 food ●", "科技 tech"]  # its type
    assert "@font-face" in str(page.style)                            # reads without a CJK font, too
    index = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert index.select_one(f'a[href="{SLUG}/gallery.html"]') is not None


def test_a_gallery_cover_is_the_cover_illustrate_makes(tmp_path):
    """The same engine flow: the food × ink cell is byte for byte the cover `peitu illustrate` makes."""
    run(tmp_path, "gallery", str(FOOD), "--type", "food", "--style", "ink", "--out", str(tmp_path / "g"))
    result = run(tmp_path, "illustrate", str(FOOD), "--type", "food", "--style", "ink", "--provider", "local",
                 "--inline", "0", "--out", str(tmp_path / "i"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "g" / SLUG / "gallery" / "food-ink.jpg").read_bytes() == \
        (tmp_path / "i" / SLUG / "cover.jpg").read_bytes()
    index = (tmp_path / "g" / "index.html").read_text(encoding="utf-8")
    assert re.search(rf'href="{SLUG}/gallery.html"', index)               # listed though never illustrated there


def test_an_unknown_style_is_refused_before_any_work(tmp_path):
    result = CliRunner().invoke(cli, ["--config", str(write_config(tmp_path)), "gallery", str(FOOD),
                                      "--style", "neon", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "no style 'neon'" in result.output and "flat" in result.output
    assert not (tmp_path / "out").exists()


def test_a_failed_cell_is_grey_in_the_sheet():
    a = Article(title="标题", sections=[], text="", body_html="", slug="s")
    g = Gallery(a, [Choice("food", "美食", True)], [Choice("flat", "扁平插画")], {("food", "flat"): None},
                {("food", "flat"): "local: boom"})
    sheet = contact_sheet(g)
    assert sheet.getpixel((LEFT + 5, TOP + 5)) == (225, 225, 225)
