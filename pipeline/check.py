"""Pre-flight checks of an article against WeChat's limits and common authoring mistakes (`peitu check`).

Errors block publishing (WeChat would refuse the draft, or an upload would fail); warnings are things
peitu fixes or works around (it drops a repeated H1, cuts a long digest, converts a WebP image) that an
author may want to know."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from .config import Config
from .errors import InputError
from .images.decode import sniff
from .ingest import IMAGE_POST, fallback_title, parse_parts
from .ingest.article_type import require_type
from .ingest.frontmatter import COVER_KEYS, DIGEST_KEYS, FrontMatter, parse_options
from .ingest.outline import Parsed
from .ingest.source import read_text
from .limits import AUTHOR_MAX, CONTENT_MAX_BYTES, CONTENT_MAX_CHARS, DIGEST_MAX, TITLE_MAX

IMAGE_LIST_MAX = 20
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
        image_list = fm.meta.get("image_list")
        if isinstance(image_list, list) and len(image_list) > IMAGE_LIST_MAX:
            self.add("error", "too-many-images", f"图片消息最多 {IMAGE_LIST_MAX} 张 (image_list has "
                     f"{len(image_list)} images; WeChat allows {IMAGE_LIST_MAX})", fm.line("image_list"))

    def body(self, parsed: Parsed) -> None:
        if parsed.repeated_title_line:
            self.add("warning", "duplicate-h1", "正文一级标题与文章标题重复，peitu 会去掉它 "
                     "(the body H1 repeats the title; peitu drops it)", parsed.repeated_title_line)
        chars, size = len(parsed.body_html), len(parsed.body_html.encode("utf-8"))
        if chars >= CONTENT_MAX_CHARS:
            self.add("error", "body-too-long", f"正文 HTML {chars:,} 字符，微信要求少于 {CONTENT_MAX_CHARS:,} "
                     f"(content has {chars:,} characters; WeChat takes fewer than {CONTENT_MAX_CHARS:,})")
        if size >= CONTENT_MAX_BYTES:
            self.add("error", "body-too-large", f"正文 HTML {size / 1e6:.2f} MB，微信要求小于 1 MB "
                     "(content must be under 1 MB)")
        for src, line in parsed.images:
            self.image(src, line)

    def image(self, src: str, line: int, *, cover: bool = False) -> None:
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


def check_article(path: Path, cfg: Config) -> list[Finding]:
    """Everything worth telling an author about one article, errors first, then by line."""
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
    if not parsed.sections and not parsed.markers and str(fm.meta.get("type", "")).lower() != IMAGE_POST:
        checker.add("error", "no-body", "文章没有正文 the article has no body text", fm.body_line + 1)
    checker.front_matter(fm, parsed)
    checker.body(parsed)
    return sorted(checker.findings, key=lambda f: (f.level != "error", f.line))
