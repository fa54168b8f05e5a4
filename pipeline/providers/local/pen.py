"""The pen: shapes in image coordinates, drawn at SS× on an RGBA layer in the palette's accents,
filled or outlined as the look says (the abstract patterns drawn when no subject has a picture)."""

from __future__ import annotations

import random

from PIL import ImageDraw

from .looks import RGB, Look

SS = 2                                   # shapes are drawn at 2× and reduced: smooth edges
Box = tuple[float, float, float, float]


class Pen:
    """Draws shapes in image coordinates on the SS× layer, filled or outlined per the look."""

    def __init__(self, draw: ImageDraw.ImageDraw, rng: random.Random, size: tuple[int, int],
                 accents: list[RGB], look: Look):
        self.d, self.rng, self.accents, self.look = draw, rng, accents, look
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
