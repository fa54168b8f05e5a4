"""The CJK font peitu draws with: found once, one FreeType object per (size, weight), no tofu."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from PIL import ImageFont

from .errors import ConfigError

WEIGHTS = ("Thin", "Light", "DemiLight", "Regular", "Medium", "Bold", "Black")

# (pip package, file inside it, collection index of Simplified Chinese)
PACKAGED: tuple[tuple[str, str, int], ...] = (
    ("manimgx_fonts_cjk", "NotoSansCJK-VF.otf.ttc", 2),       # variable: every weight
    ("noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc", 2),      # Regular only
)
_PROBE = "\uffff"   # a noncharacter: what the font draws for a missing glyph


def find_font(configured: Path | None = None,
              packaged: tuple[tuple[str, str, int], ...] = PACKAGED) -> tuple[str, int]:
    """(path, collection index) of the font to use: the configured file, else the first packaged one."""
    if configured is not None:
        if not Path(configured).is_file():
            raise ConfigError(f"font file {configured} not found", where="paths.font",
                              hint="fix paths.font in config.yaml or remove it to use the packaged Noto Sans CJK")
        return str(configured), 0
    for package, name, index in packaged:
        try:
            path = files(package) / name
        except (ModuleNotFoundError, TypeError):
            continue
        if path.is_file():
            return str(path), index
    raise ConfigError("no CJK font found to draw Chinese text",
                      hint="pip install manimgx-fonts-cjk (or noto-cjk-sans-otc), "
                           "or set paths.font in config.yaml to a CJK .ttf/.otf/.ttc file")


@lru_cache(maxsize=4)
def cjk_font(size: int, weight: str = "Regular", *, path: Path | None = None) -> ImageFont.FreeTypeFont:
    """Noto Sans CJK SC (or the font at `path`) at `size` px and `weight`; a font without
    variation axes ignores the weight. Cached: treat the object as read-only. Few are kept: each
    FreeType face maps the 32 MB font anew (5–10 MB resident each), and opening one takes 0.2 ms."""
    if weight not in WEIGHTS:
        raise ValueError(f"weight {weight!r} is not one of {', '.join(WEIGHTS)}")
    file, index = _located(path)
    try:
        font = ImageFont.truetype(file, max(1, int(size)), index=index)
    except OSError as err:
        raise ConfigError(f"cannot read font {file}: {err}", where="paths.font") from None
    try:
        names = [n.decode() if isinstance(n, bytes) else n for n in font.get_variation_names()]
    except OSError:
        names = []                      # not a variable font
    if weight in names:
        font.set_variation_by_name(weight)
    return font


@lru_cache(maxsize=8)
def _located(path: Path | None) -> tuple[str, int]:
    return find_font(path)


PROBE_FACE = (100, "Black")     # the face titles are measured with (typography.REF_SIZE): no extra face open


@lru_cache(maxsize=4)
def _missing_mask(path: Path | None) -> bytes:
    return bytes(cjk_font(*PROBE_FACE, path=path).getmask(_PROBE))


@lru_cache(maxsize=4096)
def has_glyph(char: str, path: Path | None = None) -> bool:
    """True when the font draws `char` as a real glyph (not the empty 'tofu' box)."""
    if char.isspace():
        return True
    if not char.isprintable():
        return False
    return bytes(cjk_font(*PROBE_FACE, path=path).getmask(char)) != _missing_mask(path)


def drawable(text: str, path: Path | None = None) -> str:
    """`text` with characters the font cannot draw removed and runs of spaces collapsed."""
    kept = "".join(ch if not ch.isspace() else " " for ch in text if has_glyph(ch, path))
    return " ".join(kept.split())
