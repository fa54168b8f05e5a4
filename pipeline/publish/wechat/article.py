"""From an Illustration to a WeChat draft article, and the placeholder editors type into drafts.

The placeholder (config `wechat.placeholder`, default 【配图】) marks where an editor wants an image:
a bare 【配图】 takes its subject from the text around it; 【配图：夕阳下的长城】 (or 【配图:…】) names it.
Each one becomes an author marker, so the image is generated for and placed at that spot.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import time
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, NavigableString
from PIL import Image

from ...config import Config
from ...errors import InputError, WeChatError
from ...models import Article, ImagePlan, Illustration, Marker, Rendition
from ...images.decode import sniff
from ...store import Store
from ..newspic import IMAGES_MAX, cover_info, draft_article, is_newspic, picture_srcs
from ..output import styled_body
from ..place import place_images
from ..theme import MMBIZ_PREFIXES, Styled, embedded, image_srcs, load_theme
from .draft import check_article
from .upload import INLINE_MAX_BYTES, MATERIAL_MAX_BYTES, PAGE, UNCLEAR, Uploader, centred, cover_from, crop

log = logging.getLogger(__name__)

# fields of a draft's news_item that draft/update takes back (url, thumb_url … are answers only)
ARTICLE_FIELDS = ("article_type", "title", "author", "digest", "content", "content_source_url", "thumb_media_id",
                  "need_open_comment", "only_fans_can_comment", "pic_crop_235_1", "pic_crop_1_1",
                  "image_info", "cover_info", "product_info")
_CLOSERS = "】]）)"
CONTEXT_CHARS = 60


def placeholder_pattern(placeholder: str) -> re.Pattern[str]:
    """【配图】 also matches 【配图：PROMPT】 and 【配图:PROMPT】; group "prompt" is the named subject."""
    if placeholder and placeholder[-1] in _CLOSERS:
        head, close = placeholder[:-1], placeholder[-1]
        return re.compile(re.escape(head) + rf"(?:\s*[:：]\s*(?P<prompt>[^{re.escape(close)}]*))?" + re.escape(close))
    return re.compile(re.escape(placeholder) + r"(?P<prompt>)")


def has_placeholder(html: str, placeholder: str) -> bool:
    return bool(placeholder) and bool(
        placeholder_pattern(placeholder).search(BeautifulSoup(html, "html.parser").get_text()))


def mark_placeholders(html: str, placeholder: str) -> tuple[str, list[str]]:
    """Replace each placeholder with `<img data-peitu-placeholder="n">` (so ingest sees an image there)
    → (html, the subject of each, in order: the named one, else the text around it)."""
    pattern = placeholder_pattern(placeholder)
    soup = BeautifulSoup(html, "html.parser")
    prompts: list[str] = []
    for text in list(soup.find_all(string=pattern)):
        parent = text.parent
        pieces: list[Any] = []
        last = 0
        for m in pattern.finditer(str(text)):
            pieces.append(NavigableString(str(text)[last:m.start()]))
            prompts.append((m.group("prompt") or "").strip() or _context(parent, placeholder))
            img = soup.new_tag("img", attrs={"data-peitu-placeholder": str(len(prompts)), "alt": prompts[-1]})
            pieces.append(img)
            last = m.end()
        pieces.append(NavigableString(str(text)[last:]))
        for piece in pieces:
            if piece.name or str(piece):
                text.insert_before(piece)
        text.extract()
    return str(soup), prompts


def _context(node: Any, placeholder: str) -> str:
    """The prose nearest a placeholder: its own block's text, else the previous block's, else the next's."""
    block = node
    while block is not None and block.name in ("span", "strong", "em", "b", "i", "a", "font", "u"):
        block = block.parent
    candidates = [block] if block is not None else []
    if block is not None:
        candidates += [block.find_previous_sibling(), block.find_next_sibling()]
    for c in candidates:
        text = placeholder_pattern(placeholder).sub("", c.get_text()) if c is not None else ""
        text = " ".join(text.split())
        if text:
            return text[:CONTEXT_CHARS]
    return ""


def adopt_placeholders(article: Article, prompts: list[str]) -> None:
    """Turn the placeholder images ingest kept in body_html into author markers (after any others)."""
    if not prompts:
        return
    soup = BeautifulSoup(article.body_html, "html.parser")
    start = max((m.index for m in article.markers), default=0)
    for img in soup.select("img[data-peitu-placeholder]"):
        n = int(str(img["data-peitu-placeholder"]))
        prompt = prompts[n - 1] or article.title
        index = start + n
        del img["data-peitu-placeholder"]
        img["data-peitu-marker"] = str(index)
        img["alt"] = prompt[:CONTEXT_CHARS]
        article.markers.append(Marker(index=index, prompt=prompt, alt=prompt[:CONTEXT_CHARS]))
    article.body_html = str(soup)


def parse_draft_article(item: dict[str, Any], cfg: Config, account: str, placeholder: str) -> Article:
    """A draft's news_item as an Article: its HTML content, title, and placeholders as markers."""
    from ...ingest import parse_article

    html, prompts = mark_placeholders(str(item.get("content") or ""), placeholder)
    title = str(item.get("title") or "")
    article = parse_article(f"<title>{escape(title)}</title>\n{html}", cfg, fmt="html")
    article.title = title or article.title
    article.author = str(item.get("author") or "")
    article.options["account"] = account
    adopt_placeholders(article, prompts)
    return article


def content_hash(item: dict[str, Any]) -> str:
    """What identifies an article's state: title, content and cover."""
    key = "\0".join(str(item.get(k) or "") for k in ("title", "content", "thumb_media_id"))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass
class Uploaded:
    """What went up for one article: its body with the images' WeChat URLs, and its cover."""

    content: str
    thumb_media_id: str = ""
    crop_235_1: str = ""
    crop_1_1: str = ""


def _upload_cover(uploader: Uploader, renditions: list[Rendition], cfg: Config, done: Uploaded, *,
                  account: str) -> None:
    """The generated cover as permanent material (the 2.35:1 picture, with its 1:1 crop), into `done`."""
    from ...library import record_upload

    cover = cover_from(renditions)
    if cover is None:
        return
    done.thumb_media_id, url = uploader.cover(cover.data)
    done.crop_235_1, done.crop_1_1 = cover.crop_235_1, cover.crop_1_1
    for r in renditions:
        if r.role == "cover":
            record_upload(cfg, r.data, done.thumb_media_id, url, account=account)


def upload_images(uploader: Uploader, article: Article, plans: list[ImagePlan], renditions: list[Rendition],
                  cfg: Config, *, account: str = "default") -> Uploaded:
    """Upload the cover (the 2.35:1 picture, with its 1:1 crop) and each body image once; place the URLs in
    the body (as it is: a draft editors styled keeps its look). Each upload is noted in the asset library
    against the rendition it came from."""
    from ...library import record_upload

    srcs = {}
    for r in renditions:
        if r.role in ("inline", "marker"):
            srcs[r.key] = uploader.inline(r.data, r.name)
            record_upload(cfg, r.data, "", srcs[r.key], account=account)
    done = Uploaded(content=place_images(article, plans, srcs))
    _upload_cover(uploader, renditions, cfg, done, account=account)
    return done


def news_article(base: dict[str, Any], up: Uploaded) -> dict[str, Any]:
    """The article to send: every field the editor set, with our content and (if made) our cover."""
    article = {k: base[k] for k in ARTICLE_FIELDS if k in base and base[k] not in (None, "")}
    article["content"] = up.content
    if up.thumb_media_id:
        article.update(thumb_media_id=up.thumb_media_id, pic_crop_235_1=up.crop_235_1, pic_crop_1_1=up.crop_1_1)
    return article


def _local_file(src: str, article: Article) -> Path | None:
    """The local file an image reference names, relative to the article's folder; None for URLs."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I):
        return None
    path = Path(src)
    if not path.is_absolute() and article.source:
        path = article.source.parent / path
    return path


def fitted(data: bytes, cfg: Config, what: str, *, max_bytes: int, max_width: int | None) -> bytes:
    """The author's bytes when WeChat takes them as they are; else a JPEG within the limits."""
    from ...images import open_image
    from ...images.encode import fit_jpeg

    if sniff(data) in ("JPEG", "PNG") and len(data) < max_bytes:
        if max_width is None:
            return data
        with Image.open(io.BytesIO(data)) as im:
            if im.width <= max_width:
                return data
    picture = open_image(data, cfg, what=what)
    if max_width and picture.width > max_width:
        picture = picture.resize((max_width, max(1, round(picture.height * max_width / picture.width))),
                                 Image.Resampling.LANCZOS)
    return fit_jpeg(picture, cfg.images.jpeg_quality, max_bytes - 1, what=what)[0]


def author_image(src: str, article: Article, files: dict[str, bytes]) -> bytes:
    """The bytes of an image the author placed: a file the article carried (a Word document's picture),
    else a local file relative to the article. A missing file is an InputError."""
    if src in files:
        return files[src]
    found = embedded(src)
    if found is not None:
        return found[1]
    path = _local_file(src, article)
    if path is None or not path.is_file():
        raise InputError(f"image {src} not found", where=str(article.source or article.slug),
                         hint="fix the path, relative to the article")
    return path.read_bytes()


def upload_body(styled: Styled, ill: Illustration, uploader: Uploader, cfg: Config, *, account: str) -> str:
    """Upload every image of the styled body once (generated renditions, the author's files) → the body
    as preview.html shows it, with each image's WeChat URL in place of its file name."""
    from ...library import record_upload

    made = {r.name: r for r in ill.renditions if r.role in ("inline", "marker")}
    urls: dict[str, str] = {}
    for src in image_srcs(styled.html()):
        if src in urls or src.startswith(MMBIZ_PREFIXES):
            continue
        if src in made:
            urls[src] = uploader.inline(made[src].data, src)
            record_upload(cfg, made[src].data, "", urls[src], account=account)
            continue
        data = fitted(author_image(src, ill.article, styled.files), cfg, src, max_bytes=INLINE_MAX_BYTES,
                      max_width=cfg.images.inline_max_width)
        urls[src] = uploader.inline(data, Path(src).name)
    return styled.html(urls, keep_src=lambda s: s.startswith(MMBIZ_PREFIXES))


def author_cover(article: Article, uploader: Uploader, cfg: Config) -> Uploaded:
    """The cover the article names (a local image), as permanent material with centred crops."""
    path = _local_file(article.cover, article)
    where = str(article.source or article.slug)
    if path is None or not path.is_file():
        raise InputError(f"the cover '{article.cover}' is not a local image file; WeChat needs the cover uploaded",
                         where=where, hint="name a local JPEG/PNG as cover, or run with --force to generate one")
    data = fitted(path.read_bytes(), cfg, article.cover, max_bytes=MATERIAL_MAX_BYTES + 1, max_width=None)
    with Image.open(io.BytesIO(data)) as im:
        w, h = im.size
    return Uploaded("", uploader.cover(data, path.name)[0], crop(w, h, centred(w, h, 2.35)),
                    crop(w, h, centred(w, h, 1.0)))


def upload_illustration(ill: Illustration, cfg: Config, account: str | None = None) -> str:
    """Create a draft in `account`'s draft box from an illustrated local article → the draft's media_id.

    The body is styled with the article's theme exactly as preview.html shows it. The cover goes up as
    permanent material (thumb_media_id, with both crops), body images (generated and the author's local
    files) through media/uploadimg; each image only once, however often this runs. The same article with
    the same images maps to the same draft: a rerun (after a crash, too) returns it instead of adding
    another. An image post (front matter `type: image`) becomes a newspic draft."""
    from .client import account_config, account_settings, build_client

    name, acct = account_settings(cfg, account)
    acfg = account_config(cfg, name)
    a = ill.article
    where = str(a.source or a.slug)
    if is_newspic(a):
        return _add_newspic(ill, acfg, name, where)
    base = {"title": a.title, "author": a.author or acct.author, "digest": a.digest,
            "content_source_url": str(a.meta.get("source_url") or a.meta.get("content_source_url") or ""),
            "need_open_comment": int(bool(a.meta.get("need_open_comment"))),
            "only_fans_can_comment": int(bool(a.meta.get("only_fans_can_comment")))}
    styled = styled_body(ill, load_theme(acfg, a))
    check_article({**base, "content": styled.html(), "thumb_media_id": "(to upload)"}, where=where)
    client = build_client(acfg, name)
    store = Store.for_config(acfg)
    uploader = Uploader(client, store)
    up = Uploaded(content=upload_body(styled, ill, uploader, acfg, account=name))
    _upload_cover(uploader, ill.renditions, acfg, up, account=name)
    if not up.thumb_media_id and a.cover:
        up = replace(author_cover(a, uploader, acfg), content=up.content)
    return _add_once(client, store, news_article(base, up))


def _add_newspic(ill: Illustration, cfg: Config, account: str, where: str) -> str:
    """A newspic (图片消息) draft: every picture as permanent material (each once), the first the cover."""
    from ...library import record_upload
    from .client import build_client

    made = {r.name: r for r in ill.renditions}
    srcs = picture_srcs(ill)
    if not srcs:
        raise InputError("an image post needs at least one picture", where=where,
                         hint="add images to the article (image_list: or ![](photo.jpg)), or let peitu make a cover")
    if len(srcs) > IMAGES_MAX:
        raise InputError(f"an image post takes at most {IMAGES_MAX} pictures; this one has {len(srcs)}", where=where,
                         hint="leave some out of image_list or the body")
    pictures = [made[s].data if s in made else
                fitted(author_image(s, ill.article, {}), cfg, s, max_bytes=MATERIAL_MAX_BYTES + 1, max_width=None)
                for s in srcs]
    cover = cover_from(ill.renditions) if srcs[0] in made else None
    with Image.open(io.BytesIO(pictures[0])) as first:
        crops = cover_info(first.width, first.height, cover.crop_1_1 if cover else None)
    check_article(draft_article(ill.article, ["(to upload)"] * len(srcs), crops), where=where)
    client = build_client(cfg, account)
    store = Store.for_config(cfg)
    uploader = Uploader(client, store)
    media_ids = []
    for src, data in zip(srcs, pictures, strict=True):
        media_id, url = uploader.cover(data, Path(src).name)
        media_ids.append(media_id)
        if src in made:
            record_upload(cfg, data, media_id, url, account=account)
    return _add_once(client, store, draft_article(ill.article, media_ids, crops))


def _mark_added(store: Store, scope: str, key: str, status: str, media_id: str | None = None) -> None:
    store.execute("INSERT INTO wechat_added_drafts (scope, article_hash, status, media_id, updated) "
                  "VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope, article_hash) DO UPDATE SET status = excluded.status, "
                  "media_id = excluded.media_id, updated = excluded.updated",
                  (scope, key, status, media_id, time.time()))


def _add_once(client: Any, store: Store, article: dict[str, Any]) -> str:
    """draft/add unless this very article was added before (and the draft still exists).

    The intent is recorded before the call and the media_id after it. An add whose result is missing
    (a crash, a lost answer, a -1) is never re-sent blindly: the whole draft box is searched for it first.
    After a lost answer that finds nothing, the run stops (WeChat may still be adding it) and the next
    run looks again."""
    scope = client.scope
    key = hashlib.sha256(json.dumps(article, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    rows = store.query("SELECT status, media_id FROM wechat_added_drafts WHERE scope = ? AND article_hash = ?",
                       (scope, key))
    row = rows[0] if rows else None
    if row and row["status"] == "done" and _draft_exists(client, row["media_id"]):
        log.info("this article is already draft %s; not adding it again", row["media_id"])
        return row["media_id"]
    if row and row["status"] == "sending" and (found := _find_draft(client, article)):
        _mark_added(store, scope, key, "done", found)        # the last run's add had landed
        return found
    _mark_added(store, scope, key, "sending")
    try:
        media_id = client.draft.add([article])
    except WeChatError as err:
        if err.errcode not in UNCLEAR:
            raise                                            # refused: the next run sends it again
        if found := _find_draft(client, article):
            _mark_added(store, scope, key, "done", found)
            return found
        if err.errcode is None:
            raise                                            # no answer: it may yet land; look next run
        log.info("draft/add answered -1 and the draft is not in the box; sending it again")
        media_id = client.draft.add([article])
    _mark_added(store, scope, key, "done", media_id)
    return media_id


def _draft_exists(client: Any, media_id: str) -> bool:
    try:
        client.draft.get(media_id)
        return True
    except WeChatError as err:
        if err.errcode == 40007:
            return False
        raise


def _find_draft(client: Any, article: dict[str, Any]) -> str | None:
    """The draft holding this article (its title, author and our own cover; WeChat may fill in a digest),
    through the whole draft box a page of 20 at a time, until found."""
    want = _identity(article)
    offset = 0
    while True:
        page = client.draft.batchget(offset, PAGE, no_content=True)
        items = page.get("item", [])
        for item in items:
            for news in item.get("content", {}).get("news_item", []):
                if _identity(news) == want:
                    return item["media_id"]
        offset += len(items)
        if not items or offset >= int(page.get("total_count", 0)):
            return None


def _identity(article: dict[str, Any]) -> tuple[str, ...]:
    """What tells our draft from others: title, author and our own cover (a newspic's first picture)."""
    images = (article.get("image_info") or {}).get("image_list") or [{}]
    return (*(str(article.get(k) or "") for k in ("title", "author", "thumb_media_id")),
            str(images[0].get("image_media_id") or ""))
