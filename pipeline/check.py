"""Pre-flight checks of an article against WeChat's limits and common authoring mistakes (`peitu check`).

Errors block publishing (WeChat would refuse the draft, or an upload would fail); warnings are things
peitu fixes or works around (it drops a repeated H1, cuts a long digest, converts a WebP image) that an
author may want to know. The body is measured as the draft will carry it: with its theme's inline
styles. An image post (`type: image`) is checked as one: its pictures and its plain text. With `made`,
the cover peitu made for the article before (its output folder) is checked too: WeChat's 1:1 card must
show the share image composed to hold the title."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from .config import Config
from .errors import InputError, PeituError
from .images.decode import sniff
from .ingest import IMAGE_POST, fallback_title, parse_parts
from .ingest import _slug as output_slug        # the folder `peitu illustrate` writes an article to
from .ingest.article_type import require_type
from .ingest.frontmatter import COVER_KEYS, DIGEST_KEYS, FrontMatter, parse_options
from .ingest.outline import Parsed
from .ingest.source import read_text
from .limits import (AUTHOR_MAX, CONTENT_MAX_BYTES, CONTENT_MAX_CHARS, DIGEST_MAX, NEWSPIC_IMAGES_MAX,
                     NEWSPIC_TEXT_MAX, TITLE_MAX)
from .manifest import Manifest
MEDIA_ID_KEYS = ("thumb_media_id", "media_id", "image_media_id")
COMMENT_KEYS = ("need_open_comment", "only_fans_can_comment")
BODY_FORMATS = {"JPEG", "PNG"}                       # media/uploadimg
COVER_FORMATS = {"JPEG", "PNG", "GIF", "BMP"}       # material/add_material?type=image


@dataclass
class Finding:
    level: Literal["error", "warning"]
    code: str
    message: str
    file: str
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _image_format(head: bytes) -> str:
    if head.lstrip()[:5].lower() in (b"<svg ", b"<?xml"):
        return "SVG"
    return sniff(head) or "unknown"


def _local(src: str, folder: Path) -> Path | None:
    """The file a relative or absolute image path names; None for URLs and data: URIs."""
    parts = urlsplit(src)
    if parts.scheme in ("http", "https", "data") or src.startswith("//") or not src:
        return None
    if len(parts.scheme) == 1:                     # a Windows drive letter, C:\…
        return Path(src)
    path = Path(unquote(parts.path))
    return path if path.is_absolute() else folder / path


class _Checker:
    def __init__(self, path: Path, cfg: Config) -> None:
        self.path, self.cfg = path, cfg
        self.file = str(path)
        self.findings: list[Finding] = []

    def add(self, level: Literal["error", "warning"], code: str, message: str, line: int = 0) -> None:
        self.findings.append(Finding(level, code, message, self.file, line))

    def error(self, err: InputError, code: str) -> None:
        """An InputError as a finding, with the line from its `file:line`."""
        tail = (err.where or "").rsplit(":", 1)[-1]
        self.add("error", code, err.message + (f" ({err.hint})" if err.hint else ""),
                 int(tail) if tail.isdigit() else 0)

    def front_matter(self, fm: FrontMatter, parsed: Parsed) -> None:
        key, title = fm.first(("title",))
        title = title or parsed.title
        if not title:
            named = fallback_title(self.path, "")
            self.add("warning", "no-title", f"没有标题，peitu 用文件名“{named}”作标题，封面上也会显示它 "
                     f"(no title: no front-matter title:, no # H1 line, no HTML <title>/<h1>; the file name "
                     f"is used; add a title)", 1)
        if len(title) > TITLE_MAX:
            self.add("error", "title-too-long", f"标题 {len(title)} 字，微信上限 {TITLE_MAX} 字 "
                     f"(title has {len(title)} characters; WeChat allows {TITLE_MAX})",
                     fm.line(key) if key else parsed.title_line)
        key, author = fm.first(("author",))
        if len(author) > AUTHOR_MAX:
            self.add("error", "author-too-long", f"作者 {len(author)} 字，微信上限 {AUTHOR_MAX} 字 "
                     f"(author has {len(author)} characters; WeChat allows {AUTHOR_MAX})", fm.line(key))
        key, digest = fm.first(DIGEST_KEYS)
        if len(digest) > DIGEST_MAX:
            self.add("warning", "digest-too-long", f"摘要 {len(digest)} 字，微信上限 {DIGEST_MAX} 字，peitu 会截断 "
                     f"({key} has {len(digest)} characters; WeChat allows {DIGEST_MAX}; peitu cuts it)",
                     fm.line(key))
        covers = [(k, str(fm.meta[k]).strip()) for k in COVER_KEYS if fm.meta.get(k) not in (None, "")]
        if len({v for _, v in covers}) > 1:
            used = covers[0]
            others = ", ".join(f"{k}: {v}" for k, v in covers[1:] if v != used[1])
            self.add("warning", "cover-conflict", f"封面设置冲突 cover keys disagree: {used[0]}: {used[1]} is used, "
                     f"not {others}", fm.line(covers[1][0]))
        if covers and fm.meta.get("thumb_media_id"):
            self.add("warning", "cover-conflict", f"both {covers[0][0]} and thumb_media_id are set; "
                     "thumb_media_id (an uploaded cover) wins", fm.line("thumb_media_id"))
        if covers and _local(covers[0][1], self.path.parent) is None:
            self.add("warning", "cover-url", f"封面是网址，上传到微信需要本地图片 ({covers[0][0]} is a URL; "
                     "uploading to WeChat needs a local image file, or --force to generate a cover)",
                     fm.line(covers[0][0]))
        elif covers:
            self.image(covers[0][1], fm.line(covers[0][0]), cover=True)
        for key in MEDIA_ID_KEYS:
            value = str(fm.meta.get(key) or "")
            if value.startswith(("http://", "https://", "//")):
                self.add("error", "url-as-media-id", f"{key} 需要素材 media_id，不是网址 "
                         f"(expects a media_id from material upload, got a URL); put the image in cover: instead",
                         fm.line(key))
        for key in COMMENT_KEYS:
            if key in fm.meta and fm.meta[key] not in (0, 1, True, False):
                self.add("error", "bad-comment-flag", f"{key} must be 0 or 1, not {fm.meta[key]!r}", fm.line(key))
    def body(self, parsed: Parsed, theme: str) -> None:
        if parsed.repeated_title_line:
            self.add("warning", "duplicate-h1", "正文一级标题与文章标题重复，peitu 会去掉它 "
                     "(the body H1 repeats the title; peitu drops it)", parsed.repeated_title_line)
        styled = self.styled(parsed.body_html, theme)
        chars, size = len(styled), len(styled.encode("utf-8"))
        with_theme = f"（含主题 {theme} 的内联样式）" if theme else ""
        hint = "; try front matter `theme: plain`, or split the article" if theme and theme != "plain" else \
            "; split the article"
        if chars >= CONTENT_MAX_CHARS:
            self.add("error", "body-too-long", f"正文 HTML{with_theme} {chars:,} 字符，微信要求少于 "
                     f"{CONTENT_MAX_CHARS:,} (content has {chars:,} characters{' with its theme' if theme else ''}; "
                     f"WeChat takes fewer than {CONTENT_MAX_CHARS:,}{hint})")
        if size >= CONTENT_MAX_BYTES:
            self.add("error", "body-too-large", f"正文 HTML{with_theme} {size / 1e6:.2f} MB，微信要求小于 1 MB "
                     f"(content must be under 1 MB{hint})")
        for src, line in parsed.images:
            self.image(src, line)

    def styled(self, body: str, theme: str) -> str:
        """The body as the draft will carry it: with the theme inlined (none when it cannot be read)."""
        from .publish.theme import Theme, load_named, style_body

        try:
            chosen = load_named(self.cfg, theme) if theme else Theme()
        except PeituError:
            chosen = Theme()
        return style_body(body, chosen, where=self.file).html()

    def theme(self, fm: FrontMatter) -> str:
        """The article's theme (front matter `theme:`, else config); '' when it does not exist (reported)."""
        from .publish.theme import load_named

        named = fm.meta.get("theme")
        try:
            return load_named(self.cfg, str(named).strip() if named not in (None, "") else self.cfg.theme,
                              where=f"{self.file}:{fm.line('theme')}" if named not in (None, "") else "").name
        except PeituError as err:
            self.add("error", "unknown-theme", err.message + (f" ({err.hint})" if err.hint else ""),
                     fm.line("theme") if named not in (None, "") else 0)
            return ""

    def newspic(self, fm: FrontMatter, parsed: Parsed) -> None:
        """An image post: 1–20 pictures (the author's must be local files), plain text of 1,000 characters."""
        from .publish.newspic import listed_images, plain_text

        key, cover = fm.first(COVER_KEYS)
        named = [(cover, fm.line(key))] if cover else []              # front_matter() checked the file
        listed = [(src, fm.line("image_list")) for src in listed_images(fm.meta)]
        pictures = list(dict.fromkeys([*named, *listed, *parsed.images]))
        for src, line in pictures:
            if src.startswith(("http://", "https://", "//")):
                self.add("error", "newspic-remote-image", f"图片消息的图片要用本地文件 (an image post's pictures go up "
                         f"as WeChat material: save {src[:120]} beside the article and name the file)", line)
            elif (src, line) not in named:
                self.image(src, line, cover=True)
        count = len({src for src, _ in pictures}) + len(parsed.markers)
        if count > NEWSPIC_IMAGES_MAX:
            self.add("error", "too-many-images", f"图片消息最多 {NEWSPIC_IMAGES_MAX} 张，这篇有 {count} 张 (an image "
                     f"post takes {NEWSPIC_IMAGES_MAX} pictures at most; this one has {count})",
                     fm.line("image_list") or (pictures[0][1] if pictures else 0))
        text = plain_text(parsed.sections)
        if len(text) > NEWSPIC_TEXT_MAX:
            self.add("error", "newspic-text-too-long", f"图片消息的文字 {len(text):,} 字，上限 {NEWSPIC_TEXT_MAX:,} 字 "
                     f"(an image post's text has {len(text):,} characters; WeChat's editor takes "
                     f"{NEWSPIC_TEXT_MAX:,}; shorten it, or publish it as an article)", fm.body_line + 1)

    def image(self, src: str, line: int, *, cover: bool = False) -> None:
        if src.startswith("data:"):
            self.embedded(src, line)
            return
        path = _local(src, self.path.parent)
        if path is None:
            return
        what = "封面" if cover else "图片"
        if not path.is_file():
            self.add("error", "missing-image", f"{what}文件不存在 image not found: {src}", line)
            return
        with path.open("rb") as f:
            kind = _image_format(f.read(32))
        size = path.stat().st_size
        allowed = COVER_FORMATS if cover else BODY_FORMATS
        limit = self.cfg.images.cover_max_bytes if cover else self.cfg.images.inline_max_bytes
        if kind not in allowed:
            self.add("warning", "image-format", f"微信不接受 {kind} {what}，peitu 会转成 JPEG/PNG "
                     f"({src}: WeChat refuses {kind}; peitu converts it)", line)
        if size > limit:
            self.add("warning", "image-too-large", f"{what}超过 {limit / 1e6:g} MB，peitu 会压缩 "
                     f"({src}: {size / 1e6:.1f} MB; WeChat takes {limit / 1e6:g} MB at most; peitu compresses it)",
                     line)


    def embedded(self, src: str, line: int) -> None:
        """An image the article carries in itself (a Word document's picture, a data: URI)."""
        from .publish.theme import embedded

        found = embedded(src)
        if found is None:
            self.add("warning", "image-format", "正文里嵌入的图片无法读取，会被去掉 (an embedded image is not a "
                     "picture peitu reads; it is left out)", line)
        elif sniff(found[1]) not in BODY_FORMATS:
            self.add("warning", "image-format", f"微信不接受 {sniff(found[1])} 图片，peitu 会转成 JPEG "
                     f"(embedded image {found[0]}: WeChat refuses {sniff(found[1])}; peitu converts it)", line)

    def made_cover(self, folder: Path) -> None:
        """The cover in an output folder made from this article: a 1:1 share image that is no square of
        the 2.35:1 cover means WeChat's 1:1 card (a square of the cover) cannot show the title as composed."""
        from PIL import Image

        from .publish.wechat.upload import share_square

        try:
            made = Manifest.read(folder)
        except InputError:
            return
        if not made.article.source or Path(made.article.source).resolve() != self.path.resolve():
            return                                   # another article's folder, or none
        files = {f.role: folder / f.name for i in made.images if i.key == "cover" for f in i.files}
        if not (files.get("cover") and files.get("cover_1x1")):
            return
        try:
            with Image.open(files["cover"]) as wide, Image.open(files["cover_1x1"]) as square:
                found = share_square(wide, square)
        except OSError:
            return
        if found is None:
            cover, share = files["cover"].name, files["cover_1x1"].name
            self.findings.append(Finding(
                "warning", "cover-crop", f"微信的 1:1 卡片取自封面 {cover}，与分享图 {share} 不同，标题可能被截断 "
                f"(WeChat's 1:1 card is a square of {cover}, and no square of it is the share image {share}: "
                "the title may be cut; illustrate the article again)", str(folder)))


def check_article(path: Path, cfg: Config, *, made: bool = False, newspic: bool = False) -> list[Finding]:
    """Everything worth telling an author about one article, errors first, then by line; with `made`,
    also the cover `peitu illustrate` made for it (in paths.output); with `newspic`, as an image post
    whatever its front matter says."""
    checker = _Checker(Path(path), cfg)
    try:
        text, fmt = read_text(checker.path)
        fm, parsed = parse_parts(text, fmt=fmt, where=checker.file)
    except InputError as err:
        checker.error(err, "unreadable")
        return checker.findings
    try:
        options = parse_options(fm, checker.file)
        if "type" in options:
            require_type(options["type"], cfg, f"{checker.file}:{fm.line('peitu')}")
    except InputError as err:
        checker.error(err, "bad-option")
    image_post = newspic or str(fm.meta.get("type", "")).strip().lower() == IMAGE_POST
    if not parsed.sections and not parsed.markers and not image_post:
        checker.add("error", "no-body", "文章没有正文 the article has no body text", fm.body_line + 1)
    checker.front_matter(fm, parsed)
    if image_post:
        checker.newspic(fm, parsed)
    else:
        checker.body(parsed, checker.theme(fm))
    if made:
        checker.made_cover(cfg.path(cfg.paths.output) / output_slug(fm, checker.path, parsed.title))
    return sorted(checker.findings, key=lambda f: (f.level != "error", f.line))
