"""A gallery of one article's cover in every type × style: a contact sheet (PNG) and a page with the same
grid, written beside the article's output, to choose an account's look."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from ..fonts import cjk_font
from ..fsutil import atomic_write
from ..models import Article, Rendition
from .output import page

CELL = (320, 136)                     # a cover in the sheet (900×383 scaled down)
GAP = 12
LEFT, TOP = 150, 118                  # room for the row and column labels
INK, MUTED, PAPER, MARK = (34, 34, 34), (136, 136, 136), (244, 245, 247), (7, 193, 96)


@dataclass
class Choice:
    """One row (a type) or column (a style) of the gallery."""

    name: str                         # type id / style name
    label: str                        # its Chinese label
    current: bool = False             # what the article gets now (its type; the configured style)

    @property
    def caption(self) -> str:
        return f"{self.label} {self.name}" + (" ●" if self.current else "")


@dataclass
class Gallery:
    """The article, its rows and columns, and each cell's cover (None where it failed, with why)."""

    article: Article
    types: list[Choice]
    styles: list[Choice]
    covers: dict[tuple[str, str], Rendition | None]
    errors: dict[tuple[str, str], str]

    def file(self, type_: str, style: str) -> str:
        return f"gallery/{type_}-{style}.jpg"


def contact_sheet(g: Gallery) -> Image.Image:
    """Every cover in one picture: a row per type, a column per style, labelled; the article's type and
    the configured style marked ●."""
    w, h = CELL
    heading, heading_font = f"风格画廊 · {g.article.title}", cjk_font(30, "Bold")
    width = max(LEFT + len(g.styles) * (w + GAP) + GAP, round(heading_font.getlength(heading)) + GAP * 4)
    sheet = Image.new("RGB", (width, TOP + len(g.types) * (h + GAP) + GAP), PAPER)
    draw = ImageDraw.Draw(sheet)
    draw.text((GAP * 2, 18), heading, font=heading_font, fill=INK)
    draw.text((GAP * 2, 60), "行：文章类型（模板）  列：风格  ● 本文现在用的", font=cjk_font(18), fill=MUTED)
    for j, style in enumerate(g.styles):
        draw.text((LEFT + j * (w + GAP), TOP - 30), style.caption, font=cjk_font(18, "Bold"),
                  fill=MARK if style.current else INK)
    for i, type_ in enumerate(g.types):
        y = TOP + i * (h + GAP)
        colour = MARK if type_.current else INK
        draw.text((GAP * 2, y + h // 2 - 26), type_.label + (" ●" if type_.current else ""), font=cjk_font(18, "Bold"),
                  fill=colour)
        draw.text((GAP * 2, y + h // 2 + 2), type_.name, font=cjk_font(16), fill=colour if type_.current else MUTED)
        for j, style in enumerate(g.styles):
            x = LEFT + j * (w + GAP)
            cover = g.covers.get((type_.name, style.name))
            if cover is None:
                draw.rectangle((x, y, x + w - 1, y + h - 1), fill=(225, 225, 225))
                draw.text((x + 12, y + h // 2 - 12), "未生成 failed", font=cjk_font(18), fill=MUTED)
                continue
            with Image.open(io.BytesIO(cover.data)) as im:
                sheet.paste(im.convert("RGB").resize(CELL, Image.Resampling.LANCZOS), (x, y))
            if type_.current and style.current:
                draw.rectangle((x - 4, y - 4, x + w + 3, y + h + 3), outline=MARK, width=4)
    return sheet


def write_gallery(g: Gallery, folder: Path) -> tuple[Path, Path]:
    """gallery.png, gallery.html and the covers it shows (gallery/<type>-<style>.jpg) in `folder`."""
    for (type_, style), cover in g.covers.items():
        if cover is not None:
            atomic_write(folder / g.file(type_, style), cover.data)
    out = io.BytesIO()
    contact_sheet(g).save(out, "PNG", optimize=True)
    png, html = folder / "gallery.png", folder / "gallery.html"
    atomic_write(png, out.getvalue())
    atomic_write(html, page("gallery.html.j2", {"g": g, "preview": (folder / "preview.html").is_file()}))
    return png, html
