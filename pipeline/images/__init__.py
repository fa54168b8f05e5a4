"""Images stage: a generated picture → renditions within WeChat's limits: the 2.35:1 cover and
its 1:1 share image, inline images at most images.inline_max_width wide, all baseline JPEG."""

from __future__ import annotations

from PIL import Image

from ..config import Config
from ..models import GeneratedImage, ImagePlan, Rendition
from .cover import CoverSet, cover_set
from .decode import open_image
from .encode import fit_jpeg

__all__ = ["CoverSet", "cover_set", "open_image", "renditions_for"]


def renditions_for(plan: ImagePlan, image: GeneratedImage, cfg: Config) -> list[Rendition]:
    """The files to publish for one generated image (see the module docstring)."""
    what = f"{plan.key} image from {image.provider}"
    quality = cfg.images.jpeg_quality
    if plan.role == "cover":
        covers = cover_set(plan, image, cfg)
        out = []
        for name, role, picture in (("cover.jpg", "cover", covers.cover), ("cover_1x1.jpg", "cover_1x1", covers.share)):
            data, fitted = fit_jpeg(picture, quality, cfg.images.cover_max_bytes, what=what, sharp=True)
            out.append(Rendition(name, data, fitted.width, fitted.height, "JPEG", role, plan.key))
        return out
    limit = cfg.images.inline_max_width
    picture = open_image(image.data, cfg, what=what, at_least=(limit, 1))
    if picture.width > limit:
        picture = picture.resize((limit, max(1, round(picture.height * limit / picture.width))),
                                 Image.Resampling.BICUBIC, reducing_gap=2.0)
    data, fitted = fit_jpeg(picture, quality, cfg.images.inline_max_bytes, what=what)
    role = "marker" if plan.role == "marker" else "inline"
    return [Rendition(f"{plan.key}.jpg", data, fitted.width, fitted.height, "JPEG", role, plan.key)]
