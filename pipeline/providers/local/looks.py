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
    """How a style draws: title weight, shape treatment and surface."""

    weight: str = "Black"
    outline: bool = False                # shapes as lines (minimal)
    blur: float = 0.0                    # soft edges (watercolor, photo)
    grain: float = 0.0                   # paper texture strength
    grey: bool = False                   # monochrome shapes (ink)
    shadow: bool = False                 # layered paper: each layer casts a soft shadow
    alpha: int = 235                     # shape opacity


LOOKS = {
    "flat": Look(),
    "minimal": Look(weight="Bold", outline=True, alpha=255),
    "watercolor": Look(weight="Bold", blur=7, grain=10, alpha=170),
    "ink": Look(weight="Bold", blur=3, grain=14, grey=True, alpha=200),
    "photo": Look(weight="Black", blur=10, alpha=200),
    "isometric": Look(weight="Black"),
    "papercut": Look(weight="Black", shadow=True, grain=5),
}


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
