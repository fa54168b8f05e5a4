"""The article title set on a hosted model's cover (models garble Chinese, so they draw none):
placed where the picture is calm (or where the brand puts it), in the brand's colour when that reads,
else white or dark by measured contrast, with a scrim — darker and softer step by step — until the
text reaches WCAG's 4.5:1 on the final pixels. The brand's mark (logo or name) goes just above it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

from ..brand import draw_mark, has_mark, mark_width
from ..config import Brand, Config
from ..typography import cover_layout, text_contrast

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]
WHITE, DARK = (255, 255, 255), (17, 17, 17)
TARGET = 4.5
SCRIMS = (0.3, 0.45, 0.6, 0.75, 0.9)


@dataclass(frozen=True)
class TitleMark:
    """Where and how the title was set, in the pixels of one image."""

    box: Box                  # the text block
    mask: Image.Image         # L, image-sized, 255 = ink
    size: int                 # type size in px
    colour: RGB
    contrast: float           # measured WCAG ratio on the final pixels
    scrim: float              # 0 none … 1 solid panel

    def cropped(self, crop: Box, out: tuple[int, int]) -> TitleMark:
        """The same mark in a crop of the image resized to `out`."""
        sx = out[0] / (crop[2] - crop[0])
        sy = out[1] / (crop[3] - crop[1])
        mask = self.mask.crop(crop)
        if mask.size != out:
            mask = mask.resize(out, Image.Resampling.BILINEAR)
        x0, y0, x1, y1 = self.box
        box = (round((x0 - crop[0]) * sx), round((y0 - crop[1]) * sy),
               round((x1 - crop[0]) * sx), round((y1 - crop[1]) * sy))
        return replace(self, box=box, mask=mask, size=max(1, round(self.size * sy)))


def set_title(image: Image.Image, title: str, region: Box, square: int, *, weight: str = "Black",
              font_path: Path | None = None, display: str = "", brand: Brand | None = None,
              cfg: Config | None = None) -> TitleMark:
    """Draw `title` (or the planner's `display` title) inside `region` of `image` (in place) and
    return where it went. `square` is the side of the 1:1 crop in these pixels: the type is sized to
    read well there too. `brand` (with the `cfg` its logo path is relative to) adds its colour,
    placement and mark."""
    brand = brand or Brand.model_construct()
    x0, y0, x1, y1 = region
    rw, rh = x1 - x0, y1 - y0
    mark_h = round(square * 0.045) if has_mark(brand, font_path) and cfg is not None else 0
    gap = round(mark_h * 0.7)
    layout = cover_layout(title, display, min(rw, 0.84 * square), min(0.5 * square, 0.85 * rh) - mark_h - gap,
                          weight=weight, font_path=font_path)
    extra = mark_h + gap if mark_h else 0
    wide = max(layout.width, mark_width(brand, cfg, mark_h, font_path) if mark_h and cfg else 0.0)
    block, align = _calmest(image, (int(wide + 1), int(layout.height + 1 + extra)), region, brand.title_placement)
    text_at = (block[0] + (block[2] - block[0] - int(layout.width + 1)) // 2 if align == "center" else block[0],
               block[1] + extra)
    text_box = (text_at[0], text_at[1], text_at[0] + int(layout.width + 1), block[3])
    mask = Image.new("L", image.size, 0)
    layout.draw(ImageDraw.Draw(mask), text_at, 255, align=align, width=text_box[2] - text_box[0])
    band = _band(image.size, block, layout.size)
    roi = band.getbbox() or (0, 0, *image.size)            # all the work happens in these rows
    base, ink, veil = image.crop(roi), mask.crop(roi), band.crop(roi)

    choices = [(c, _trial(base, ink, c, layout.size)) for c in (WHITE, DARK)]
    colour, ratio = max(choices, key=lambda t: t[1])
    if brand.text:
        own = _rgb(brand.text)
        own_ratio = _trial(base, ink, own, layout.size)
        if own_ratio >= TARGET or own_ratio >= ratio:
            colour, ratio = own, own_ratio
    scrim = 0.0
    if ratio < TARGET:
        local = (block[0] - roi[0], block[1] - roi[1], block[2] - roi[0], block[3] - roi[1])
        soft = _blurred(base, max(2.0, layout.size * 0.3))
        for scrim in (*SCRIMS, 1.0):
            trial = _scrimmed(base, soft, veil, local, layout.size, colour, scrim)
            ratio = _trial(trial, ink, colour, layout.size)
            if ratio >= TARGET:
                base = trial
                break
    base.paste(colour, (0, 0), ink)
    image.paste(base, roi[:2])
    if mark_h and cfg is not None:
        cx = (text_box[0] + text_box[2]) / 2 if align == "center" else text_box[0] + wide / 2
        draw_mark(image, brand, cfg, cx, block[1], mark_h, colour, font_path)
    return TitleMark(text_box, mask, layout.size, colour, ratio, scrim)


def _rgb(code: str) -> RGB:
    return (int(code[1:3], 16), int(code[3:5], 16), int(code[5:7], 16))


def _trial(image: Image.Image, mask: Image.Image, colour: RGB, size: int) -> float:
    trial = image.copy()
    trial.paste(colour, (0, 0), mask)
    return text_contrast(trial, mask, size)


def _calmest(image: Image.Image, size: tuple[int, int], region: Box, placement: str = "auto") -> tuple[Box, str]:
    """Where a block of `size` goes in `region`: over the least edge energy (top, middle or bottom —
    only the brand's placement when it names one; flush left or centred); the middle is slightly
    disfavoured, as it is where subjects sit."""
    x0, y0, x1, y1 = region
    bw, bh = size
    edges = image.crop(region).convert("L").filter(ImageFilter.FIND_EDGES)
    rows = {"top": y0, "middle": y0 + (y1 - y0 - bh) // 2, "bottom": y1 - bh}
    if placement in rows:
        rows = {placement: rows[placement]}
    best: tuple[float, Box, str] | None = None
    for vy, y in rows.items():
        for align, x in (("left", x0), ("center", x0 + (x1 - x0 - bw) // 2)):
            box = (int(x), int(y), int(x) + bw, int(y) + bh)
            energy = ImageStat.Stat(edges.crop((box[0] - x0, box[1] - y0, box[2] - x0, box[3] - y0))).mean[0] + 1
            energy *= 1.15 if vy == "middle" else 1.0
            if best is None or energy < best[0]:
                best = (energy, box, align)
    assert best is not None
    return best[1], best[2]


def _band(size: tuple[int, int], block: Box, type_size: int) -> Image.Image:
    """L mask of a full-width band behind the text block that fades out above and below;
    near the top or bottom edge it runs out to that edge."""
    w, h = size
    y0, y1 = block[1], block[3]
    top, bottom, fade = y0 - type_size * 0.6, y1 + type_size * 0.6, type_size * 1.2
    column = []
    for y in range(h):
        if top <= y <= bottom or (y < top and y0 < h * 0.2) or (y > bottom and y1 > h * 0.8):
            column.append(255)
        else:
            d = top - y if y < top else y - bottom
            column.append(max(0, round(255 * (1 - d / fade))))
    return Image.frombytes("L", (1, h), bytes(column)).resize((w, h), Image.Resampling.NEAREST)


def _blurred(image: Image.Image, radius: float) -> Image.Image:
    """A soft Gaussian blur, computed at a quarter of the size (the same look, far faster)."""
    k = 4 if min(image.size) >= 64 else 1
    small = image.reduce(k) if k > 1 else image
    soft = small.filter(ImageFilter.GaussianBlur(radius / k))
    return soft.resize(image.size, Image.Resampling.BILINEAR) if k > 1 else soft


def _scrimmed(image: Image.Image, soft: Image.Image, band: Image.Image, block: Box, type_size: int,
              colour: RGB, strength: float) -> Image.Image:
    """`image` turned to `soft` (its blur) and veiled toward the text's opposite under `band`,
    by `strength`; at 1.0 a solid panel goes right under the text as well."""
    if strength >= 1.0:
        pad = type_size * 0.6
        panel = Image.new("L", image.size, 0)
        x0, y0, x1, y1 = block
        ImageDraw.Draw(panel).rounded_rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), radius=pad, fill=255)
        band = ImageChops.lighter(panel, band.point(lambda v: v * 3 // 4))
    veil = WHITE if colour == DARK else (0, 0, 0)
    out = Image.composite(soft, image, band.point(lambda v: round(v * min(1.0, strength * 1.6))))
    return Image.composite(Image.new("RGB", image.size, veil), out, band.point(lambda v: round(v * strength)))
