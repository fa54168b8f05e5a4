"""What a model accepts, as data: the sizes or aspect ratios it takes, how sides are rounded, pixel
bounds, and which request fields it honours (seed, negative prompt, the switch that turns its watermark
off). Each provider lists its models' rules in a table (`Provider.models`); the size asked for is the
accepted shape closest to the plan's (a 2.35:1 cover gets the widest the model allows) and the images
stage crops it to the final shape."""

from __future__ import annotations

import fnmatch
import json
import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelRules:
    """One model's rules. A model takes either fixed `sizes`, or fixed `aspects` (the request names a
    ratio, not pixels), or any size whose sides are multiples of `multiple` within the side and pixel
    bounds and whose long side is at most `max_ratio` times the short one."""

    sizes: tuple[tuple[int, int], ...] = ()
    aspects: tuple[str, ...] = ()                 # e.g. ("1:1", "16:9", "21:9")
    multiple: int = 8
    min_side: int = 256
    max_side: int = 2048
    min_pixels: int | None = None
    max_pixels: int | None = None
    max_ratio: float | None = None
    seed: bool = True                             # the API takes a seed
    max_seed: int | None = None                   # …up to this value (the plan's seed is taken modulo max_seed + 1)
    negative_prompt: bool = False                 # the API takes a negative prompt
    watermark_off: dict[str, Any] = field(default_factory=dict)   # request fields that turn it off
    note: str = ""                                # shown by `peitu providers`

    def size(self, width: int, height: int) -> tuple[int, int]:
        """The size to ask for: an accepted size closest in shape to width×height (for `aspects`
        models, the pixel size the chosen ratio stands for at about max_pixels or 1 MP)."""
        if self.sizes:
            return nearest(width, height, self.sizes)
        if self.aspects:
            w, h = ratio(self.aspect(width, height))
            return fit(w * 1000, h * 1000, self)
        return fit(width, height, self)

    def aspect(self, width: int, height: int) -> str:
        """The accepted aspect ratio closest to width:height (then the wider one)."""
        want = width / height
        choices = self.aspects or tuple(f"{w}:{h}" for w, h in self.sizes) or ("1:1",)
        return min(choices, key=lambda a: (abs(math.log(_value(a) / want)), -_value(a)))

    def accepts(self, width: int, height: int) -> bool:
        """True when width×height is a size this model takes (what tests hold every request to)."""
        if self.sizes:
            return (width, height) in self.sizes
        pixels = width * height
        return (width % self.multiple == 0 and height % self.multiple == 0
                and self.min_side <= min(width, height) and max(width, height) <= self.max_side
                and (self.min_pixels is None or pixels >= self.min_pixels)
                and (self.max_pixels is None or pixels <= self.max_pixels)
                and (self.max_ratio is None or max(width, height) / min(width, height) <= self.max_ratio + 1e-9))

    def seed_of(self, seed: int) -> int | None:
        """The seed to send for the plan's seed: None when the model takes none."""
        if not self.seed:
            return None
        return seed % (self.max_seed + 1) if self.max_seed is not None else seed

    def features(self) -> str:
        """What the request can say besides the prompt and size, for `peitu providers`."""
        said = ["seed" if self.seed else "no seed", "negative prompt" if self.negative_prompt else "no negative prompt"]
        if self.watermark_off:
            said.append("watermark off (" + ", ".join(f"{k}={json.dumps(v)}" for k, v in self.watermark_off.items())
                        + ")")
        return ", ".join(said)

    def describe(self) -> str:
        """One line for `peitu providers`: sizes or ratios, rounding and bounds."""
        if self.sizes:
            return "sizes " + ", ".join(f"{w}×{h}" for w, h in self.sizes)
        if self.aspects:
            return "ratios " + ", ".join(self.aspects)
        text = f"any size, sides ×{self.multiple}, {self.min_side}–{self.max_side} px"
        if self.min_pixels or self.max_pixels:
            low = f"{self.min_pixels / 1e6:.2f}" if self.min_pixels else "0"
            high = f"{self.max_pixels / 1e6:.2f}" if self.max_pixels else "∞"
            text += f", {low}–{high} MP"
        if self.max_ratio:
            text += f", ratio ≤ {self.max_ratio:g}:1"
        return text


def rules_for(model: str, table: dict[str, ModelRules]) -> ModelRules:
    """The rules of the first pattern in `table` (fnmatch, case-insensitive; "*" last) matching `model`."""
    name = model.lower()
    for pattern, rules in table.items():
        if fnmatch.fnmatchcase(name, pattern.lower()):
            return rules
    raise KeyError(model)


def fit(width: int, height: int, rules: ModelRules) -> tuple[int, int]:
    """width×height scaled, keeping its shape as far as the rules allow, so that every rule holds:
    the long/short ratio clamped to max_ratio, then the scale set by the side and pixel bounds, then
    each side rounded to the multiple (down when at an upper bound, up when at a lower one)."""
    m = rules.multiple
    low = math.ceil(max(rules.min_side, m) / m) * m
    high = rules.max_side // m * m
    widest = min(rules.max_ratio or math.inf, high / low,                 # the bounds allow no wider shape
                 high * high / rules.min_pixels if rules.min_pixels else math.inf,
                 rules.max_pixels / (low * low) if rules.max_pixels else math.inf)
    short = min(width, height)
    long_ = min(max(width, height), short * widest)
    w, h = (long_, short) if width >= height else (short, long_)
    scale_low = max(low / min(w, h), math.sqrt(rules.min_pixels / (w * h)) if rules.min_pixels else 0.0)
    scale_high = min(high / max(w, h), math.sqrt(rules.max_pixels / (w * h)) if rules.max_pixels else math.inf)
    scale = min(max(1.0, scale_low), scale_high)
    size = (_round(w * scale, m, low, high), _round(h * scale, m, low, high))
    for _ in range(256):                          # rounding may cross a bound: step a side and retry
        if rules.accepts(*size):
            return size
        (a, b), wide = sorted(size, reverse=True), size[0] >= size[1]
        if rules.max_ratio and a / b > rules.max_ratio:
            a, b = (a - m, b) if a - m >= low else (a, b + m)
        elif rules.max_pixels and a * b > rules.max_pixels:
            a, b = (a - m, b) if a - m >= max(b, low) else (a, b - m)
        else:                                     # below min_pixels
            a, b = (a, b + m) if b + m <= a else (a + m, b)
        size = (a, b) if wide else (b, a)
    raise ValueError(f"no size fits these rules: {rules.describe()}")


def _round(value: float, multiple: int, low: int, high: int) -> int:
    return int(min(high, max(low, round(value / multiple) * multiple)))


def nearest(width: int, height: int, sizes: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> tuple[int, int]:
    """The accepted size whose aspect ratio is closest to width:height (then the larger one)."""
    want = width / height
    return min(sizes, key=lambda s: (abs(math.log(s[0] / s[1] / want)), -s[0] * s[1]))


def ratio(aspect: str) -> tuple[int, int]:
    w, _, h = aspect.partition(":")
    return int(w), int(h)


def _value(aspect: str) -> float:
    w, h = ratio(aspect)
    return w / h
