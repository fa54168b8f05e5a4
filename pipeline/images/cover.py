"""The cover pair from one picture: the 2.35:1 feed cover and the 1:1 share image, cropped where
the picture's interest is (or as the local provider composed it), titled when a hosted model drew it."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from ..config import Config
from ..models import GeneratedImage, ImagePlan
from .crop import Box, centred_box, energy_map, salient_box
from .decode import open_image
from .title import TitleMark, set_title

IntBox = tuple[int, int, int, int]


@dataclass
class CoverSet:
    cover: Image.Image                   # cfg.images.cover size
    share: Image.Image                   # cfg.images.share size
    title: TitleMark | None = None       # the title we set, in cover pixels
    share_title: TitleMark | None = None  # … and in share pixels


def wants_title(plan: ImagePlan, image: GeneratedImage, cfg: Config) -> bool:
    """Hosted covers get the title set by us (the local provider draws its own)."""
    return (image.provider != "local" and plan.role == "cover" and bool(plan.title.strip())
            and cfg.images.title_on_cover and plan.title_overlay)


def cover_set(plan: ImagePlan, image: GeneratedImage, cfg: Config) -> CoverSet:
    cw, ch = cfg.images.cover.width, cfg.images.cover.height
    sw, sh = cfg.images.share.width, cfg.images.share.height
    src = open_image(image.data, cfg, what=f"{plan.key} image from {image.provider}", at_least=(cw, ch))
    size = src.size
    if image.provider == "local":        # composed for both crops: the title sits in the centre square
        cbox = centred_box(size, cw / ch)
        sbox = centred_box(size, sw / sh)
    else:
        energy = energy_map(src)
        cbox = salient_box(energy, size, cw / ch)
        side = min(size)
        within = (cbox[0], max(0.0, cbox[3] - side), cbox[2], min(float(size[1]), cbox[1] + side))
        sbox = salient_box(energy, size, sw / sh, within=within)

    # work at output scale: the cover box becomes exactly cw × ch pixels
    scale = cw / (cbox[2] - cbox[0])
    union = (min(cbox[0], sbox[0]), min(cbox[1], sbox[1]), max(cbox[2], sbox[2]), max(cbox[3], sbox[3]))
    ux, uy = int(union[0]), int(union[1])
    ucrop = (ux, uy, min(size[0], int(union[2] + 0.999)), min(size[1], int(union[3] + 0.999)))
    wsize = (max(cw, round((ucrop[2] - ucrop[0]) * scale)), max(ch, round((ucrop[3] - ucrop[1]) * scale)))
    c_at = _place((cbox[0] - ux) * scale, (cbox[1] - uy) * scale, (cw, ch), wsize)
    work = src.crop(ucrop) if ucrop != (0, 0, *size) else src
    if work.size != wsize:
        work = work.resize(wsize, Image.Resampling.BICUBIC, reducing_gap=2.0)
    side = max(1, min(round((sbox[2] - sbox[0]) * scale), *wsize))
    if sw <= side <= sw * 1.02:          # within 2 % of the share size: crop it, skip a resample
        inset = (side - sw) / 2
        sbox, side = (sbox[0] + inset / scale, sbox[1] + inset / scale, sbox[2], sbox[3]), sw
    s_at = _place((sbox[0] - ux) * scale, (sbox[1] - uy) * scale, (side, side * sh // sw), wsize)

    mark = None
    if wants_title(plan, image, cfg):
        brand = cfg.brand_for(plan.account)
        font = brand.font or cfg.paths.font
        mark = set_title(work, plan.title, _title_region(c_at, s_at), side, display=plan.display_title,
                         font_path=cfg.path(font) if font else None, brand=brand, cfg=cfg)
    cover = work.crop(c_at)
    share = work.crop(s_at)
    if share.size != (sw, sh):
        share = share.resize((sw, sh), Image.Resampling.BICUBIC, reducing_gap=2.0)
    return CoverSet(cover, share, mark.cropped(c_at, (cw, ch)) if mark else None,
                    mark.cropped(s_at, (sw, sh)) if mark else None)


def _place(x: float, y: float, box: tuple[int, int], within: tuple[int, int]) -> IntBox:
    """An integer box of exactly `box` size at about (x, y), kept inside `within`."""
    w, h = min(box[0], within[0]), min(box[1], within[1])
    ix = min(max(0, round(x)), within[0] - w)
    iy = min(max(0, round(y)), within[1] - h)
    return (ix, iy, ix + w, iy + h)


def _title_region(cover: IntBox, share: IntBox) -> IntBox:
    """Where the title may go: inside both crops, clear of each one's edges (6 % margins)."""
    def inset(b: IntBox) -> Box:
        m = 0.06 * min(b[2] - b[0], b[3] - b[1])
        mx = max(m, 0.04 * (b[2] - b[0]))
        return (b[0] + mx, b[1] + m, b[2] - mx, b[3] - m)

    a, b = inset(cover), inset(share)
    return (round(max(a[0], b[0])), round(max(a[1], b[1])), round(min(a[2], b[2])), round(min(a[3], b[3])))
