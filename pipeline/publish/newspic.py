"""图片消息 (article_type newspic): an image post, up to 20 pictures (the first is the cover) and plain text.

An article is one when its front matter says `type: image` (wenyan and md2wechat write it so) or the run
says --newspic. Its pictures, in order: a cover peitu made (only when the article has no picture of its
own, or with --force), the author's (front matter `cover`, then `image_list`, then the images in the
body), then the images peitu made for what the article asks (`__generate:…__` markers, inline images).
WeChat takes the text as plain text only (the API: 纯文本; the MP editor's 贴图 box holds 1,000
characters, which peitu keeps to), and `cover_info` crops of the first picture for the feed (2.35:1),
the share card (1:1) and 16:9.
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup

from ..ingest import IMAGE_POST
from ..limits import NEWSPIC_IMAGES_MAX as IMAGES_MAX
from ..limits import NEWSPIC_TEXT_MAX as TEXT_MAX
from ..models import Article, Illustration, Section

__all__ = ["IMAGES_MAX", "TEXT_MAX", "author_images", "cover_info", "draft_article", "is_newspic", "picture_srcs"]
CROP_RATIOS = {"2.35_1": 2.35, "1_1": 1.0, "16_9": 16 / 9}
LIST_KEYS = ("src", "path", "image", "url")     # an image_list entry written as a mapping


def is_newspic(article: Article) -> bool:
    return str(article.meta.get("type", "")).strip().lower() == IMAGE_POST


def listed_images(meta: dict[str, Any]) -> list[str]:
    """The front matter's `image_list` entries as paths (a string, or a mapping with src/path/image/url)."""
    value = meta.get("image_list")
    entries = value if isinstance(value, list) else [value] if value else []
    out = []
    for entry in entries:
        if isinstance(entry, dict):
            entry = next((entry[k] for k in LIST_KEYS if entry.get(k)), "")
        if str(entry).strip():
            out.append(str(entry).strip())
    return out


def body_images(html: str) -> list[str]:
    """The src of every image the author placed in the body (not peitu's markers), in order."""
    soup = BeautifulSoup(html, "html.parser")
    return [str(img["src"]).strip() for img in soup.find_all("img")
            if img.get("src") and not img.has_attr("data-peitu-marker")]


def author_images(article: Article) -> list[str]:
    """The author's pictures: the cover the article names, `image_list`, then the body's, each once."""
    found = ([article.cover] if article.cover else []) + listed_images(article.meta) + body_images(article.body_html)
    return list(dict.fromkeys(found))


def plain_text(sections: list[Section]) -> str:
    """The post's text: headings and paragraphs, one a line (what the body reads as, without markup)."""
    return "\n".join(t for s in sections for t in (s.heading, *s.paragraphs) if t)


def picture_srcs(ill: Illustration) -> list[str]:
    """Every picture of the post in order, as file names of peitu's images and the author's paths."""
    made = {r.key: r.name for r in ill.renditions if r.role != "cover_1x1"}
    keys = [p.key for p in ill.plans if p.key in made]
    cover = [made[k] for k in keys if k == "cover"]
    return cover + author_images(ill.article) + [made[k] for k in keys if k != "cover"]


def cover_info(width: int, height: int, square: str | None = None) -> dict[str, Any]:
    """`cover_info` for a first picture of width × height: the centred crop of each ratio (for a 2.35:1
    picture the 2.35:1 one is all of it), the 1:1 one `square` (X1_Y1_X2_Y2) when given: the square of
    a cover peitu composed that is its share image."""
    from .wechat.upload import centred, crop

    crops = []
    for ratio, value in CROP_RATIOS.items():
        text = square if ratio == "1_1" and square else crop(width, height, centred(width, height, value))
        x1, y1, x2, y2 = text.split("_")
        crops.append({"ratio": ratio, "x1": x1, "y1": y1, "x2": x2, "y2": y2})
    return {"crop_percent_list": crops}


def draft_article(article: Article, media_ids: list[str], cover: dict[str, Any]) -> dict[str, Any]:
    """The newspic draft article WeChat's draft/add takes."""
    return {"article_type": "newspic", "title": article.title, "content": plain_text(article.sections),
            "need_open_comment": int(bool(article.meta.get("need_open_comment"))),
            "only_fans_can_comment": int(bool(article.meta.get("only_fans_can_comment"))),
            "image_info": {"image_list": [{"image_media_id": m} for m in media_ids]}, "cover_info": cover}
