"""Pictures of the art set as RGBA images at the size they are drawn, in a style's treatment.

SVG is rendered by resvg (resvg-py) at each picture's final size, never larger. Nothing is kept
between pictures: a picture is rarely drawn twice at one size (a cache of them cost ~18 MB)."""

from __future__ import annotations

import io

import resvg_py
from PIL import Image, ImageChops, ImageFilter, ImageOps

from .artset import installed
from .looks import RGB

VIEWBOX = 32                              # Fluent Emoji Flat draws on a 32-unit square


def render_svg(svg: str, px: int, css: str | None = None) -> Image.Image:
    """`svg` as an RGBA image px × px."""
    data = resvg_py.svg_to_bytes(svg_string=svg, width=px, height=px, skip_system_fonts=True, style_sheet=css)
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGBA")


def picture(name: str, px: int, art: str, ink: RGB, paper: RGB, colours: tuple[RGB, ...]) -> Image.Image:
    """The art set's picture `name` at px × px, treated as the look's `art` says (see looks.Look)."""
    pieces = installed()
    assert pieces is not None, "the art set is checked before anything is drawn"
    svg = pieces.svg(name)
    if art == "line":
        width = max(1.4, px / 95) * VIEWBOX / px
        css = (f"* {{ fill: {_css(paper)} !important; stroke: {_css(ink)} !important; "
               f"stroke-width: {width:.3f} !important; stroke-linejoin: round; stroke-linecap: round; }}")
        return render_svg(svg, px, css)
    image = render_svg(svg, px)
    if art == "ink":
        return _ink(image, ink)
    if art == "wash":
        return _wash(image)
    if art == "paper":
        return _paper(image, (*colours, ink, (255, 255, 255)))
    if art == "duotone":
        return _duotone(image, paper, colours[0] if colours else (255, 255, 255))
    return image


def _css(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _ink(image: Image.Image, ink: RGB) -> Image.Image:
    """Ink on rice paper: one colour, dark parts dense and light parts a thin wash, edges bled."""
    grey = image.convert("L")
    alpha = ImageChops.multiply(image.getchannel("A"), ImageOps.invert(grey).point(lambda v: 60 + v * 150 // 255))
    alpha = alpha.filter(ImageFilter.GaussianBlur(max(0.6, image.width / 260)))
    out = Image.new("RGBA", image.size, (*ink, 0))
    out.putalpha(alpha)
    return out


def _wash(image: Image.Image) -> Image.Image:
    """Watercolour: lighter, softer colours, the pigment pooling a little darker at the edges."""
    alpha = image.getchannel("A")
    rgb = Image.blend(image.convert("RGB"), Image.new("RGB", image.size, (255, 255, 255)), 0.18)
    rim = ImageChops.subtract(alpha, alpha.filter(ImageFilter.MinFilter(_odd(image.width / 60))))
    rgb = Image.composite(ImageChops.multiply(rgb, Image.new("RGB", image.size, (200, 190, 190))), rgb,
                          rim.point(lambda v: v * 3 // 5))
    soft = alpha.filter(ImageFilter.GaussianBlur(max(0.8, image.width / 180)))
    out = rgb.convert("RGBA")
    out.putalpha(soft.point(lambda v: v * 230 // 255))
    return out


def _paper(image: Image.Image, colours: tuple[RGB, ...]) -> Image.Image:
    """Cut paper: the picture's colours snapped to the palette, with a white cut edge around it."""
    flat = [c for rgb in colours for c in rgb]
    board = Image.new("P", (1, 1))
    board.putpalette(flat + flat[-3:] * (256 - len(colours)))
    snapped = image.convert("RGB").quantize(palette=board, dither=Image.Dither.NONE).convert("RGB")
    alpha = image.getchannel("A").point(lambda v: 255 if v > 100 else 0)
    edge = alpha.filter(ImageFilter.MaxFilter(_odd(image.width / 28)))
    out = Image.new("RGBA", image.size, (255, 255, 255, 0))
    out.putalpha(edge)
    out.paste(snapped, (0, 0), alpha)
    return out


def _duotone(image: Image.Image, dark: RGB, light: RGB) -> Image.Image:
    """Two colours of the palette: shadows in the dark one, highlights in the light one."""
    tone = ImageOps.autocontrast(image.convert("L"), cutoff=2)
    out = ImageOps.colorize(tone, black=dark, white=light, mid=_mix(dark, light, 0.62)).convert("RGBA")
    out.putalpha(image.getchannel("A"))
    return out


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _odd(v: float) -> int:
    n = max(3, int(v))
    return n if n % 2 else n + 1
