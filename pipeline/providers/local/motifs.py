"""Motifs: what a picture shows for each article type (the style decides how it is drawn)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from .pen import Box, Pen


def _circuit(pen: Pen, area: Box) -> None:
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


def _chart(pen: Pen, area: Box) -> None:
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


def _blobs(pen: Pen, area: Box) -> None:
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


def _mountains(pen: Pen, area: Box) -> None:
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


def _waves(pen: Pen, area: Box) -> None:
    """Life and health: stacked soft waves."""
    x0, y0, x1, y1 = area
    for layer in range(5):
        base = y0 + (y1 - y0) * (0.35 + layer * 0.14)
        amp, per = pen.h * pen.rng.uniform(0.03, 0.07), pen.h * pen.rng.uniform(0.6, 1.1)
        phase = pen.rng.uniform(0, math.tau)
        pts = [(x0 - 10, y1 + 10)]
        for k in range(121):
            x = x0 + (x1 - x0) * k / 120
            pts.append((x, base + amp * math.sin(phase + x / per * math.tau)))
        pts.append((x1 + 10, y1 + 10))
        pen.polygon(pts, layer, alpha=150 + layer * 20)


def _blocks(pen: Pen, area: Box) -> None:
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


def _bauhaus(pen: Pen, area: Box) -> None:
    """Any type: a tile grid of quarter circles, halves, triangles and dots."""
    x0, y0, x1, _ = area
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


def _rings(pen: Pen, area: Box) -> None:
    """Any type: concentric rings from two centres, with a dot field."""
    x0, y0, x1, y1 = area
    for n, cx in enumerate((x0 + (x1 - x0) * pen.rng.uniform(0.05, 0.2), x1 - (x1 - x0) * pen.rng.uniform(0.05, 0.2))):
        cy = pen.rng.uniform(y0, y1)
        for k in range(7, 0, -1):
            pen.circle(cx, cy, pen.h * 0.07 * k, n + k, alpha=255 if k % 2 else 0)
    for _ in range(90):
        pen.circle(pen.rng.uniform(x0, x1), pen.rng.uniform(y0, y1), pen.h * pen.rng.uniform(0.004, 0.012),
                   pen.rng.randrange(4))


def _steps(pen: Pen, area: Box) -> None:
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


def _skyline(pen: Pen, area: Box) -> None:
    """Real estate: a row of buildings with lit windows."""
    x0, y0, x1, y1 = area
    x = x0
    while x < x1:
        bw = pen.h * pen.rng.uniform(0.1, 0.2)
        top = y1 - (y1 - y0) * pen.rng.uniform(0.3, 0.75)
        i = pen.rng.randrange(4)
        pen.rect((x, top, x + bw, y1 + 5), i, radius=pen.h * 0.006)
        if not pen.look.outline:
            step = pen.h * 0.045
            for wy in range(int((y1 - top) / step) - 1):
                for wx in range(max(1, int(bw / step) - 1)):
                    if pen.rng.random() < 0.55:
                        px, py = x + step * (wx + 0.6), top + step * (wy + 0.6)
                        pen.light((px, py, px + step * 0.45, py + step * 0.55))
        x += bw + pen.h * pen.rng.uniform(0.0, 0.04)


def _stripes(pen: Pen, area: Box) -> None:
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


def _pulse(pen: Pen, area: Box) -> None:
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


MOTIFS: dict[str, Callable[[Pen, Box], None]] = {
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


def motif_for(template: str, rng: random.Random) -> str:
    """The article type's motif: by type id, else by words in the name, else any (seeded)."""
    name = template.lower()
    if name in TYPE_IDS:
        return TYPE_IDS[name]
    for words, motif in TYPE_MOTIF:
        if any(w in name for w in words):
            return motif
    return rng.choice(("bauhaus", "rings", "waves", "blocks"))
