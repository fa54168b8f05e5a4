"""A style file's colours reach the local renderer: editing them changes the picture."""

from __future__ import annotations

import io
import shutil

from PIL import Image

from pipeline.models import Article, Section
from pipeline.prompts import plan_images
from pipeline.providers.local import render_local

from .conftest import REPO


def article() -> Article:
    return Article(title="一碗好面的讲究", slug="noodles", text="面条 汤头 浇头",
                   body_html="<h2 id='s1'>汤头</h2><p>骨头熬八个小时。</p>",
                   sections=[Section("汤头", 2, ["骨头熬八个小时，汤色清亮，味道醇厚，是一碗好面的根本。"], anchor="s1")],
                   keywords=["面条", "汤头"], type="food")


def corner(png: bytes) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(png)) as im:
        return im.convert("RGB").resize((1, 1), box=(0, 0, 40, 40)).getpixel((0, 0))


def test_style_colours_drive_the_local_palette(cfg, tmp_path):
    styles = tmp_path / "styles"
    shutil.copytree(REPO / "templates" / "styles", styles)
    cfg.paths.styles = styles
    before = corner(render_local(plan_images(article(), cfg, style="flat")[0], cfg))
    text = (styles / "flat.yaml").read_text(encoding="utf-8")
    (styles / "flat.yaml").write_text(text.replace('"#F7F1E8", "#EFE3D2"', '"#103060", "#1A3F78"'), encoding="utf-8")
    cover = plan_images(article(), cfg, style="flat")[0]
    assert cover.palette[:2] == ["#103060", "#1A3F78"]
    after = corner(render_local(cover, cfg))
    assert sum(before) > 600 and sum(after) < 300, (before, after)
