"""Painting in place on an RGB picture with smooth edges and no full-size layers: each shape is drawn
at 2× on a mask the size of its own box, reduced, and pasted in one colour."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from .looks import RGB

Box = tuple[float, float, float, float]
Points = list[tuple[float, float]]
ToMask = Callable[[float, float], tuple[float, float]]           # picture xy → xy on the shape's own mask
Draw = Callable[[ImageDraw.ImageDraw, ToMask], None]
SS = 2


def _mask(box: Box, draw: Draw, alpha: int) -> tuple[Image.Image, tuple[int, int]]:
    """An L mask covering `box` (whole pixels), drawn at SS× by `draw(d, to_mask_xy)`."""
    x0, y0 = int(box[0]) - 1, int(box[1]) - 1
    w, h = int(box[2]) - x0 + 2, int(box[3]) - y0 + 2
    mask = Image.new("L", (w * SS, h * SS), 0)
    draw(ImageDraw.Draw(mask), lambda x, y: ((x - x0) * SS, (y - y0) * SS))
    mask = mask.reduce(SS)
    if alpha < 255:
        mask = mask.point(lambda v: v * alpha // 255)
    return mask, (x0, y0)


def _paste(image: Image.Image, colour: RGB, mask: Image.Image, at: tuple[int, int]) -> None:
    image.paste(colour, (*at, at[0] + mask.width, at[1] + mask.height), mask)


def ellipse(image: Image.Image, box: Box, colour: RGB, alpha: int = 255, width: float = 0) -> None:
    """A filled ellipse (or its outline when `width`)."""
    def draw(d: ImageDraw.ImageDraw, t: ToMask) -> None:
        a, b = t(box[0], box[1]), t(box[2], box[3])
        if width:
            d.ellipse((*a, *b), outline=255, width=max(1, round(width * SS)))
        else:
            d.ellipse((*a, *b), fill=255)
    _paste(image, colour, *_mask(box, draw, alpha))


def polygon(image: Image.Image, points: Points, colour: RGB, alpha: int = 255) -> None:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    def draw(d: ImageDraw.ImageDraw, t: ToMask) -> None:
        d.polygon([t(x, y) for x, y in points], fill=255)
    _paste(image, colour, *_mask((min(xs), min(ys), max(xs), max(ys)), draw, alpha))


def line(image: Image.Image, points: Points, colour: RGB, width: float, alpha: int = 255) -> None:
    pad = width
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    def draw(d: ImageDraw.ImageDraw, t: ToMask) -> None:
        d.line([t(x, y) for x, y in points], fill=255, width=max(1, round(width * SS)), joint="curve")
    _paste(image, colour, *_mask((min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad), draw, alpha))


def rounded(image: Image.Image, box: Box, radius: float, colour: RGB, alpha: int = 255) -> None:
    def draw(d: ImageDraw.ImageDraw, t: ToMask) -> None:
        d.rounded_rectangle((*t(box[0], box[1]), *t(box[2], box[3])), radius=radius * SS, fill=255)
    _paste(image, colour, *_mask(box, draw, alpha))


def blob_points(rng: random.Random, cx: float, cy: float, rx: float, ry: float, wobble: float = 0.18,
                n: int = 28) -> Points:
    """A closed organic outline around (cx, cy): an ellipse whose radius wanders smoothly."""
    phases = [rng.uniform(0, math.tau) for _ in range(3)]
    pts = []
    for k in range(n):
        a = math.tau * k / n
        r = 1 + wobble * sum(math.sin(a * (f + 2) + p) / (f + 1) for f, p in enumerate(phases)) / 1.8
        pts.append((cx + rx * r * math.cos(a), cy + ry * r * math.sin(a)))
    return pts


def soft(image: Image.Image, box: Box, draw: Draw, colour: RGB, alpha: int, blur: float) -> None:
    """A shape with soft edges (a wash, a glow, a shadow): drawn at a quarter size, blurred, enlarged."""
    k = 4
    x0, y0 = int(box[0] - 3 * blur), int(box[1] - 3 * blur)
    x1, y1 = int(box[2] + 3 * blur) + 1, int(box[3] + 3 * blur) + 1
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(image.width, x1), min(image.height, y1)
    if x1 - x0 < k or y1 - y0 < k:
        return
    small = Image.new("L", ((x1 - x0) // k + 1, (y1 - y0) // k + 1), 0)
    draw(ImageDraw.Draw(small), lambda x, y: ((x - x0) / k, (y - y0) / k))
    small = small.filter(ImageFilter.GaussianBlur(max(0.5, blur / k)))
    mask = small.resize(((x1 - x0), (y1 - y0)), Image.Resampling.BILINEAR)
    if alpha < 255:
        mask = mask.point(lambda v: v * alpha // 255)
    image.paste(colour, (x0, y0, x1, y1), mask)


def soft_polygon(image: Image.Image, points: Points, colour: RGB, alpha: int, blur: float) -> None:
    """A polygon with soft edges (a wash, a shadow)."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]

    def draw(d: ImageDraw.ImageDraw, t: ToMask) -> None:
        d.polygon([t(x, y) for x, y in points], fill=255)

    soft(image, (min(xs), min(ys), max(xs), max(ys)), draw, colour, alpha, blur)


def soft_ellipse(image: Image.Image, box: Box, colour: RGB, alpha: int, blur: float) -> None:
    """An ellipse with soft edges (bokeh, a glow)."""
    def draw(d: ImageDraw.ImageDraw, t: ToMask) -> None:
        d.ellipse((*t(box[0], box[1]), *t(box[2], box[3])), fill=255)

    soft(image, box, draw, colour, alpha, blur)


def grain(image: Image.Image, rng: random.Random, strength: float) -> Image.Image:
    """Paper texture: seeded noise, made at half size and enlarged, added around mid-grey."""
    w, h = image.size
    noise = Image.frombytes("L", (w // 2 + 1, h // 2 + 1), rng.randbytes((w // 2 + 1) * (h // 2 + 1)))
    noise = noise.resize((w, h), Image.Resampling.BILINEAR).point(lambda v: 128 + int((v - 128) * strength / 128))
    return ImageChops.subtract(image, Image.merge("RGB", [noise] * 3), offset=128)
