"""The pen: shapes in image coordinates, drawn at SS× on an RGBA layer in the palette's accents,
filled or outlined as the look says; and the emblems (the key visual of a picture)."""

from __future__ import annotations

import math
import random

from PIL import ImageDraw

from .looks import RGB, Look

SS = 2                                   # shapes are drawn at 2× and reduced: smooth edges
Box = tuple[float, float, float, float]


class Pen:
    """Draws shapes in image coordinates on the SS× layer, filled or outlined per the look."""

    def __init__(self, draw: ImageDraw.ImageDraw, rng: random.Random, size: tuple[int, int],
                 accents: list[RGB], look: Look, isometric: bool = False):
        self.d, self.rng, self.accents, self.look, self.isometric = draw, rng, accents, look, isometric
        self.w, self.h = size
        self.line = max(2, int(self.h * 0.006)) * SS

    def colour(self, i: int) -> RGB:
        return self.accents[i % len(self.accents)]

    def _paint(self, i: int, alpha: int = 255) -> dict:
        c = (*self.colour(i), alpha)
        return {"outline": c, "width": self.line} if self.look.outline else {"fill": c}

    def circle(self, x: float, y: float, r: float, i: int, alpha: int = 255) -> None:
        self.d.ellipse([v * SS for v in (x - r, y - r, x + r, y + r)], **self._paint(i, alpha))

    def rect(self, box: Box, i: int, radius: float = 0, alpha: int = 255) -> None:
        self.d.rounded_rectangle([v * SS for v in box], radius=radius * SS, **self._paint(i, alpha))

    def polygon(self, points: list[tuple[float, float]], i: int, alpha: int = 255) -> None:
        pts = [(x * SS, y * SS) for x, y in points]
        if self.look.outline:
            self.d.line(pts + pts[:1], fill=(*self.colour(i), alpha), width=self.line, joint="curve")
        else:
            self.d.polygon(pts, fill=(*self.colour(i), alpha))

    def pieslice(self, box: Box, start: float, end: float, i: int, alpha: int = 255) -> None:
        self.d.pieslice([v * SS for v in box], start, end, **self._paint(i, alpha))

    def light(self, box: Box, alpha: int = 150) -> None:
        """A white patch (a lit window, a highlight) whatever the palette."""
        self.d.rectangle([v * SS for v in box], fill=(255, 255, 255, alpha))

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
        kinds = ("cubes",) if self.isometric else ("disc", "ring", "burst", "trio")
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
