"""Compositions: pictures of the plan's subjects from the art set, arranged over a backdrop painted
the style's way. A cover sets its title (and the brand's name or logo) in the centre square with the
key subject; the other subjects stand in the wings the 1:1 crop leaves out. An inline or marker
picture carries no text at all. Where no subject has a picture, an abstract pattern of the article
type is drawn instead and `reason` says why."""

from __future__ import annotations

import hashlib
import itertools
import math
import random
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

from ...brand import draw_mark
from ...brand import has_mark as brand_has_mark
from ...config import Brand, Config
from ...models import ImagePlan
from ...typography import TitleLayout, contrast_ratio, cover_layout, text_contrast
from . import paint
from .artset import installed
from .looks import LOOKS, RGB, Palette, choose_palette, palette_of
from .motifs import MOTIFS, motif_for
from .pen import SS, Pen
from .raster import picture
from .subjects import Found, Picker, aliases

Box = tuple[float, float, float, float]
WHITE, NIGHT = (255, 255, 255), (20, 20, 28)
PLACEMENT = {"minimal": "top", "isometric": "top", "papercut": "top"}   # the title's place when the brand says auto


@dataclass
class Spot:
    """Where one picture goes: centred on cx, standing on `base`, `size` px square, turned `angle`°."""

    found: Found
    cx: float
    base: float
    size: int
    angle: float = 0.0
    hero: bool = False


def pick(plan: ImagePlan, cfg: Config, limit: int) -> tuple[list[Found], str]:
    """Pictures for the plan's subjects, and why there are none when there are none."""
    art = installed()
    if art is None:
        return [], "the art set is not installed (run `make art`; it needs npm): drew a pattern"
    subjects = [s for s in plan.subjects if s.strip()]
    if not subjects:
        return [], "the plan names no subjects: drew a pattern"
    from ...prompts.planner import library_for

    glossary = library_for(cfg).glossary()
    picker = Picker(art, aliases(cfg.path(cfg.paths.glossary).with_name("pictures.yaml"), art), glossary.segment)
    found = picker.choose(subjects, limit)
    if not found:
        return [], f"no picture for {'、'.join(subjects[:6])}: drew a pattern"
    return found, ""


class Art:
    """One image being drawn: the plan, its brand's palette and type, a seeded random source."""

    def __init__(self, plan: ImagePlan, cfg: Config):
        self.plan, self.cfg = plan, cfg
        self.w, self.h = plan.width, plan.height
        digest = hashlib.sha256(f"{plan.seed}|{plan.key}|{plan.prompt}".encode()).digest()
        self.rng = random.Random(int.from_bytes(digest[:8], "big"))
        self.brand: Brand = cfg.brand_for(plan.account)
        self.pal: Palette = palette_of(self.brand.palette, self.brand.text) if self.brand.palette \
            else choose_palette(plan)
        if self.brand.text and not self.brand.palette:
            self.pal = replace(self.pal, ink=palette_of([self.brand.text] * 2, self.brand.text).ink)
        self.look = LOOKS.get(plan.style, LOOKS["flat"])
        font = self.brand.font or cfg.paths.font
        self.font_path: Path | None = cfg.path(font) if font else None
        accents = list(self.pal.accents)
        self.rng.shuffle(accents)
        if self.look.art == "line":                          # one accent colour: the boldest
            accents.sort(key=lambda c: max(c) - min(c), reverse=True)
        self.accents = accents
        self.title_mask: Image.Image | None = None
        self.title_size = 0
        limit = 3
        self.found, self.reason = pick(plan, cfg, limit)

    @property
    def depicts(self) -> list[str]:
        return [f.subject for f in self.found]

    # --- backdrops ----------------------------------------------------------------------------

    def backdrop(self) -> Image.Image:
        """The picture's ground, painted the look's way."""
        image = Image.new("RGB", (self.w, self.h), self.pal.bg)
        getattr(self, "_ground_" + self.look.ground)(image)
        if self.look.grain:
            image = paint.grain(image, self.rng, self.look.grain)
        return image

    def _ground_flat(self, image: Image.Image) -> None:
        """Flat colour fields: one of four arrangements (the article's seed picks), a tinted accent
        disc and a dot grid."""
        w, h, rng = self.w, self.h, self.rng
        left = rng.random() < 0.5
        shape = rng.randrange(4)
        if shape == 0:                                       # a large disc to one side
            r = h * rng.uniform(0.55, 0.75)
            cx = w * (rng.uniform(0.05, 0.25) if left else rng.uniform(0.75, 0.95))
            paint.ellipse(image, (cx - r, h * 0.55 - r, cx + r, h * 0.55 + r), self.pal.bg2)
        elif shape == 1:                                     # a floor
            paint.rounded(image, (-h, h * rng.uniform(0.62, 0.72), w + h, h * 2), h * 0.1, self.pal.bg2)
        elif shape == 2:                                     # an arch behind the centre
            r = h * rng.uniform(0.48, 0.58)
            paint.ellipse(image, (w / 2 - r, h * 0.35, w / 2 + r, h * 0.35 + 2 * r), self.pal.bg2)
            paint.rounded(image, (w / 2 - r, h * 0.35 + r, w / 2 + r, h * 1.5), 0, self.pal.bg2)
        else:                                                # a diagonal band
            y0, y1 = h * rng.uniform(0.2, 0.5), h * rng.uniform(0.7, 1.0)
            band = [(-10.0, y0), (w + 10.0, y0 - h * 0.5), (w + 10.0, y1 - h * 0.5), (-10.0, y1)]
            paint.polygon(image, band if left else [(w - x, y) for x, y in band], self.pal.bg2)
        r2 = h * rng.uniform(0.12, 0.2)
        cx2 = w * (rng.uniform(0.7, 0.95) if left else rng.uniform(0.05, 0.3))
        cy2 = h * rng.uniform(0.12, 0.3)
        paint.ellipse(image, (cx2 - r2, cy2 - r2, cx2 + r2, cy2 + r2), self.accents[0], alpha=60)
        dot, step = h * 0.008, h * 0.045
        gx, gy = (w * 0.05 if not left else w * 0.82), h * rng.uniform(0.6, 0.75)
        for i in range(5):
            for j in range(4):
                x, y = gx + i * step, gy + j * step
                paint.ellipse(image, (x - dot, y - dot, x + dot, y + dot), self.accents[1 % len(self.accents)],
                              alpha=120)

    def _ground_minimal(self, image: Image.Image) -> None:
        w, h, rng = self.w, self.h, self.rng
        r = h * rng.uniform(0.3, 0.42)
        cx = w * rng.choice((0.2, 0.8))
        paint.ellipse(image, (cx - r, h * 0.45 - r, cx + r, h * 0.45 + r), self.accents[0], width=max(1.5, h / 300))
        y = h * 0.84
        paint.line(image, [(w * 0.05, y), (w * 0.95, y)], self.pal.ink, max(1.2, h / 420))

    def _ground_wash(self, image: Image.Image) -> None:
        w, h, rng = self.w, self.h, self.rng
        for n in range(4):
            cx, cy = rng.uniform(0, w), rng.uniform(h * 0.2, h)
            rx, ry = h * rng.uniform(0.35, 0.6), h * rng.uniform(0.2, 0.35)
            paint.soft_polygon(image, paint.blob_points(rng, cx, cy, rx, ry, 0.3), self.accents[n % len(self.accents)],
                               70, h * 0.03)

    def _ground_ink(self, image: Image.Image) -> None:
        """Rice paper, a vermilion sun, two far ridges in ink wash fading into mist below their crests."""
        w, h, rng = self.w, self.h, self.rng
        red = next((a for a in self.pal.accents if a[0] > 150 and a[1] < 100), self.accents[-1])
        r = h * 0.08
        sx = w * rng.choice((0.1, 0.9))
        paint.ellipse(image, (sx - r, h * 0.14, sx + r, h * 0.14 + 2 * r), red, alpha=220)
        k = 4
        sw, sh = w // k + 1, h // k + 1
        for layer, alpha in ((0, 70), (1, 110)):
            base = sh * (0.55 + layer * 0.2)
            phases = [rng.uniform(0, math.tau) for _ in range(3)]
            pts = [(0.0, float(sh))]
            for i in range(61):
                x = sw * i / 60
                t = x / sw * math.tau
                y = base - sh * (0.16 - layer * 0.05) * (0.55 + 0.25 * math.sin(t * 1.3 + phases[0])
                                                          + 0.2 * math.sin(t * 3.1 + phases[1])
                                                          + 0.12 * abs(math.sin(t * 7.3 + phases[2])))
                pts.append((x, y))
            pts.append((float(sw), float(sh)))
            mask = Image.new("L", (sw, sh), 0)
            ImageDraw.Draw(mask).polygon(pts, fill=255)
            crest = min(y for _, y in pts)
            fade = Image.linear_gradient("L").transpose(Image.Transpose.FLIP_TOP_BOTTOM).resize(
                (sw, max(1, int(sh * 0.3))))
            veil = Image.new("L", (sw, sh), 0)
            veil.paste(255, (0, 0, sw, int(crest)))
            veil.paste(fade, (0, int(crest)))
            mask = ImageChops.multiply(mask, veil).filter(ImageFilter.GaussianBlur(1.2))
            mask = mask.resize((w, h), Image.Resampling.BILINEAR).point(lambda v, a=alpha: v * a // 255)
            image.paste(self.pal.ink, (0, 0), mask)

    def _ground_paper(self, image: Image.Image) -> None:
        w, h, rng = self.w, self.h, self.rng
        for layer in range(3):
            base = h * (0.66 + layer * 0.11)
            amp, per, phase = h * rng.uniform(0.03, 0.06), h * rng.uniform(0.7, 1.2), rng.uniform(0, math.tau)
            pts = [(-10.0, h + 10.0)] + [(w * k / 60, base + amp * math.sin(phase + w * k / 60 / per * math.tau))
                                         for k in range(61)] + [(w + 10.0, h + 10.0)]
            shadow = [(x, y - h * 0.012) for x, y in pts]
            paint.soft_polygon(image, shadow, (0, 0, 0), 60, h * 0.012)
            paint.polygon(image, pts, self.accents[layer % len(self.accents)])

    def _ground_isometric(self, image: Image.Image) -> None:
        w, h = self.w, self.h
        ramp = Image.linear_gradient("L").resize((w, h))
        image.paste(Image.composite(Image.new("RGB", (w, h), self.pal.bg2), image, ramp.point(lambda v: v * 3 // 5)))
        step = h / 7
        grid = _mix(self.pal.bg, WHITE, 0.1)
        for k in range(-12, int(w / step) + 12):
            x = k * step
            paint.line(image, [(x, 0), (x + h / math.tan(math.pi / 6), h)], grid, max(1.0, h / 500), alpha=120)
            paint.line(image, [(x, h), (x + h / math.tan(math.pi / 6), 0)], grid, max(1.0, h / 500), alpha=120)

    def _ground_night(self, image: Image.Image) -> None:
        w, h, rng = self.w, self.h, self.rng
        ramp = Image.linear_gradient("L").resize((w, h))
        image.paste(Image.composite(Image.new("RGB", (w, h), self.pal.bg2), image, ramp))
        for n in range(9):
            r = h * rng.uniform(0.04, 0.14)
            cx, cy = rng.uniform(0, w), rng.uniform(0, h * 0.7)
            paint.soft_ellipse(image, (cx - r, cy - r, cx + r, cy + r), self.accents[n % len(self.accents)], 70,
                               r * 0.35)

    # --- pictures -----------------------------------------------------------------------------

    def art_image(self, name: str, size: int) -> Image.Image:
        paper = self.pal.bg if self.look.art != "duotone" else _mix(self.pal.bg, (0, 0, 0), 0.2)
        ink = self.pal.ink if not self.pal.dark else WHITE
        return picture(name, size, self.look.art, ink, paper, tuple(self.accents))

    def place(self, image: Image.Image, spot: Spot) -> Box:
        """Draw one picture (with its plinth, shadow or glow) standing on spot.base; returns its box."""
        art = self.art_image(spot.found.piece, spot.size)
        if spot.angle:
            art = art.rotate(spot.angle, resample=Image.Resampling.BICUBIC, expand=True)
        ink = art.getchannel("A").getbbox() or (0, 0, art.width, art.height)
        s, ground = spot.size, self.look.ground
        standing = spot.base > self.h * 0.6
        base = spot.base - self.plinth_height(s)             # on a plinth that stands on the base line
        x0 = round(spot.cx - (ink[0] + ink[2]) / 2)
        y0 = round(base - ink[3])                            # what is drawn stands on its base
        box = (float(x0 + ink[0]), float(y0 + ink[1]), float(x0 + ink[2]), float(y0 + ink[3]))
        if ground == "isometric":
            self.plinth(image, spot.cx, base, s)
        elif ground == "flat" and standing:
            paint.ellipse(image, (spot.cx - s * 0.36, spot.base - s * 0.05, spot.cx + s * 0.36, spot.base + s * 0.04),
                          _mix(self.pal.bg2, self.pal.ink, 0.12))
        elif ground == "minimal" and spot.hero:
            off = s * 0.06
            blob = paint.blob_points(self.rng, spot.cx + off, spot.base - s * 0.45 + off, s * 0.42, s * 0.4, 0.12)
            paint.polygon(image, blob, self.accents[0], alpha=150)
        if self.look.art in ("paper", "duotone"):
            shade = art.getchannel("A").filter(ImageFilter.GaussianBlur(max(1.0, s / 40)))
            colour = (0, 0, 0) if self.look.art == "paper" else self.accents[0]
            dx, dy = (s * 0.03, s * 0.05) if self.look.art == "paper" else (0, 0)
            image.paste(colour, (x0 + round(dx), y0 + round(dy)), shade.point(lambda v: v * 2 // 5))
        image.paste(art, (x0, y0), art)
        return box

    def plinth_height(self, size: float) -> float:
        """How far below a picture's base its plinth reaches (isometric only)."""
        return size * (0.2 * math.tan(math.pi / 6) * 0.45 + 0.45 * math.tan(math.pi / 6) + 0.15) \
            if self.look.ground == "isometric" else 0.0

    def plinth(self, image: Image.Image, cx: float, base: float, size: int) -> None:
        """An isometric block for a picture to stand on: top face in the light accent, two shaded sides."""
        hw = size * 0.45
        hh = hw * math.tan(math.pi / 6)
        depth = size * 0.15
        top_y = base + hh * 0.2
        top = [(cx - hw, top_y), (cx, top_y - hh), (cx + hw, top_y), (cx, top_y + hh)]
        left = [(cx - hw, top_y), (cx, top_y + hh), (cx, top_y + hh + depth), (cx - hw, top_y + depth)]
        right = [(cx + hw, top_y), (cx, top_y + hh), (cx, top_y + hh + depth), (cx + hw, top_y + depth)]
        colour = self.accents[0]
        for face, shade in ((left, 0.7), (right, 0.5), (top, 1.0)):
            paint.polygon(image, face, _mix((0, 0, 0), colour, shade) if shade < 1 else _mix(colour, WHITE, 0.25))

    # --- text --------------------------------------------------------------------------------

    def ink_on(self, image: Image.Image, box: Box) -> RGB:
        """The palette's ink (the brand's text colour, if it set one) where it reads on that region,
        else white or dark, whichever reads better."""
        mean = ImageStat.Stat(image.crop(box)).mean
        region = (round(mean[0]), round(mean[1]), round(mean[2]))
        if contrast_ratio(region, self.pal.ink) >= 4.5:
            return self.pal.ink
        return max((WHITE, NIGHT), key=lambda c: contrast_ratio(region, c))

    def set_text(self, image: Image.Image, layout: TitleLayout, xy: tuple[float, float], width: float,
                 colour: RGB) -> float:
        """Draw the title; if it measures under 4.5:1 on the final pixels, lay a panel under it."""
        x, y = xy
        pad = layout.size * 0.4
        box = (int(x - pad), int(y - pad), int(x + width + pad) + 1, int(y + layout.height + pad) + 1)
        mask = Image.new("L", image.size, 0)
        layout.draw(ImageDraw.Draw(mask), xy, 255, align="center", width=width)
        self.title_mask, self.title_size = mask, layout.size
        local = mask.crop(box)
        trial = image.crop(box)
        trial.paste(colour, (0, 0), local)
        if text_contrast(trial, local, layout.size) >= 4.5:
            image.paste(trial, box[:2])
            return 4.5
        panel = self.pal.bg if contrast_ratio(self.pal.bg, colour) >= 4.5 else (WHITE if colour != WHITE else NIGHT)
        paint.rounded(image, box, pad, panel)
        image.paste(colour, (0, 0), mask)
        return text_contrast(image, mask, layout.size)

    # --- compositions ------------------------------------------------------------------------

    def cover(self) -> Image.Image:
        """The cover: title (and brand) in the centre square with the key subject; the other
        subjects stand in the wings that the 2.35:1 feed shows and the 1:1 card leaves out."""
        w, h = self.w, self.h
        side = min(w, h)
        sx, sy = (w - side) / 2, (h - side) / 2
        m = side * 0.08
        col_w = side - 2 * m
        image = self.backdrop()
        if not self.found:
            self.pattern(image)
        placement: str = self.brand.title_placement
        if placement == "auto":
            placement = PLACEMENT.get(self.plan.style, "bottom")
        if not self.found:
            placement = "middle"
        has_mark = brand_has_mark(self.brand, self.font_path)
        mark_h = side * 0.05 if has_mark else 0.0
        stack = placement != "middle"
        layout = cover_layout(self.plan.title, self.plan.display_title, col_w,
                              side * (0.4 if stack else 0.56) - (mark_h * 1.6 if not stack else 0),
                              weight=self.look.weight, font_path=self.font_path)
        hero, others = (self.found[0], self.found[1:]) if self.found else (None, [])
        gap = side * 0.05
        if stack and hero is not None:
            room = side - 2 * m - layout.height - gap - (mark_h + gap if has_mark else 0)
            hero_size = int(min(side * 0.46, room / (1 + self.plinth_height(1.0))))
            block = hero_size + self.plinth_height(hero_size) + gap + layout.height
            top = sy + (side - block - (mark_h + gap if has_mark else 0)) / 2 + (mark_h + gap if has_mark else 0)
            if placement == "bottom":
                art_top, title_y = top, top + hero_size + self.plinth_height(hero_size) + gap
            else:
                title_y, art_top = top, top + layout.height + gap
            mark_y = top - mark_h - gap if placement == "bottom" else \
                art_top + hero_size + self.plinth_height(hero_size) + gap * 0.6
            if placement == "top":
                mark_y = min(mark_y, sy + side - m - mark_h)
        else:
            block = layout.height + (mark_h + gap if has_mark else 0)
            title_y = sy + (side - block) / 2 + (mark_h + gap if has_mark else 0)
            mark_y = title_y - mark_h - gap
        self.wings(image, others if hero is not None and stack else self.found, sx, side)
        if stack and hero is not None:
            self.place(image, Spot(hero, w / 2, art_top + hero_size + self.plinth_height(hero_size), hero_size,
                                   hero=True))
        tx = sx + m + (col_w - layout.width) / 2
        region = (tx, title_y, tx + layout.width, title_y + layout.height)
        if not stack or not self.found:
            self.card(image, (sx + m * 0.7, title_y - m * 0.6 - (mark_h + gap if has_mark else 0),
                              sx + side - m * 0.7, title_y + layout.height + m * 0.6))
        colour = self.ink_on(image, region)
        self.set_text(image, layout, (tx, title_y), layout.width, colour)
        if has_mark:
            draw_mark(image, self.brand, self.cfg, w / 2, mark_y, mark_h, colour, self.font_path)
        return image

    def wings(self, image: Image.Image, found: list[Found], sx: float, side: float) -> None:
        """Pictures beside the centre square (the feed shows them; the 1:1 card does not): one or
        two to a wing; with two, a large one low and inward, a small one high and outward."""
        w, h = self.w, self.h
        if not found or sx < h * 0.25:
            return
        size = min(sx * 0.8, h * 0.58)
        centres = [sx / 2, w - sx / 2]
        if self.rng.random() < 0.5:
            centres.reverse()
        tilt = self.look.ground not in ("isometric", "minimal")
        for cx, items in zip(centres, (found[0::2][:2], found[1::2][:2]), strict=True):
            out = -1 if cx < w / 2 else 1
            spots = [(cx, h * 0.8, size)] if len(items) == 1 else \
                [(cx - out * sx * 0.1, h * 0.86, size * 0.88), (cx + out * sx * 0.2, h * 0.4, size * 0.5)]
            for f, (x, base, s) in zip(items, spots, strict=False):
                angle = self.rng.uniform(-9, 9) if tilt else 0.0
                base = min(base + self.rng.uniform(-0.02, 0.02) * h, h * 0.95)
                self.place(image, Spot(f, x, base, int(s / (1 + self.plinth_height(1.0) * 0.6)), angle))

    def card(self, image: Image.Image, box: Box) -> None:
        """A quiet panel behind a title set over a pattern."""
        radius = self.h * 0.035
        if self.look.ground == "flat":
            off = self.h * 0.018
            paint.rounded(image, (box[0] + off, box[1] + off, box[2] + off, box[3] + off), radius, self.pal.ink)
        fill = _mix(self.pal.bg, WHITE, 0.45) if not self.pal.dark else _mix(self.pal.bg, (0, 0, 0), 0.2)
        paint.rounded(image, box, radius, fill, alpha=235)

    def illustration(self) -> Image.Image:
        """An inline or marker picture: the subjects in a scene, no text."""
        image = self.backdrop()
        if not self.found:
            self.pattern(image)
            return image
        kind = self.plan.kind if self.plan.kind in ("scene", "object", "pattern", "diagram", "map") else ""
        if not kind:
            kind = "object" if len(self.found) == 1 else self.rng.choice(("scene", "scene", "pattern", "object"))
        if self.w < self.h * 1.15 and kind in ("scene", "diagram", "map"):
            kind = "object"
        getattr(self, "_" + kind)(image)
        return image

    def _scene(self, image: Image.Image) -> None:
        """The key subject large on one side, the others smaller on the other, on one ground."""
        w, h = self.w, self.h
        ground = h * 0.84
        left = self.rng.random() < 0.5
        hero, others = self.found[0], self.found[1:]
        self.place(image, Spot(hero, w * (0.32 if left else 0.68), ground, int(h * 0.62), hero=True))
        for n, f in enumerate(others):
            x = w * ((0.68 if left else 0.32) + (0.12 if n else -0.06) * (1 if left else -1))
            base = ground - (h * 0.3 if n else 0)
            angle = self.rng.uniform(-8, 8) if self.look.ground not in ("isometric", "minimal") else 0.0
            self.place(image, Spot(f, x, base, int(h * (0.36 if n else 0.42)), angle))

    def _object(self, image: Image.Image) -> None:
        """One subject centred on a stage, the others small around it."""
        w, h = self.w, self.h
        r = h * 0.4
        cx, cy = w / 2, h * 0.5
        if self.look.ground in ("flat", "paper", "wash"):
            paint.ellipse(image, (cx - r, cy - r, cx + r, cy + r), _mix(self.accents[0], self.pal.bg, 0.55))
        elif self.look.ground == "night":                    # a ring of light, not a disc the duotone sinks into
            paint.ellipse(image, (cx - r, cy - r, cx + r, cy + r), self.accents[0], width=max(2, h / 110))
        size = int(min(w, h) * 0.6)
        self.place(image, Spot(self.found[0], cx, cy + size * 0.5, size, hero=True))
        side = 1 if self.rng.random() < 0.5 else -1
        spots = ((cx - side * r * 1.6, h * 0.86, 0.34), (cx + side * r * 1.55, h * 0.5, 0.28))
        for f, (x, base, k) in zip(self.found[1:], spots, strict=False):
            if 0 < x < w:
                self.place(image, Spot(f, x, base, int(h * k), self.rng.uniform(-10, 10)))

    def _pattern(self, image: Image.Image) -> None:
        """A faint wallpaper of all the subjects, with the key one large in a ring in the middle."""
        w, h = self.w, self.h
        step = h * 0.3
        tiles = [self.art_image(f.piece, int(h * 0.15)) for f in self.found]
        faint = [t.getchannel("A").point(lambda v: v * 35 // 100) for t in tiles]
        k = 0
        for row in range(int(h / step) + 2):
            for col in range(int(w / step) + 2):
                x = col * step + (step / 2 if row % 2 else 0) - step * 0.4
                y = row * step - step * 0.4
                image.paste(tiles[k % len(tiles)].convert("RGB"), (round(x), round(y)), faint[k % len(tiles)])
                k += 1
        r = h * 0.4
        paint.ellipse(image, (w / 2 - r, h / 2 - r, w / 2 + r, h / 2 + r), self.pal.bg)
        paint.ellipse(image, (w / 2 - r, h / 2 - r, w / 2 + r, h / 2 + r), self.accents[0], width=max(2, h / 110))
        size = int(h * 0.56)
        self.place(image, Spot(self.found[0], w / 2, h / 2 + size * 0.42, size, hero=True))

    def _diagram(self, image: Image.Image) -> None:
        """The subjects in a row, left to right, with arrows between: a sequence or a cause."""
        w, h = self.w, self.h
        n = len(self.found)
        cell = w / n
        size = int(min(cell * 0.62, h * 0.5))
        for i, f in enumerate(self.found):
            cx = cell * (i + 0.5)
            r = size * 0.68
            paint.ellipse(image, (cx - r, h / 2 - r, cx + r, h / 2 + r), _mix(self.accents[i % len(self.accents)],
                                                                             self.pal.bg, 0.6))
            self.place(image, Spot(f, cx, h / 2 + size / 2, size))
            if i < n - 1:
                ax, aw = cell * (i + 1), cell * 0.08
                paint.line(image, [(ax - aw, h / 2), (ax + aw, h / 2)], self.pal.ink, h / 90)
                paint.polygon(image, [(ax + aw * 1.6, h / 2), (ax + aw * 0.6, h / 2 - aw * 0.6),
                                      (ax + aw * 0.6, h / 2 + aw * 0.6)], self.pal.ink)

    def _map(self, image: Image.Image) -> None:
        """A dotted route winding across, the subjects standing along it."""
        w, h = self.w, self.h
        n = len(self.found)
        pts = [(w * (0.12 + 0.76 * i / max(1, n - 1)), h * (0.72 if i % 2 else 0.5)) for i in range(n)]
        path = []
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            for k in range(12):
                t = k / 12
                path.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t + math.sin(t * math.pi) * h * 0.08))
        for i, (x, y) in enumerate(path):
            if i % 2 == 0:
                paint.ellipse(image, (x - h * 0.007, y - h * 0.007, x + h * 0.007, y + h * 0.007), self.pal.ink)
        size = int(min(h * 0.4, w / max(n, 1) * 0.7))
        for f, (x, y) in zip(self.found, pts, strict=True):
            paint.ellipse(image, (x - size * 0.3, y - size * 0.06, x + size * 0.3, y + size * 0.06),
                          _mix(self.pal.bg2, self.pal.ink, 0.15))
            self.place(image, Spot(f, x, y, size))

    def pattern(self, image: Image.Image) -> None:
        """The article type's abstract pattern over the whole picture (when no subject has a picture)."""
        look = self.look
        layer = Image.new("RGBA", (self.w * SS, self.h * SS), (0, 0, 0, 0))
        motif = MOTIFS[motif_for(self.plan.template, self.rng)]
        motif(Pen(ImageDraw.Draw(layer), self.rng, (self.w, self.h), self.accents, look), (0, 0, self.w, self.h))
        layer = layer.reduce(SS)
        alpha = layer.getchannel("A")
        if look.blur:
            alpha = alpha.filter(ImageFilter.GaussianBlur(look.blur * self.h / 576))
        image.paste(layer.convert("L").convert("RGB") if look.grey else layer.convert("RGB"), (0, 0),
                    alpha.point(lambda v: v * look.alpha // 255))


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))
