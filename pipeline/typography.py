"""Title typesetting: Chinese titles broken where an editor breaks them, sized to the box, a
shorter display title when a title is too long to set well, and WCAG contrast measured on pixels.

Lines break between phrases, never inside one: a jieba word keeps its particles (的 了 吗), an
adverb, preposition, numeral or pronoun stays with what follows (最容易踩, 关于失眠, 四个坑, 你需要),
two verbs stay together (需要知道), a number keeps its unit (12000 元), Latin words and short
quotations or book titles (“东方第一大港”, 《三体》) stay whole. Breaks after ：？！— read best, after
a comma well when the clause before it is not a fragment, after 的 or inside a compound noun poorly.
No line has fewer than three letters."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageMath

from .fonts import cjk_font, drawable

CLOSING = set("，。、：；！？）》」』】〕〉”’…—·%,.:;!?)]}|｜-")   # never starts a line
OPENING = set("（《「『【〔〈“‘([{#@")                        # never ends a line
PARTICLES = set("的了着过地得吗呢吧啊们")                          # stay with the word before
STRONG_BREAK = set("：；！？|｜—:;!?")                            # a break after these reads best
SOFT_BREAK = set("，、,")                                         # … and after these, between clauses
DROP_AT_EOL = set("，、 |｜—-")                                  # posters drop these at a line end
LEADING = {"怎么", "如何", "为什么", "为何", "应该", "能否", "是否"}   # open what follows
FORWARD = {"p", "d", "ad", "c", "r"}         # prepositions, adverbs, conjunctions, pronouns: lead into the next
NOUNS = ("n", "nr", "ns", "nt", "nz", "nrt", "nrfg", "ng", "j", "eng")
MIN_LINE = 3                                 # letters: a line of one or two characters is an orphan
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"^[!-~]+$")                                # printable ASCII, no spaces
REF_SIZE = 100                                                   # widths measured here, scaled
NEVER = math.inf


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def segments(text: str) -> list[str]:
    """The phrases of a title: the units a line may break between (without their trailing space)."""
    return [unit.strip() for unit, _ in phrases(text) if unit.strip()]


def _tokens(text: str) -> list[tuple[str, str]]:
    """jieba words with their part of speech; runs of Latin letters, digits and signs as one word."""
    from .ingest.keywords import shared_lexicon

    out: list[tuple[str, str]] = []
    for pair in shared_lexicon().posseg.lcut(text):
        tok, flag = pair.word, pair.flag
        if out and tok != " " and _LATIN.match(tok) and _LATIN.match(out[-1][0]) and out[-1][0][-1] not in OPENING:
            out[-1] = (out[-1][0] + tok, "eng")                  # GPT-4o, A股 stays apart
        else:
            out.append((tok, flag))
    return out


def _glued(a: str, fa: str, b: str, fb: str, after_break: bool, alone: bool) -> bool:
    """May no line break fall between word `a` (part of speech fa) and the next word `b`? `alone`:
    `a` is a phrase by itself so far (not already joined to the word before it)."""
    if b[0] in CLOSING or a[-1] in OPENING or b in PARTICLES or fb.startswith("u") or fb == "y":
        return True
    if a[-1].isdigit() and is_cjk(b) and len(b) <= 2:
        return True                                                # 30天, 12000 元
    if fb == "f" and len(b) == 1 and not after_break:
        return True                                                # 手机里, 一个月后
    if fa in FORWARD or a in LEADING or (fa == "f" and after_break):
        return True                                                # 最容易, 关于失眠, 你需要, 前九十天
    if fa == "m" and (fb in ("q", "m") or fb.startswith("n") or (is_cjk(b) and len(b) == 1 and fb not in FORWARD)):
        return True                                                # 四个坑, 一头牛, 十二周
    if fa.startswith("a") and fb.startswith(("v", "n")) and len(a) <= 2:
        return True                                                # 容易踩, 慢游
    if fa.startswith("v") and (fb.startswith("v") or len(a) == 1):
        return True                                                # 需要知道, 跑完, 存 12000 元, 划不划算
    return alone and is_cjk(a) and len(a) == 1 and a not in PARTICLES and (is_cjk(b) or b[0].isalnum())


def _cost(a: str, fa: str, b: str, fb: str, clause: int) -> float:
    """How a line break between phrase `a` and phrase `b` reads (negative: better than average);
    `clause` counts the letters since the last punctuation."""
    end = a.rstrip()[-1:]
    if end in STRONG_BREAK:
        return -1.0
    if end in SOFT_BREAK:
        return -0.4 if clause >= 4 else 0.3
    if a.rstrip()[-1] in "的地之":
        return 0.5                                                 # X的 | Y splits a noun phrase
    if fa.startswith(NOUNS) and fb.startswith(NOUNS):
        return 0.6                                                 # 牛肉 | 火锅: a compound
    if fa.startswith("v") and fb.startswith(NOUNS):
        return 0.35                                                # a verb and its object
    if a.endswith(" ") and _LATIN.match(a.rstrip()[-1]) and _LATIN.match(b[0]):
        return 0.1                                                 # between two Latin words
    return 0.2


PAIRS = {"“": "”", "《": "》", "「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "‘": "’"}
QUOTE_MAX = 8                                                  # a short quotation stays on one line


def phrases(text: str) -> list[tuple[str, float]]:
    """(phrase, cost of a line break after it) for each phrase of `text`; the last one's cost is 0.
    A space stays at the end of the phrase before it; glue is decided between the words around it."""
    units: list[list] = []                                      # [text, first flag, last flag]
    word, flag_before = "", ""                                   # the last word that is not a space
    for tok, flag in _tokens(text):
        prev = units[-1] if units else None
        if prev is not None and (tok == " " or _glued(word, flag_before, tok, flag, prev[0].rstrip()[-1:] in
                                                      STRONG_BREAK | SOFT_BREAK, prev[0].strip() == word)):
            prev[0] += tok
            prev[2] = flag if tok != " " else prev[2]
        else:
            units.append([tok, flag, flag])
        if tok != " ":
            word, flag_before = tok, flag
    units = _quoted_whole(units)
    out: list[tuple[str, float]] = []
    clause = 0
    for j, (unit, _, last) in enumerate(units):
        if j and units[j - 1][0].rstrip()[-1:] in STRONG_BREAK | SOFT_BREAK:
            clause = 0
        clause += _letters(unit)
        cost = _cost(unit, last, units[j + 1][0], units[j + 1][1], clause) if j + 1 < len(units) else 0.0
        out.append((unit, cost))
    return out


def _quoted_whole(units: list[list]) -> list[list]:
    """Merge the phrases of a short quotation or book title (“东方第一大港”, 《三体》) into one."""
    out: list[list] = []
    i = 0
    while i < len(units):
        unit = units[i]
        close = PAIRS.get(unit[0][:1])
        if close and close not in unit[0]:
            for j in range(i + 1, min(len(units), i + 6)):
                if close in units[j][0]:
                    merged = "".join(u[0] for u in units[i:j + 1])
                    if len(merged) <= QUOTE_MAX + 2:
                        unit, i = [merged, unit[1], units[j][2]], j
                    break
        out.append(unit)
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
    def widths(self) -> list[float]:
        ref = cjk_font(REF_SIZE, self.weight, path=self.font_path)
        return [ref.getlength(line) * self.size / REF_SIZE for line in self.lines]

    @property
    def pitch(self) -> float:
        return self.size * self.spacing

    @property
    def width(self) -> float:
        return max(self.widths, default=0.0)

    @property
    def height(self) -> float:
        return self.size + self.pitch * (len(self.lines) - 1) if self.lines else 0.0

    def draw(self, draw: ImageDraw.ImageDraw, xy: tuple[float, float], fill, *,
             align: str = "left", width: float | None = None) -> None:
        """Draw with the block's top-left at `xy`; `align` within `width` (default: the block's).
        Lines are set at REF_SIZE (or the title's size, when larger) and scaled to the title's: every
        title shares the few font faces open, each of which holds ~8 MB of the CJK font in memory."""
        x, y = xy
        box = self.width if width is None else width
        font = cjk_font(max(REF_SIZE, self.size), self.weight, path=self.font_path)
        k = self.size / font.size
        for i, (line, w) in enumerate(zip(self.lines, self.widths, strict=True)):
            dx = {"left": 0.0, "center": (box - w) / 2, "right": box - w}[align]
            # baseline at 0.88 em: Noto CJK's ideographic em box spans -0.12 … 0.88 em
            left, top, right, bottom = font.getbbox(line, anchor="ls")
            if right <= left or bottom <= top:
                continue
            mask = Image.new("L", (int(right - left), int(bottom - top)), 0)
            ImageDraw.Draw(mask).text((-left, -top), line, font=font, fill=255, anchor="ls")
            if k != 1:
                mask = mask.resize((max(1, round(mask.width * k)), max(1, round(mask.height * k))),
                                   Image.Resampling.LANCZOS)
            baseline = y + i * self.pitch + 0.88 * self.size
            draw.bitmap((round(x + dx + left * k), round(baseline + top * k)), mask, fill=fill)


def _line(segs: list[str]) -> str:
    text = "".join(segs).strip()
    while len(text) > 1 and text[-1] in DROP_AT_EOL:
        text = text[:-1].rstrip()
    return text


def _letters(line: str) -> int:
    return sum(not ch.isspace() and ch not in CLOSING and ch not in OPENING for ch in line)


def _cuts(n: int, max_lines: int, allowed: list[int]):
    """Sets of break positions (indexes of the phrase that starts a line) with at most max_lines lines."""
    yield ()
    for a, i in enumerate(allowed):
        if max_lines >= 2:
            yield (i,)
        if max_lines >= 3:
            for j in allowed[a + 1:]:
                yield (i, j)


def _best(units: list[tuple[str, float]], box_w: float, box_h: float, max_lines: int, max_size: float,
          min_size: float, spacing: float, ref_width) -> tuple[float, float, list[str]] | None:
    """Best (score, size, lines): large type, few and balanced lines, breaks between phrases where
    they read well, no clause break left inside a line, no line under MIN_LINE letters."""
    best: tuple[float, float, list[str]] | None = None
    segs = [u for u, _ in units]
    allowed = [i for i in range(1, len(units)) if units[i - 1][1] < NEVER]
    for cuts in _cuts(len(segs), max_lines, allowed):
        bounds = (0, *cuts, len(segs))
        lines = [_line(segs[a:b]) for a, b in itertools.pairwise(bounds)]
        k = len(lines)
        if not all(lines) or (k > 1 and min(_letters(line) for line in lines) < MIN_LINE):
            continue
        widths = [ref_width(line) for line in lines]
        size = min(max_size, box_h / (1 + (k - 1) * spacing), box_w * REF_SIZE / max(widths))
        if size < min_size:
            continue
        mean = sum(widths) / k
        ragged = 4 * sum((w - mean) ** 2 for w in widths) / max(widths) ** 2
        if k > 1 and widths[-1] < 0.4 * max(widths):
            ragged += 0.5                                        # a stub last line
        breaks = sum(units[c - 1][1] for c in cuts)
        if k > 1:                                                # a clause break the lines run through
            label = _letters(segs[0]) <= 3 and units[0][1] <= -1    # 泉州：… may stay on its line
            breaks += 1.5 * sum(units[i - 1][1] <= -1 for i in range(1 + label, len(units)) if i not in cuts)
        score = math.log(size) - 0.15 * (k - 1) - 0.15 * ragged - 0.4 * breaks
        if best is None or score > best[0]:
            best = (score, size, lines)
    return best


def _chars(seg: str) -> list[str]:
    """Characters, with Latin words kept whole: the units when phrases are too long for a line."""
    return re.findall(r"[!-~]+|\s|.", seg)


def _measure(weight: str, font_path: Path | None):
    ref = cjk_font(REF_SIZE, weight, path=font_path)
    cache: dict[str, float] = {}

    def ref_width(s: str) -> float:
        if s not in cache:
            cache[s] = ref.getlength(s)
        return cache[s]

    return ref_width


def fit_title(text: str, box_w: float, box_h: float, *, weight: str = "Bold", max_lines: int = 3,
              max_size: int = 200, min_size: int = 12, spacing: float = 1.22,
              font_path: Path | None = None) -> TitleLayout:
    """The title set as large as fits the box, in at most `max_lines` lines broken between phrases.
    Characters the font cannot draw are dropped; if nothing fits at `min_size`, it ends in '…'."""
    text = drawable(text, font_path)
    found = _fit(text, box_w, box_h, weight, max_lines, max_size, min_size, spacing, font_path)
    if found:
        return found[1]
    by_char = [(ch, 0.3) for ch in _chars(text)]
    loose = _best(by_char, box_w, box_h, max_lines, max_size, min_size, spacing, _measure(weight, font_path))
    if loose:
        return TitleLayout(tuple(loose[2]), int(loose[1]), weight, spacing, font_path)
    return _truncated(text, box_w, min_size, weight, max_lines, spacing, font_path)


def _fit(text: str, box_w: float, box_h: float, weight: str, max_lines: int, max_size: float, min_size: float,
         spacing: float, font_path: Path | None) -> tuple[float, TitleLayout] | None:
    """(score, layout) of `text` broken between phrases at min_size or larger, or None."""
    found = _best(phrases(text), box_w, box_h, max_lines, max_size, min_size, spacing, _measure(weight, font_path))
    return (found[0], TitleLayout(tuple(found[2]), int(found[1]), weight, spacing, font_path)) if found else None


# a break that shortens a long title: the part before it names the subject (潮汕牛肉火锅：…)
CUT_AT = re.compile(r"\s*(?:[：:|｜]|——|—|--|\s-\s)\s*|(?<=[？！?!])\s*|\s*[（(【\[]")
COMFORTABLE = 9.5          # letters a line at most, at the smallest size a cover title is set whole
SHORTENED = 0.6            # what a display title gives up against the whole title (in log-size units)
LONG = 14                  # letters: a title this long or shorter is always set whole


def display_title(title: str, max_letters: int) -> str:
    """A long title cut at a natural break (colon, question mark, dash, bar, bracket): its first part
    that stands on its own (4 … max_letters letters; never a bracketed aside), else the title up to a
    comma. The title itself when it is short enough or has no such break."""
    title = " ".join(title.split())
    if _letters(title) <= max_letters:
        return title
    parts: list[tuple[str, bool]] = []                         # (text, is it a bracketed aside)
    last, aside = 0, False
    for m in CUT_AT.finditer(title):
        parts.append((title[last:m.start()], aside))
        last, aside = m.end(), m.group().strip()[:1] in "（(【["
    parts.append((title[last:], aside))
    for text, aside in parts:
        part = text.strip().rstrip("，。、,.")
        if not aside and 4 <= _letters(part) <= max_letters:
            return part
    head = ""
    for clause in re.split(r"(?<=[，,])", title):
        if _letters(head + clause) > max_letters:
            break
        head += clause
    head = head.rstrip("，,")
    return head if _letters(head) >= 4 else title


def cover_layout(title: str, display: str, box_w: float, box_h: float, *, weight: str = "Black",
                 font_path: Path | None = None, max_lines: int = 3) -> TitleLayout:
    """A cover's title set in the box: the planner's display title when it gave one; else the whole
    title, or — for a long one, when it reads clearly better — the title cut at a natural break
    (see display_title). Never tiny type where a shorter title would do."""
    max_size, comfortable = box_w * 0.18, box_w / COMFORTABLE
    text = drawable(display or title, font_path)
    options = [(text, 0.0)]
    if not display:
        for limit in (LONG, _letters(text) - 1):
            short = display_title(text, limit)
            if short != text and short not in (o for o, _ in options):
                options.append((short, SHORTENED))
    best: tuple[float, TitleLayout] | None = None
    for option, penalty in options:
        found = _fit(option, box_w, box_h, weight, max_lines, max_size, comfortable, 1.22, font_path)
        if found and (best is None or found[0] - penalty > best[0]):
            best = (found[0] - penalty, found[1])
    if best:
        return best[1]
    if not display:                                              # nothing reads well: cut harder
        text = display_title(text, min(int(max_lines * COMFORTABLE) - 2, _letters(text) - 1))
        found = _fit(text, box_w, box_h, weight, max_lines, max_size, comfortable, 1.22, font_path)
        if found:
            return found[1]
    return fit_title(text, box_w, box_h, weight=weight, max_lines=max_lines, max_size=int(max_size),
                     min_size=max(12, int(box_w / 13)), font_path=font_path)


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
