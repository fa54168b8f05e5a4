"""The embedded local provider: draws covers and section illustrations itself, with real CJK
type, so peitu works with no keys and no network.

One brand per account: the palette and type come from the style (or `palette_hint`); the
article varies the motif (from its type), the composition and the details (from its seed).
Covers keep the title and the key visual in the centre square, so WeChat's 1:1 crop and the
2.35:1 feed both show them. The same plan always gives byte-identical PNG.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from ..config import Config
from ..fonts import cjk_font, drawable
from ..models import ImagePlan
from ..typography import TitleLayout, contrast_ratio, fit_title, text_contrast

SS = 2                                   # shapes are drawn at 2× and reduced: smooth edges
RGB = tuple[int, int, int]
Box = tuple[float, float, float, float]


def _hex(code: str) -> RGB:
    return tuple(int(code[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


@dataclass(frozen=True)
class Palette:
    bg: RGB
    bg2: RGB
    ink: RGB
    accents: tuple[RGB, ...]

    @property
    def dark(self) -> bool:
        return contrast_ratio(self.bg, (255, 255, 255)) > contrast_ratio(self.bg, (0, 0, 0))


def _palette(bg: str, bg2: str, ink: str, *accents: str) -> Palette:
    return Palette(_hex(bg), _hex(bg2), _hex(ink), tuple(_hex(a) for a in accents))


PALETTES: dict[str, Palette] = {
    "vivid": _palette("#F7F1E8", "#EFE3D2", "#1E2742", "#FF6B4A", "#2EC4B6", "#FFBF3C", "#3D5AFE"),
    "mono": _palette("#F6F6F3", "#E9E9E5", "#141414", "#E63946", "#1D3557", "#9A9A9A"),
    "pastel": _palette("#FBF8F3", "#F2EADF", "#2D3142", "#7FB7E0", "#F29E9E", "#9CCB9F", "#F5C66E"),
    "ink": _palette("#F3EEE2", "#E6DDC9", "#1B1B1B", "#2B2B2B", "#77736B", "#B03A2E"),
    "dusk": _palette("#151A2E", "#33203F", "#FFFFFF", "#FF9E5E", "#FF5E7E", "#6C8BFF", "#FFD27A"),
    "ocean": _palette("#0E1F3F", "#17386B", "#FFFFFF", "#3DDCFF", "#7C5CFF", "#FFD166", "#2EC4B6"),
    "forest": _palette("#EEF2E8", "#DDE6D2", "#1D3A2A", "#2F7D4F", "#E0A43A", "#7FB069", "#D9643A"),
}
STYLE_PALETTE = {"flat": "vivid", "minimal": "mono", "watercolor": "pastel", "ink": "ink",
                 "photo": "dusk", "isometric": "ocean"}
HINT_WORDS = {"warm": "vivid", "bright": "vivid", "light": "mono", "cool": "ocean", "dark": "dusk",
              "soft": "pastel", "green": "forest", "nature": "forest", "tech": "ocean", "mono": "mono",
              "black": "ink", "guofeng": "ink", "国风": "ink", "水墨": "ink"}


@dataclass(frozen=True)
class Look:
    """How a style draws: title weight, shape treatment and surface."""

    weight: str = "Black"
    outline: bool = False                # shapes as lines (minimal)
    blur: float = 0.0                    # soft edges (watercolor, photo)
    grain: float = 0.0                   # paper texture strength
    grey: bool = False                   # monochrome shapes (ink)
    shadow: bool = False                 # layered paper: each layer casts a soft shadow
    alpha: int = 235                     # shape opacity


LOOKS = {
    "flat": Look(),
    "minimal": Look(weight="Bold", outline=True, alpha=255),
    "watercolor": Look(weight="Bold", blur=7, grain=10, alpha=170),
    "ink": Look(weight="Bold", blur=3, grain=14, grey=True, alpha=200),
    "photo": Look(weight="Black", blur=10, alpha=200),
    "isometric": Look(weight="Black"),
    "papercut": Look(weight="Black", shadow=True, grain=5),
}


def render_local(plan: ImagePlan, cfg: Config) -> bytes:
    """Draw `plan` as a PNG of exactly plan.width × plan.height."""
    out = io.BytesIO()
    compose(plan, cfg).image.save(out, "PNG", compress_level=3)
    return out.getvalue()


@dataclass
class Drawing:
    image: Image.Image
    title_mask: Image.Image | None       # L, 255 where the title (or caption) is inked
    title_size: int = 0


def compose(plan: ImagePlan, cfg: Config) -> Drawing:
    """The picture render_local encodes, with where its title went."""
    art = _Art(plan, cfg)
    image = art.cover() if plan.role == "cover" else art.illustration()
    return Drawing(image, art.title_mask, art.title_size)


def choose_palette(plan: ImagePlan) -> Palette:
    """The account's palette: palette_hint by name or by word, else the style's."""
    hint = plan.palette_hint.strip().lower()
    if hint in PALETTES:
        return PALETTES[hint]
    for word, name in HINT_WORDS.items():
        if word in hint:
            return PALETTES[name]
    return PALETTES[STYLE_PALETTE.get(plan.style, "vivid")]


class _Art:
    """One image being drawn: the plan's palette, look, motif and a seeded random source."""

    def __init__(self, plan: ImagePlan, cfg: Config):
        self.plan, self.cfg = plan, cfg
        self.w, self.h = plan.width, plan.height
        digest = hashlib.sha256(f"{plan.seed}|{plan.key}|{plan.prompt}".encode()).digest()
        self.rng = random.Random(int.from_bytes(digest[:8], "big"))
        self.pal = choose_palette(plan)
        self.look = LOOKS.get(plan.style, LOOKS["flat"])
        self.motif = MOTIFS[_motif_name(plan.template, self.rng)]
        self.font_path: Path | None = cfg.path(cfg.paths.font) if cfg.paths.font else None
        accents = list(self.pal.accents)
        self.rng.shuffle(accents)
        self.accents = accents
        self.label = self._type_label()
        self.title_mask: Image.Image | None = None
        self.title_size = 0

    # --- surfaces --------------------------------------------------------------------------

    def background(self) -> Image.Image:
        """A soft diagonal gradient from bg to bg2, with paper grain for painterly looks."""
        ramp = Image.linear_gradient("L")
        across = ramp.transpose(Image.Transpose.ROTATE_90)
        if self.rng.random() < 0.5:
            across = across.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        blend = Image.blend(ramp, across, 0.5).resize((self.w, self.h), Image.BILINEAR)
        image = Image.composite(Image.new("RGB", blend.size, self.pal.bg2), Image.new("RGB", blend.size, self.pal.bg),
                                blend)
        if self.look.grain:
            noise = Image.frombytes("L", (self.w // 2, self.h // 2), self.rng.randbytes((self.w // 2) * (self.h // 2)))
            noise = noise.resize((self.w, self.h), Image.BILINEAR).point(
                lambda v: 128 + int((v - 128) * self.look.grain / 128))
            image = ImageChops.add(ImageChops.subtract(image, Image.merge("RGB", [noise] * 3), offset=128),
                                   Image.new("RGB", image.size, (0, 0, 0)))
        return image

    def shapes(self, draw_fn: Callable[["_Pen"], None]) -> Image.Image:
        """An RGBA layer of shapes drawn at SS× by `draw_fn` and reduced, styled by the look."""
        layer = Image.new("RGBA", (self.w * SS, self.h * SS), (0, 0, 0, 0))
        draw_fn(_Pen(ImageDraw.Draw(layer), self))
        layer = layer.reduce(SS)
        if self.look.grey:
            r, g, b, a = layer.split()
            grey = Image.merge("RGB", (r, g, b)).convert("L")
            layer = Image.merge("RGBA", (grey, grey, grey, a))
        if self.look.blur:
            layer = layer.filter(ImageFilter.GaussianBlur(self.look.blur * self.h / 576))
        if self.look.shadow:
            shade = layer.getchannel("A").point(lambda v: v * 2 // 5).filter(ImageFilter.GaussianBlur(self.h * 0.012))
            moved = Image.new("L", layer.size, 0)
            moved.paste(shade, (round(self.h * 0.006), round(self.h * 0.014)))
            under = Image.new("RGBA", layer.size, (40, 20, 10, 0))
            under.putalpha(moved)
            layer = Image.alpha_composite(under, layer)
        return layer

    def mist(self, box: Box) -> Image.Image:
        """L mask, 255 inside `box` with soft edges: where painterly looks clear the picture for text."""
        mask = Image.new("L", (self.w, self.h), 0)
        ImageDraw.Draw(mask).rounded_rectangle(box, radius=(box[3] - box[1]) * 0.2, fill=255)
        return mask.filter(ImageFilter.GaussianBlur(self.h * 0.05))

    def lay(self, base: Image.Image, layer: Image.Image) -> Image.Image:
        """Paint a shapes layer onto `base` at the look's opacity."""
        base.paste(layer.convert("RGB"), (0, 0), layer.getchannel("A").point(lambda v: v * self.look.alpha // 255))
        return base

    # --- text ------------------------------------------------------------------------------

    def _type_label(self) -> str:
        rule = self.cfg.article_types.rules.get(self.plan.template)
        return rule.label if rule else ""

    def font(self, size: float, weight: str = "Regular"):
        return cjk_font(max(8, int(size)), weight, path=self.font_path)

    def text_colour(self, image: Image.Image, box: Box) -> RGB:
        """Ink or white, whichever reads better against the region's average colour."""
        region = image.crop(tuple(int(v) for v in box)).resize((1, 1), Image.BOX).getpixel((0, 0))
        white, ink = (255, 255, 255), self.pal.ink if not self.pal.dark else (20, 20, 28)
        return white if contrast_ratio(region, white) >= contrast_ratio(region, ink) else ink

    def tag_row(self, words: list[str], size: float, max_w: float) -> tuple[list[tuple[str, float]], float]:
        """The `#tag` chips that fit in one row of max_w, and the row's width."""
        font = self.font(size, "Medium")
        pad, gap = size * 0.55, size * 0.5
        chips, total = [], 0.0
        for word in words:
            text = "#" + drawable(word, self.font_path)
            w = font.getlength(text) + 2 * pad
            if len(text) < 2 or total + w > max_w:
                continue
            chips.append((text, w))
            total += w + gap
        return chips, max(0.0, total - gap)

    def tags(self, draw: ImageDraw.ImageDraw, x: float, y: float, words: list[str], size: float,
             max_w: float, colour: RGB, align: str = "left") -> None:
        """Keywords as small `#tag` pills in one row within max_w."""
        chips, total = self.tag_row(words, size, max_w)
        font = self.font(size, "Medium")
        cx = x + (max_w - total) / 2 if align == "center" else x
        h = size * 1.7
        for text, w in chips:
            draw.rounded_rectangle((cx, y, cx + w, y + h), radius=h / 2, outline=colour, width=max(1, int(size / 12)))
            draw.text((cx + w / 2, y + h / 2), text, font=font, fill=colour, anchor="mm")
            cx += w + size * 0.5

    def set_text(self, image: Image.Image, layout: TitleLayout, xy: tuple[float, float], width: float,
                 align: str, colour: RGB) -> float:
        """Draw a title; if it measures under 4.5:1 on the final pixels, lay a panel under it."""
        mask = Image.new("L", image.size, 0)
        layout.draw(ImageDraw.Draw(mask), xy, 255, align=align, width=width)
        self.title_mask, self.title_size = mask, layout.size
        trial = image.copy()
        trial.paste(colour, (0, 0), mask)
        if text_contrast(trial, mask, layout.size) >= 4.5:
            image.paste(trial)
            return 4.5
        x, y = xy
        pad = layout.size * 0.35
        panel = self.pal.bg if contrast_ratio(self.pal.bg, colour) >= 4.5 else \
            ((255, 255, 255) if colour != (255, 255, 255) else (20, 20, 28))
        ImageDraw.Draw(image).rounded_rectangle((x - pad, y - pad, x + width + pad, y + layout.height + pad),
                                                radius=pad, fill=panel)
        image.paste(colour, (0, 0), mask)
        return text_contrast(image, mask, layout.size)

    # --- compositions ----------------------------------------------------------------------

    def cover(self) -> Image.Image:
        """Cover: full-bleed motif, the title on a card in the middle square, an emblem at its corner."""
        w, h = self.w, self.h
        side = min(w, h)
        sx, sy = (w - side) / 2, (h - side) / 2
        inset = side * 0.1
        col_x, col_w = sx + inset, side - 2 * inset
        align = "center" if self.rng.random() < 0.6 else "left"

        title = self.plan.title or _short(self.plan.prompt, 30)
        layout = fit_title(title, col_w, side * 0.5, weight=self.look.weight, max_lines=3,
                           max_size=int(side * 0.16), min_size=max(12, int(side * 0.055)), font_path=self.font_path)
        kicker_h = side * 0.07 if self.label else 0.0
        tag_size = side * 0.034
        words = [k for k in self.plan.keywords if k and k not in title][:3]
        tags_h = tag_size * 1.7 if words else 0.0
        gap = side * 0.045
        stack_h = kicker_h + (gap if kicker_h else 0) + layout.height + (gap if tags_h else 0) + tags_h
        top = sy + (side - stack_h) / 2
        pad = side * 0.06
        card = (col_x - pad, top - pad, col_x + col_w + pad, top + stack_h + pad)

        image = self.background()
        image = self.lay(image, self.shapes(lambda pen: (self.motif(pen, (0, 0, w, h), card), pen.emblem(card))))
        colour = self.panel(image, card)
        if align == "left":                                  # centre the block, lines flush left
            col_x, col_w = col_x + (col_w - layout.width) / 2, layout.width
        draw = ImageDraw.Draw(image)
        y = top
        if kicker_h:
            self.kicker(draw, col_x, y, col_w, kicker_h, align)
            y += kicker_h + gap
        self.set_text(image, layout, (col_x, y), col_w, align, colour)
        y += layout.height + gap
        if tags_h:
            self.tags(ImageDraw.Draw(image), col_x, y, words, tag_size, col_w, colour, align)
        return image

    def panel(self, image: Image.Image, box: Box) -> RGB:
        """The card under the text, drawn the style's way; returns the text colour for it."""
        look, pal, h = self.look, self.pal, self.h
        radius = h * 0.035
        draw = ImageDraw.Draw(image)
        if look.blur and not pal.dark:                       # watercolor, ink: mist over the painting
            image.paste(pal.bg, (0, 0), self.mist(box))
        elif look.blur:                                      # photo: frosted glass
            region = tuple(int(v) for v in box)
            glass = image.crop(region).filter(ImageFilter.GaussianBlur(h * 0.03))
            glass = Image.blend(glass, Image.new("RGB", glass.size, (10, 10, 20)), 0.45)
            shape = Image.new("L", glass.size, 0)
            ImageDraw.Draw(shape).rounded_rectangle((0, 0, glass.width - 1, glass.height - 1), radius=radius, fill=255)
            image.paste(glass, region[:2], shape)
            draw.rounded_rectangle(box, radius=radius, outline=(255, 255, 255), width=max(1, int(h / 400)))
        elif look.outline:                                   # minimal: white sheet, hairline
            draw.rectangle(box, fill=(255, 255, 255), outline=pal.ink, width=max(2, int(h / 300)))
        else:                                                # flat, isometric: card with a hard shadow
            off = h * 0.018
            draw.rounded_rectangle(_shift(box, off, off), radius=radius, fill=pal.ink if not pal.dark
                                   else self.accents[0])
            fill = _mix(pal.bg, (255, 255, 255), 0.45) if not pal.dark else pal.bg
            draw.rounded_rectangle(box, radius=radius, fill=fill, outline=None if not pal.dark else self.accents[0],
                                   width=max(2, int(h / 250)))
        return self.text_colour(image, box)

    def kicker(self, draw: ImageDraw.ImageDraw, x: float, y: float, width: float, height: float, align: str) -> None:
        """The article type's label in an accent pill above the title."""
        font = self.font(height * 0.56, "Bold")
        text = drawable(self.label, self.font_path)
        kw = font.getlength(text) + height * 0.8
        kx = x + (width - kw) / 2 if align == "center" else x
        fill = next((a for a in self.accents if max(contrast_ratio(a, (255, 255, 255)),
                                                     contrast_ratio(a, (20, 20, 28))) >= 4.5), self.pal.ink)
        text_fill = (255, 255, 255) if contrast_ratio(fill, (255, 255, 255)) >= 4.5 else (20, 20, 28)
        draw.rounded_rectangle((kx, y, kx + kw, y + height), radius=height / 2, fill=fill)
        draw.text((kx + kw / 2, y + height / 2), text, font=font, fill=text_fill, anchor="mm")

    def illustration(self) -> Image.Image:
        """Inline or marker image: a scene of the motif and a caption (number, heading, tags),
        either on a card in a corner or in a panel down one side."""
        w, h = self.w, self.h
        plan = self.plan
        caption = plan.title or _short(plan.prompt)
        number = _number(plan.key) if plan.role == "inline" else ""
        words = [k for k in plan.keywords if k and k not in caption][:3]
        unit = min(w, h)
        split = w >= h * 1.3 and self.rng.random() < 0.45
        margin = unit * 0.07
        inner = unit * 0.045
        text_w = (w * 0.38 - 2 * margin) if split else min(w * 0.62, w - 2 * margin) - 2 * inner
        layout = fit_title(caption, text_w, h * (0.42 if split else 0.26), weight="Bold", max_lines=3,
                           max_size=int(unit * (0.1 if split else 0.085)), min_size=max(12, int(unit * 0.04)),
                           font_path=self.font_path)
        num_size = unit * 0.05 if number else 0.0
        tag_size = unit * 0.03
        tags_w = self.tag_row(words, tag_size, text_w)[1]
        content_w = max(layout.width, tags_w, num_size * 3)
        content_h = (num_size * 1.3 if number else 0) + layout.height + (tag_size * 2.6 if words else 0)

        if split:
            side = self.rng.random() < 0.5
            panel_box = (0, 0, w * 0.38, h) if side else (w * 0.62, 0, w, h)
            box = (panel_box[0] + margin, (h - content_h) / 2, panel_box[0] + margin + text_w, (h + content_h) / 2)
            scene = (panel_box[2], 0, w, h) if side else (0, 0, panel_box[0], h)
        else:
            card_w, card_h = content_w + 2 * inner, content_h + 2 * inner
            corner = self.rng.choice(("bl", "tl", "br")) if w >= h else "bl"
            cx = margin if corner in ("bl", "tl") else w - margin - card_w
            cy = h - margin - card_h if corner in ("bl", "br") else margin
            panel_box = (cx, cy, cx + card_w, cy + card_h)
            box = (cx + inner, cy + inner, cx + card_w - inner, cy + card_h - inner)
            scene = (0, 0, w, h)

        image = self.background()
        image = self.lay(image, self.shapes(lambda pen: (self.motif(pen, scene, panel_box),
                                                             pen.emblem(panel_box, far=True))))
        panel = (255, 255, 255) if self.look.outline else \
            (self.pal.bg if split else _mix(self.pal.bg, (255, 255, 255), 0.08 if self.pal.dark else 0.3))
        draw = ImageDraw.Draw(image)
        if split:
            draw.rectangle(panel_box, fill=panel)
            edge = panel_box[2] if panel_box[0] == 0 else panel_box[0]
            draw.line((edge, 0, edge, h), fill=self.accents[0], width=max(3, int(unit * 0.012)))
        else:
            shadow = Image.new("L", image.size, 0)
            ImageDraw.Draw(shadow).rounded_rectangle(_shift(panel_box, h * 0.004, h * 0.012), radius=inner, fill=70)
            image.paste((0, 0, 0), (0, 0), shadow.filter(ImageFilter.GaussianBlur(h * 0.015)))
            draw.rounded_rectangle(panel_box, radius=inner, fill=panel,
                                   outline=self.pal.ink if self.look.outline else None, width=2)
        colour = self.pal.ink if contrast_ratio(panel, self.pal.ink) >= 4.5 else (255, 255, 255)
        x, y = box[0], box[1]
        if number:
            accent = max(self.accents, key=lambda a: contrast_ratio(a, panel))
            accent = accent if contrast_ratio(accent, panel) >= 3 else colour
            font = self.font(num_size, "Black")
            draw.text((x, y), number, font=font, fill=accent, anchor="lt")
            bar_x = x + font.getlength(number) + num_size * 0.4
            draw.line((bar_x, y + num_size * 0.5, bar_x + num_size * 1.2, y + num_size * 0.5),
                      fill=accent, width=max(2, int(num_size / 10)))
            y += num_size * 1.3
        self.set_text(image, layout, (x, y), layout.width, "left", colour)
        y += layout.height + tag_size
        if words:
            self.tags(ImageDraw.Draw(image), x, y, words, tag_size, text_w, colour)
        return image


def _number(key: str) -> str:
    """"inline-2" → "02": the image's place among the article's illustrations."""
    tail = key.rsplit("-", 1)[-1]
    return f"{int(tail):02d}" if tail.isdigit() else ""


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))  # type: ignore[return-value]


def _shift(box: Box, dx: float, dy: float) -> Box:
    return (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)


def _short(prompt: str, limit: int = 18) -> str:
    """A caption from a prompt: its first clause, at most `limit` characters."""
    for stop in "。；;，,.\n":
        prompt = prompt.split(stop)[0] if stop in prompt[:limit + 10] else prompt
    return prompt.strip()[:limit]


# --- the pen: shapes at SS× in the palette and look ---------------------------------------------

class _Pen:
    """Draws shapes in image coordinates on the SS× layer, filled or outlined per the look."""

    def __init__(self, draw: ImageDraw.ImageDraw, art: _Art):
        self.d, self.art, self.rng = draw, art, art.rng
        self.w, self.h = art.w, art.h
        self.line = max(2, int(art.h * 0.006)) * SS

    def colour(self, i: int) -> RGB:
        return self.art.accents[i % len(self.art.accents)]

    def _paint(self, i: int, alpha: int = 255) -> dict:
        c = (*self.colour(i), alpha)
        return {"outline": c, "width": self.line} if self.art.look.outline else {"fill": c}

    def circle(self, x: float, y: float, r: float, i: int, alpha: int = 255) -> None:
        self.d.ellipse([v * SS for v in (x - r, y - r, x + r, y + r)], **self._paint(i, alpha))

    def rect(self, box: Box, i: int, radius: float = 0, alpha: int = 255) -> None:
        self.d.rounded_rectangle([v * SS for v in box], radius=radius * SS, **self._paint(i, alpha))

    def polygon(self, points: list[tuple[float, float]], i: int, alpha: int = 255) -> None:
        pts = [(x * SS, y * SS) for x, y in points]
        if self.art.look.outline:
            self.d.line(pts + pts[:1], fill=(*self.colour(i), alpha), width=self.line, joint="curve")
        else:
            self.d.polygon(pts, fill=(*self.colour(i), alpha))

    def pieslice(self, box: Box, start: float, end: float, i: int, alpha: int = 255) -> None:
        self.d.pieslice([v * SS for v in box], start, end, **self._paint(i, alpha))

    def stroke(self, points: list[tuple[float, float]], i: int, width: float, alpha: int = 255) -> None:
        self.d.line([(x * SS, y * SS) for x, y in points], fill=(*self.colour(i), alpha),
                    width=max(1, int(width * SS)), joint="curve")

    def emblem(self, card: Box, far: bool = False) -> None:
        """The key visual: one bold accent figure at a corner of the card (behind it), or in the
        open part of the picture when `far`."""
        x0, y0, x1, y1 = card
        r = self.h * self.rng.uniform(0.12, 0.16)
        right, top = self.rng.random() < 0.6, self.rng.random() < 0.5
        cx, cy = (x1 + r * 0.2 if right else x0 - r * 0.2), (y0 + r * 0.3 if top else y1 - r * 0.3)
        if far:
            cx = x1 + (self.w - x1) / 2 if x1 < self.w * 0.7 else x0 / 2
            cy = self.h * self.rng.uniform(0.3, 0.45)
            r *= 1.4
        kinds = ("cubes",) if self.art.plan.style == "isometric" else ("disc", "ring", "burst", "trio")
        getattr(self, "_" + self.rng.choice(kinds))(cx, cy, r)

    def _disc(self, cx: float, cy: float, r: float) -> None:
        self.circle(cx, cy, r, 0)
        self.circle(cx - r * 0.62, cy + r * 0.62, r * 0.3, 1)

    def _ring(self, cx: float, cy: float, r: float) -> None:
        self.d.ellipse([v * SS for v in (cx - r, cy - r, cx + r, cy + r)], outline=(*self.colour(0), 255),
                       width=int(r * 0.3 * SS))
        self.circle(cx, cy, r * 0.22, 1)

    def _burst(self, cx: float, cy: float, r: float) -> None:
        for k in range(12):
            a = k * math.pi / 6
            self.stroke([(cx + r * 0.35 * math.cos(a), cy + r * 0.35 * math.sin(a)),
                         (cx + r * math.cos(a), cy + r * math.sin(a))], 0, r * 0.12)
        self.circle(cx, cy, r * 0.2, 1)

    def _trio(self, cx: float, cy: float, r: float) -> None:
        for k, (dx, dy) in enumerate(((-0.45, 0.25), (0.45, 0.25), (0, -0.5))):
            self.circle(cx + dx * r, cy + dy * r, r * 0.6, k, alpha=215)

    def _cubes(self, cx: float, cy: float, r: float) -> None:
        """Isometric blocks: a small stack seen from above at 30°."""
        s = r * 0.55
        dx, dy = s * math.cos(math.pi / 6), s * math.sin(math.pi / 6)
        for k, (gx, gy, gz) in enumerate(((0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1))):
            x = cx + (gx - gy) * dx
            y = cy + (gx + gy) * dy - gz * s
            top = [(x, y - s), (x + dx, y - s + dy), (x, y - s + 2 * dy), (x - dx, y - s + dy)]
            left = [(x - dx, y - s + dy), (x, y - s + 2 * dy), (x, y + 2 * dy), (x - dx, y + dy)]
            right = [(x + dx, y - s + dy), (x, y - s + 2 * dy), (x, y + 2 * dy), (x + dx, y + dy)]
            base = self.colour(k)
            for face, shade in ((top, 1.0), (left, 0.78), (right, 0.6)):
                self.d.polygon([(px * SS, py * SS) for px, py in face],
                               fill=(*(int(c * shade) for c in base), 255))


# --- motifs: what an article type shows -----------------------------------------------------

def _circuit(pen: _Pen, area: Box, calm: Box) -> None:
    """Tech: traces on a grid turning at right angles, ending in nodes; a faint dot matrix."""
    x0, y0, x1, y1 = area
    step = pen.h / 12
    for gx in range(int((x1 - x0) / step) + 1):
        for gy in range(int((y1 - y0) / step) + 1):
            pen.circle(x0 + gx * step, y0 + gy * step, pen.h * 0.004, 3, alpha=110)
    for n in range(16):
        x = x0 + pen.rng.randrange(int((x1 - x0) / step)) * step
        y = y0 + pen.rng.randrange(int((y1 - y0) / step)) * step
        pts = [(x, y)]
        for _ in range(pen.rng.randint(2, 5)):
            dx, dy = pen.rng.choice(((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1)))
            k = pen.rng.randint(1, 3)
            x, y = x + dx * k * step, y + dy * k * step
            pts.append((x, y))
        pen.stroke(pts, n % 3, pen.h * 0.008)
        pen.circle(*pts[-1], pen.h * 0.016, n % 3)
        pen.circle(*pts[0], pen.h * 0.01, n % 3)


def _chart(pen: _Pen, area: Box, calm: Box) -> None:
    """Finance: rising bars along the foot, a trend line with markers, light rules."""
    x0, y0, x1, y1 = area
    for k in range(1, 6):
        y = y0 + (y1 - y0) * k / 6
        pen.stroke([(x0, y), (x1, y)], 3, pen.h * 0.003, alpha=90)
    bars = max(8, int((x1 - x0) / (pen.h * 0.09)))
    bw = (x1 - x0) / bars
    level = pen.rng.uniform(0.15, 0.3)
    points = []
    for b in range(bars):
        level = min(0.85, max(0.1, level + pen.rng.uniform(-0.06, 0.12)))
        top = y1 - (y1 - y0) * level
        pen.rect((x0 + b * bw + bw * 0.18, top, x0 + (b + 1) * bw - bw * 0.18, y1 + 10), b % 2, radius=bw * 0.12)
        points.append((x0 + (b + 0.5) * bw, top - (y1 - y0) * 0.12))
    pen.stroke(points, 2, pen.h * 0.012)
    for p in points[::3]:
        pen.circle(*p, pen.h * 0.014, 2)


def _blobs(pen: _Pen, area: Box, calm: Box) -> None:
    """Food: plates and round forms, with sprinkles."""
    x0, y0, x1, y1 = area
    for n in range(7):
        r = pen.h * pen.rng.uniform(0.12, 0.3)
        x, y = pen.rng.uniform(x0, x1), pen.rng.uniform(y0, y1)
        pen.circle(x, y, r, n)
        pen.circle(x, y, r * 0.62, n + 1, alpha=200)
    for n in range(60):
        x, y = pen.rng.uniform(x0, x1), pen.rng.uniform(y0, y1)
        a = pen.rng.uniform(0, math.tau)
        ln = pen.h * 0.025
        pen.stroke([(x, y), (x + ln * math.cos(a), y + ln * math.sin(a))], n, pen.h * 0.008)


def _mountains(pen: _Pen, area: Box, calm: Box) -> None:
    """Travel: a sun and layered ridges."""
    x0, y0, x1, y1 = area
    pen.circle(pen.rng.uniform(x0 + (x1 - x0) * 0.1, x1 - (x1 - x0) * 0.1), y0 + (y1 - y0) * 0.28,
               pen.h * 0.12, 2)
    for layer in range(3):
        base = y0 + (y1 - y0) * (0.55 + layer * 0.14)
        pts = [(x0 - 10, y1 + 10), (x0 - 10, base)]
        x = x0 - 10
        while x < x1 + 10:
            x += pen.h * pen.rng.uniform(0.12, 0.3)
            pts.append((x, base - pen.h * pen.rng.uniform(0.0, 0.22 - layer * 0.05)))
        pts.append((x1 + 10, y1 + 10))
        pen.polygon(pts, layer)


def _waves(pen: _Pen, area: Box, calm: Box) -> None:
    """Life and health: stacked soft waves."""
    x0, y0, x1, y1 = area
    for layer in range(5):
        base = y0 + (y1 - y0) * (0.35 + layer * 0.14)
        amp, per = pen.h * pen.rng.uniform(0.03, 0.07), pen.h * pen.rng.uniform(0.6, 1.1)
        phase = pen.rng.uniform(0, math.tau)
        pts = [(x0 - 10, y1 + 10)]
        for k in range(0, 121):
            x = x0 + (x1 - x0) * k / 120
            pts.append((x, base + amp * math.sin(phase + x / per * math.tau)))
        pts.append((x1 + 10, y1 + 10))
        pen.polygon(pts, layer, alpha=150 + layer * 20)


def _blocks(pen: _Pen, area: Box, calm: Box) -> None:
    """Education and culture: stacks of books and arches."""
    x0, y0, x1, y1 = area
    x = x0 + pen.h * 0.05
    while x < x1:
        stack_w = pen.h * pen.rng.uniform(0.12, 0.2)
        y = y1 + 4
        for n in range(pen.rng.randint(2, 6)):
            bh = pen.h * pen.rng.uniform(0.05, 0.09)
            off = pen.h * pen.rng.uniform(-0.02, 0.02)
            pen.rect((x + off, y - bh, x + off + stack_w, y), n + int(x), radius=pen.h * 0.01)
            y -= bh + pen.h * 0.008
        x += stack_w + pen.h * pen.rng.uniform(0.08, 0.25)
    for n in range(3):
        r = pen.h * pen.rng.uniform(0.08, 0.14)
        cx, cy = pen.rng.uniform(x0, x1), y0 + (y1 - y0) * pen.rng.uniform(0.1, 0.35)
        pen.pieslice((cx - r, cy - r, cx + r, cy + r), 180, 360, n + 2)


def _bauhaus(pen: _Pen, area: Box, calm: Box) -> None:
    """Any type: a tile grid of quarter circles, halves, triangles and dots."""
    x0, y0, x1, y1 = area
    s = pen.h / 4
    for gx in range(int((x1 - x0) / s) + 1):
        for gy in range(4):
            bx, by = x0 + gx * s, y0 + gy * s
            kind, i = pen.rng.randrange(6), pen.rng.randrange(4)
            if kind == 0:
                pen.pieslice((bx - s, by - s, bx + s, by + s), 0, 90, i)
            elif kind == 1:
                pen.pieslice((bx, by, bx + s, by + s), 180 * pen.rng.randrange(2), 180 * pen.rng.randrange(2) + 180, i)
            elif kind == 2:
                pen.polygon([(bx, by + s), (bx + s, by + s), (bx + s * pen.rng.randrange(2), by)], i)
            elif kind == 3:
                pen.circle(bx + s / 2, by + s / 2, s * 0.3, i)
            elif kind == 4:
                pen.rect((bx + s * 0.1, by + s * 0.4, bx + s * 0.9, by + s * 0.6), i)


def _rings(pen: _Pen, area: Box, calm: Box) -> None:
    """Any type: concentric rings from two centres, with a dot field."""
    x0, y0, x1, y1 = area
    for n, cx in enumerate((x0 + (x1 - x0) * pen.rng.uniform(0.05, 0.2), x1 - (x1 - x0) * pen.rng.uniform(0.05, 0.2))):
        cy = pen.rng.uniform(y0, y1)
        for k in range(7, 0, -1):
            pen.circle(cx, cy, pen.h * 0.07 * k, n + k, alpha=255 if k % 2 else 0)
    for _ in range(90):
        pen.circle(pen.rng.uniform(x0, x1), pen.rng.uniform(y0, y1), pen.h * pen.rng.uniform(0.004, 0.012),
                   pen.rng.randrange(4))


def _steps(pen: _Pen, area: Box, calm: Box) -> None:
    """Career: a staircase rising to a flag, with a dotted path."""
    x0, y0, x1, y1 = area
    n = pen.rng.randint(6, 9)
    sw, sh = (x1 - x0) / n, (y1 - y0) * 0.6 / n
    for k in range(n):
        pen.rect((x0 + k * sw, y1 - (k + 1) * sh - (y1 - y0) * 0.08, x0 + (k + 1) * sw + 1, y1 + 5), k % 3)
    fx, fy = x1 - sw * 0.5, y1 - n * sh - (y1 - y0) * 0.08
    pen.stroke([(fx, fy), (fx, fy - pen.h * 0.16)], 3, pen.h * 0.008)
    pen.polygon([(fx, fy - pen.h * 0.16), (fx + pen.h * 0.09, fy - pen.h * 0.13), (fx, fy - pen.h * 0.1)], 2)
    for k in range(24):
        t = k / 23
        pen.circle(x0 + (x1 - x0) * t, y1 - (y1 - y0) * (0.15 + 0.55 * t) - pen.h * 0.12, pen.h * 0.006, 3, alpha=160)


def _skyline(pen: _Pen, area: Box, calm: Box) -> None:
    """Real estate: a row of buildings with lit windows."""
    x0, y0, x1, y1 = area
    x = x0
    while x < x1:
        bw = pen.h * pen.rng.uniform(0.1, 0.2)
        top = y1 - (y1 - y0) * pen.rng.uniform(0.3, 0.75)
        i = pen.rng.randrange(4)
        pen.rect((x, top, x + bw, y1 + 5), i, radius=pen.h * 0.006)
        if not pen.art.look.outline:
            step = pen.h * 0.045
            for wy in range(int((y1 - top) / step) - 1):
                for wx in range(max(1, int(bw / step) - 1)):
                    if pen.rng.random() < 0.55:
                        px, py = x + step * (wx + 0.6), top + step * (wy + 0.6)
                        pen.d.rectangle([v * SS for v in (px, py, px + step * 0.45, py + step * 0.55)],
                                        fill=(255, 255, 255, 150))
        x += bw + pen.h * pen.rng.uniform(0.0, 0.04)


def _stripes(pen: _Pen, area: Box, calm: Box) -> None:
    """Sports and cars: diagonal speed stripes and a track line."""
    x0, y0, x1, y1 = area
    slant = (y1 - y0) * 0.6
    x = x0 - slant
    while x < x1:
        sw = pen.h * pen.rng.uniform(0.03, 0.1)
        pen.polygon([(x, y1), (x + sw, y1), (x + sw + slant, y0), (x + slant, y0)], pen.rng.randrange(4),
                    alpha=pen.rng.choice((120, 200, 255)))
        x += sw + pen.h * pen.rng.uniform(0.06, 0.2)
    y = y0 + (y1 - y0) * 0.82
    pen.stroke([(x0, y), (x1, y)], 3, pen.h * 0.012)


def _pulse(pen: _Pen, area: Box, calm: Box) -> None:
    """Health: a heartbeat line across soft circles."""
    x0, y0, x1, y1 = area
    for n in range(5):
        r = pen.h * pen.rng.uniform(0.1, 0.25)
        pen.circle(pen.rng.uniform(x0, x1), pen.rng.uniform(y0, y1), r, n, alpha=120)
    mid = y0 + (y1 - y0) * pen.rng.uniform(0.55, 0.75)
    pts, x = [(x0, mid)], x0
    while x < x1:
        x += pen.h * pen.rng.uniform(0.25, 0.5)
        a = pen.h * pen.rng.uniform(0.1, 0.22)
        pts += [(x, mid), (x + pen.h * 0.03, mid - a), (x + pen.h * 0.06, mid + a * 0.6), (x + pen.h * 0.09, mid)]
        x += pen.h * 0.09
    pen.stroke(pts, 0, pen.h * 0.014)


MOTIFS: dict[str, Callable[[_Pen, Box, Box], None]] = {
    "circuit": _circuit, "chart": _chart, "blobs": _blobs, "mountains": _mountains,
    "waves": _waves, "blocks": _blocks, "bauhaus": _bauhaus, "rings": _rings,
    "steps": _steps, "skyline": _skyline, "stripes": _stripes, "pulse": _pulse,
}
TYPE_IDS = {"tech": "circuit", "finance": "chart", "food": "blobs", "travel": "mountains", "health": "pulse",
            "education": "blocks", "career": "steps", "news": "rings", "culture": "bauhaus", "sports": "stripes",
            "lifestyle": "waves", "auto": "stripes", "realestate": "skyline"}
TYPE_MOTIF = [  # words in a template name → motif
    (("tech", "ai", "digital", "code", "科技", "互联网", "数码", "编程"), "circuit"),
    (("financ", "money", "business", "econom", "invest", "stock", "财经", "商业", "投资", "理财"), "chart"),
    (("food", "cook", "recipe", "美食", "烹饪", "餐"), "blobs"),
    (("travel", "trip", "outdoor", "旅", "户外"), "mountains"),
    (("health", "life", "sport", "fitness", "健康", "生活", "运动", "情感"), "waves"),
    (("edu", "book", "cultur", "history", "read", "教育", "读书", "文化", "历史"), "blocks"),
]


def _motif_name(template: str, rng: random.Random) -> str:
    """The article type's motif: by type id, else by words in the name, else any (seeded)."""
    name = template.lower()
    if name in TYPE_IDS:
        return TYPE_IDS[name]
    for words, motif in TYPE_MOTIF:
        if any(w in name for w in words):
            return motif
    return rng.choice(("bauhaus", "rings", "waves", "blocks"))
