"""Title typesetting: phrase-aware wrapping of Chinese titles, fit-to-box sizing, WCAG contrast."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageMath

from .fonts import cjk_font, drawable

CLOSING = set("，。、：；！？）》」』】〕〉”’…—·%,.:;!?)]}")   # never starts a line
OPENING = set("（《「『【〔〈“‘([{#@")                        # never ends a line
PARTICLES = set("的了着过地得吗呢吧啊们")                          # stay with the word before
STRONG_BREAK = set("，。：；！？|｜—")                             # a break after these reads naturally
DROP_AT_EOL = set("，、 ")                                        # posters drop these at a line end
LEADING = {"怎么", "如何", "为什么", "为何", "应该", "能否", "是否"}   # open what follows
CLINGING = {"d", "p", "m", "a", "ad", "c"}    # adverbs, prepositions, numerals, adjectives, conjunctions
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"^[!-~]+$")                                # printable ASCII, no spaces
REF_SIZE = 100                                                   # widths measured here, scaled


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def segments(text: str) -> list[str]:
    """Split a title into units a line may break between: jieba words, kept whole with their
    punctuation, numbers with their measure word, Latin words as one piece, spaces alone."""
    return [seg for seg, _ in _tagged(text)]


def _tagged(text: str) -> list[tuple[str, str]]:
    """segments() with the part-of-speech flag of each segment's last word."""
    out: list[list[str]] = []
    from .ingest.keywords import shared_lexicon

    for pair in shared_lexicon().posseg.lcut(text):
        tok, flag = pair.word, pair.flag
        prev = out[-1][0] if out else ""
        if not prev or tok == " " or prev == " ":
            out.append([tok, flag])
        elif (_LATIN.match(tok) and _LATIN.match(prev)) or tok[0] in CLOSING or tok in PARTICLES \
                or prev[-1] in OPENING or (prev.isdigit() and is_cjk(tok) and len(tok) <= 2):
            out[-1] = [prev + tok, flag]                         # GPT-4o, 解读：, 的, 30天
        else:
            out.append([tok, flag])
    return _quoted_whole([(seg, flag) for seg, flag in out])


PAIRS = {"“": "”", "《": "》", "「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "‘": "’"}
QUOTE_MAX = 8                                                   # a short quotation stays on one line


def _quoted_whole(segs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Merge the segments of a short quotation or book title (“东方第一大港”, 《三体》) into one."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(segs):
        seg = segs[i]
        close = PAIRS.get(seg[0][:1])
        if close and close not in seg[0]:
            for j in range(i + 1, min(len(segs), i + 6)):
                if close in segs[j][0]:
                    merged = "".join(s for s, _ in segs[i:j + 1])
                    if len(merged) <= QUOTE_MAX + 2:
                        seg, i = (merged, segs[j][1]), j
                    break
        out.append(seg)
        i += 1
    return out


@dataclass(frozen=True)
class TitleLayout:
    """Lines of a title set at one size and weight; `height` spans the ideographic em boxes."""

    lines: tuple[str, ...]
    size: int
    weight: str
    spacing: float
    font_path: Path | None = None

    @property
    def font(self):
        return cjk_font(self.size, self.weight, path=self.font_path)

    @property
    def pitch(self) -> float:
        return self.size * self.spacing

    @property
    def widths(self) -> list[float]:
        return [self.font.getlength(line) for line in self.lines]

    @property
    def width(self) -> float:
        return max(self.widths, default=0.0)

    @property
    def height(self) -> float:
        return self.size + self.pitch * (len(self.lines) - 1) if self.lines else 0.0

    def draw(self, draw: ImageDraw.ImageDraw, xy: tuple[float, float], fill, *,
             align: str = "left", width: float | None = None) -> None:
        """Draw with the block's top-left at `xy`; `align` within `width` (default: the block's)."""
        x, y = xy
        box = self.width if width is None else width
        font = self.font
        for i, (line, w) in enumerate(zip(self.lines, self.widths)):
            dx = {"left": 0.0, "center": (box - w) / 2, "right": box - w}[align]
            # baseline at 0.88 em: Noto CJK's ideographic em box spans -0.12 … 0.88 em
            draw.text((x + dx, y + i * self.pitch + 0.88 * self.size), line, font=font, fill=fill, anchor="ls")


def _line(segs: list[str]) -> str:
    text = "".join(segs).strip()
    while len(text) > 1 and text[-1] in DROP_AT_EOL:
        text = text[:-1]
    return text


def _letters(line: str) -> int:
    return sum(not ch.isspace() and ch not in CLOSING and ch not in OPENING for ch in line)


def _break_cost(before: str, flag: str, after: str) -> float:
    """How bad a line break between two segments reads (negative: better than average);
    `flag` is the part of speech that ends `before`."""
    if before == " " or after == " ":
        return 0.0
    if before[-1] in STRONG_BREAK:
        return -0.8
    if _LATIN.match(before[-1]) and _LATIN.match(after[0]):
        return 3.0                                               # inside a Latin word
    if before[-1] in "的地之":
        return 0.6                                               # X的 | Y splits a noun phrase
    if (len(before) == 1 and is_cjk(before)) or before in LEADING:
        return 0.8                                               # 在/对/该… lead into what follows
    if flag in CLINGING:
        return 0.6                                               # 最容易 | 踩, 四个 | 坑
    return 0.15


def _cuts(n: int, max_lines: int):
    yield ()
    for i in range(1, n):
        if max_lines >= 2:
            yield (i,)
        if max_lines >= 3:
            for j in range(i + 1, n):
                yield (i, j)


def _best(tagged: list[tuple[str, str]], box_w: float, box_h: float, max_lines: int, max_size: float,
          min_size: float, spacing: float, ref_width) -> tuple[float, list[str]] | None:
    """Best (size, lines): large type, few and balanced lines, breaks between phrases,
    no orphan on the last line."""
    best: tuple[float, float, list[str]] | None = None
    segs = [seg for seg, _ in tagged]
    for cuts in _cuts(len(segs), max_lines):
        bounds = (0, *cuts, len(segs))
        lines = [_line(segs[a:b]) for a, b in zip(bounds, bounds[1:])]
        k = len(lines)
        if not all(lines) or (k > 1 and _letters(lines[-1]) < 2):
            continue
        widths = [ref_width(line) for line in lines]
        size = min(max_size, box_h / (1 + (k - 1) * spacing), box_w * REF_SIZE / max(widths))
        if size < min_size:
            continue
        mean = sum(widths) / k
        ragged = 4 * sum((w - mean) ** 2 for w in widths) / max(widths) ** 2
        if k > 1 and widths[-1] < 0.35 * max(widths):
            ragged += 0.5                                        # a stub last line
        breaks = sum(_break_cost(segs[c - 1], tagged[c - 1][1], segs[c]) for c in cuts)
        score = math.log(size) - 0.15 * (k - 1) - 0.15 * ragged - 0.4 * breaks
        if best is None or score > best[0]:
            best = (score, size, lines)
    return (best[1], best[2]) if best else None


def _chars(seg: str) -> list[str]:
    """Characters, with Latin words kept whole: the units when phrases are too long for a line."""
    return re.findall(r"[!-~]+|\s|.", seg)


def fit_title(text: str, box_w: float, box_h: float, *, weight: str = "Bold", max_lines: int = 3,
              max_size: int = 200, min_size: int = 12, spacing: float = 1.22,
              font_path: Path | None = None) -> TitleLayout:
    """The title set as large as fits the box, in at most `max_lines` phrase-aware lines.
    Characters the font cannot draw are dropped; if nothing fits at `min_size`, it ends in '…'."""
    text = drawable(text, font_path)
    ref = cjk_font(REF_SIZE, weight, path=font_path)
    cache: dict[str, float] = {}

    def ref_width(s: str) -> float:
        if s not in cache:
            cache[s] = ref.getlength(s)
        return cache[s]

    for tagged in (_tagged(text), [(ch, "x") for ch in _chars(text)]):
        found = _best(tagged, box_w, box_h, max_lines, max_size, min_size, spacing, ref_width)
        if found:
            return TitleLayout(tuple(found[1]), int(found[0]), weight, spacing, font_path)
    return _truncated(text, box_w, min_size, weight, max_lines, spacing, font_path)


def _truncated(text: str, box_w: float, size: int, weight: str, max_lines: int, spacing: float,
               font_path: Path | None) -> TitleLayout:
    font = cjk_font(size, weight, path=font_path)
    lines = [""]
    for ch in _chars(text):
        if lines[-1] and font.getlength(lines[-1] + ch) > box_w:
            lines.append(ch.lstrip())
        else:
            lines[-1] += ch
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        while lines[-1] and font.getlength(lines[-1] + "…") > box_w:
            lines[-1] = lines[-1][:-1]
        lines[-1] += "…"
    return TitleLayout(tuple(line.strip() for line in lines), size, weight, spacing, font_path)


# --- contrast (WCAG 2.x) ---------------------------------------------------------------------

def _linear(c: int) -> float:
    v = c / 255
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


_LIN = [_linear(c) for c in range(256)]
_LR, _LG, _LB = ([k * v for v in _LIN] for k in (0.2126, 0.7152, 0.0722))


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour, 0 (black) … 1 (white)."""
    r, g, b = rgb[:3]
    return _LR[r] + _LG[g] + _LB[b]


def contrast_ratio(a: float | tuple[int, int, int], b: float | tuple[int, int, int]) -> float:
    """WCAG contrast ratio of two colours or luminances, 1 … 21."""
    la = a if isinstance(a, float) else luminance(a)
    lb = b if isinstance(b, float) else luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def _grow(mask: Image.Image, radius: int) -> Image.Image:
    """Dilate a 0/255 mask by about `radius` px (a box blur, then anything touched)."""
    return mask.filter(ImageFilter.BoxBlur(radius)).point(lambda v: 255 if v else 0)


def backdrop(mask: Image.Image, size: int) -> Image.Image:
    """Where the background just around the glyphs in `mask` (L, 255 = ink) is: a ring from
    2 px off the strokes out to ~0.18 em, which takes in the counters of the glyphs."""
    ink = mask.point(lambda v: 255 if v > 8 else 0)
    near = _grow(ink, 2)
    ring = _grow(ink, max(4, round(size * 0.18)))
    ring.paste(0, (0, 0), near)
    return ring


def _lightness(image: Image.Image) -> Image.Image:
    """WCAG relative luminance as an L image, gamma-encoded (255 · L ** (1/2.2)) so that its
    256 levels resolve contrast ratios to about 1.5 %."""
    r, g, b = (c.convert("F") for c in image.convert("RGB").split())

    def linear(a, c):
        low = a["convert"](c <= 10.31475, "F")                  # 0.04045 × 255
        return low * (c / 3294.6) + (1 - low) * ((c / 255.0 + 0.055) / 1.055) ** 2.4

    return ImageMath.lambda_eval(
        lambda a: (0.2126 * linear(a, a["r"]) + 0.7152 * linear(a, a["g"]) + 0.0722 * linear(a, a["b"]))
        ** (1 / 2.2) * 255, r=r, g=g, b=b).convert("L")


def _percentile(hist: list[int], q: float) -> int:
    """The bin holding the q-quantile (0 … 1) of a histogram."""
    target, seen = q * (sum(hist) - 1), 0
    for i, count in enumerate(hist):
        seen += count
        if seen > target:
            return i
    return len(hist) - 1


def text_contrast(image: Image.Image, mask: Image.Image, size: int, *, worst: float = 0.98) -> float:
    """WCAG contrast measured on final pixels: the text's colour (median of the solid glyph
    cores of `mask`, L 255 = ink) against the background around the glyphs at its worst
    (`worst` quantile; rounded against the text so the figure never flatters)."""
    box = _grow(mask.point(lambda v: 255 if v > 8 else 0), max(4, round(size * 0.18))).getbbox()
    if not box:
        return 21.0
    mask = mask.crop(box)
    light = _lightness(image.crop(box))
    ink = light.histogram(mask.point(lambda v: 255 if v >= 250 else 0))
    bg = light.histogram(backdrop(mask, size))
    if not sum(ink) or not sum(bg):
        return 21.0
    text = _percentile(ink, 0.5)
    if text < _percentile(bg, 0.5):                             # dark text: the darkest background
        text, back = text + 1, _percentile(bg, 1 - worst) - 1
    else:
        text, back = text - 1, _percentile(bg, worst) + 1
    return contrast_ratio(*((min(max(v, 0), 255) / 255) ** 2.2 for v in (text, back)))
