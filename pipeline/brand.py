"""An account's brand on a cover (config `brand`, `wechat.accounts.<name>.brand`): its mark — the
logo file, else the account's name set small between two rules — drawn by the local provider and on
hosted covers alike."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw

from .config import Brand, Config
from .errors import ConfigError
from .fonts import cjk_font, drawable

RGB = tuple[int, int, int]


def has_mark(brand: Brand, font_path: Path | None = None) -> bool:
    return bool(brand.logo) or bool(drawable(brand.name, font_path))


def mark_width(brand: Brand, cfg: Config, height: float, font_path: Path | None = None) -> float:
    """How wide the mark is at `height` px."""
    if brand.logo:
        logo = _logo(cfg.path(brand.logo), height)
        return float(logo.width)
    font = cjk_font(max(10, int(height * 0.8)), "Medium", path=font_path)
    return font.getlength(_spaced(drawable(brand.name, font_path))) + height * 3.4


def draw_mark(image: Image.Image, brand: Brand, cfg: Config, cx: float, y: float, height: float, colour: RGB,
              font_path: Path | None = None) -> None:
    """The mark centred on cx with its top at y, `height` px tall: the logo as it is, or the name in
    `colour` (letter-spaced when short) between two short rules."""
    if brand.logo:
        logo = _logo(cfg.path(brand.logo), height)
        image.paste(logo, (round(cx - logo.width / 2), round(y)), logo)
        return
    name = _spaced(drawable(brand.name, font_path))
    if not name:
        return
    font = cjk_font(max(10, int(height * 0.8)), "Medium", path=font_path)
    draw = ImageDraw.Draw(image)
    half = font.getlength(name) / 2
    mid = y + height / 2
    draw.text((cx, mid), name, font=font, fill=colour, anchor="mm")
    for side in (-1, 1):
        x = cx + side * (half + height * 0.5)
        draw.line((x, mid, x + side * height * 1.2, mid), fill=colour, width=max(1, round(height / 14)))


def _spaced(name: str) -> str:
    return " ".join(name) if 0 < len(name) <= 8 and not name.isascii() else name


def _logo(path: Path, height: float) -> Image.Image:
    """The logo file as RGBA, `height` px tall, trimmed to what it draws."""
    try:
        if path.suffix.lower() == ".svg":
            import resvg_py

            side = max(16, int(height * 4))
            data = resvg_py.svg_to_bytes(svg_string=path.read_text(encoding="utf-8"), width=side, height=side,
                                         skip_system_fonts=True)
            logo = Image.open(io.BytesIO(data)).convert("RGBA")
        else:
            with Image.open(path) as src:
                logo = src.convert("RGBA")
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot read the brand's logo {path}: {err}", where="brand.logo",
                          hint="use a PNG, JPEG, WebP or SVG file") from None
    logo = logo.crop(logo.getchannel("A").getbbox() or (0, 0, *logo.size))
    scale = height / max(1, logo.height)
    return logo.resize((max(1, round(logo.width * scale)), max(1, round(height))), Image.Resampling.LANCZOS)
