"""Palettes and looks: what stays the same across an account (its brand) for each style."""

from __future__ import annotations

from dataclasses import dataclass

from ...models import ImagePlan
from ...typography import contrast_ratio

RGB = tuple[int, int, int]


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
    """How a style draws offline: title weight, how the art is treated, what lies behind it.

    `art`: flat (as drawn), line (outlines in ink), wash (watercolour: soft, bled edges), ink (monochrome
    ink on paper), paper (cut paper: the palette's colours, a white cut edge, a cast shadow), duotone
    (two colours of the palette). `ground`: the backdrop painter of the same name in art.py.
    `note`: what the offline renderer makes of the style, when it is not what the style asks a model for."""

    weight: str = "Black"
    art: str = "flat"
    ground: str = "flat"
    grain: float = 0.0                   # paper texture strength
    outline: bool = False                # fallback patterns as lines (minimal)
    blur: float = 0.0                    # fallback patterns: soft edges
    grey: bool = False                   # fallback patterns: monochrome
    alpha: int = 235                     # fallback patterns: shape opacity
    note: str = ""


LOOKS = {
    "flat": Look(),
    "minimal": Look(weight="Bold", art="line", ground="minimal", outline=True, alpha=255),
    "watercolor": Look(weight="Bold", art="wash", ground="wash", grain=10, blur=7, alpha=170),
    "ink": Look(weight="Bold", art="ink", ground="ink", grain=14, blur=3, grey=True, alpha=200),
    "photo": Look(weight="Black", art="duotone", ground="night", blur=10, alpha=200,
                  note="离线画不出照片：本地渲染为双色海报 "
                       "(offline: a duotone poster; photographs need a hosted model)"),
    "isometric": Look(weight="Black", ground="isometric",
                      note="离线为等距台座上的扁平插画 (offline: flat art on isometric plinths, not 3D renders)"),
    "papercut": Look(weight="Black", art="paper", ground="paper", grain=5),
}


def palette_of(colours: list[str], text: str | None = None) -> Palette:
    """A brand's palette: two backgrounds, then accents; ink is `text`, else black or white by contrast."""
    bg = _hex(colours[0])
    ink = _hex(text) if text else (max(((20, 20, 28), (255, 255, 255)), key=lambda c: contrast_ratio(bg, c)))
    return Palette(bg, _hex(colours[1]), ink, tuple(_hex(c) for c in colours[2:]))


def choose_palette(plan: ImagePlan) -> Palette:
    """The account's palette: the style file's own colours (two backgrounds and at least one accent),
    else palette_hint by name or by word, else the style's named palette."""
    if len(plan.palette) >= 3 and plan.text_color:
        return _palette(plan.palette[0], plan.palette[1], plan.text_color, *plan.palette[2:])
    hint = plan.palette_hint.strip().lower()
    if hint in PALETTES:
        return PALETTES[hint]
    for word, name in HINT_WORDS.items():
        if word in hint:
            return PALETTES[name]
    return PALETTES[STYLE_PALETTE.get(plan.style, "vivid")]


def offline_note(style: str) -> str:
    """What the local renderer makes of a style when it is not what the style asks a model for;
    '' when it draws the style as such."""
    look = LOOKS.get(style)
    return look.note if look else "离线按扁平插画画 (offline: drawn as flat art; the local renderer has no look for it)"
