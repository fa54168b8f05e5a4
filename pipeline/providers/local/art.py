"""Compositions: the cover (title card in the centre square) and the inline/marker illustration
(a scene with a caption card or side panel), over a background and a layer of shapes."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from ...config import Config
from ...fonts import cjk_font, drawable
from ...models import ImagePlan
from ...typography import TitleLayout, contrast_ratio, fit_title, text_contrast
from .looks import LOOKS, RGB, choose_palette
from .motifs import MOTIFS, motif_for
from .pen import SS, Box, Pen


class Art:
    """One image being drawn: the plan's palette, look, motif and a seeded random source."""

    def __init__(self, plan: ImagePlan, cfg: Config):
        self.plan, self.cfg = plan, cfg
        self.w, self.h = plan.width, plan.height
        digest = hashlib.sha256(f"{plan.seed}|{plan.key}|{plan.prompt}".encode()).digest()
        self.rng = random.Random(int.from_bytes(digest[:8], "big"))
        self.pal = choose_palette(plan)
        self.look = LOOKS.get(plan.style, LOOKS["flat"])
        self.motif = MOTIFS[motif_for(plan.template, self.rng)]
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

    def shapes(self, draw_fn: Callable[[Pen], None]) -> Image.Image:
        """An RGBA layer of shapes drawn at SS× by `draw_fn` and reduced, styled by the look."""
        layer = Image.new("RGBA", (self.w * SS, self.h * SS), (0, 0, 0, 0))
        draw_fn(Pen(ImageDraw.Draw(layer), self.rng, (self.w, self.h), self.accents, self.look,
                    isometric=self.plan.style == "isometric"))
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
        image = self.lay(image, self.shapes(lambda pen: (self.motif(pen, (0, 0, w, h)), pen.emblem(card))))
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
        image = self.lay(image, self.shapes(lambda pen: (self.motif(pen, scene),
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
