"""Ingest: an article file (Markdown, HTML, plain text, Word .docx) or a WeChat draft's HTML → Article.

    read_article(path, cfg, type_override=None) -> Article
    parse_article(text, cfg, fmt="markdown"|"html"|"text", source=None, type_override=None) -> Article
    section_subjects(article, section_index, k=4, cfg=None) -> list[str]   what an inline image there shows

Bad input raises InputError naming the file (and line) and what is wrong."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

from ..config import Config
from ..errors import InputError
from ..limits import DIGEST_MAX, TITLE_MAX
from ..models import Article
from .article_type import detect_type, require_type, resolve_type
from .frontmatter import COVER_KEYS, DIGEST_KEYS, FrontMatter, parse_options, split_front_matter
from .html import parse_html
from .keywords import annotate
from .markdown import parse_markdown
from .outline import Parsed
from .plain import parse_text
from .source import Format, read_text
from .subjects import section_subjects

__all__ = ["fallback_title", "parse_article", "parse_parts", "read_article", "section_subjects"]

log = logging.getLogger(__name__)

IMAGE_POST = "image"          # front matter `type: image` marks a 小绿书 image post, not an article type


def read_article(path: Path, cfg: Config, *, type_override: str | None = None) -> Article:
    """Read and parse an article file; the format comes from the suffix (unknown → sniffed)."""
    path = Path(path)
    text, fmt = read_text(path)
    return parse_article(text, cfg, fmt=fmt, source=path, type_override=type_override)


def parse_parts(text: str, *, fmt: Format, where: str) -> tuple[FrontMatter, Parsed]:
    """Front matter and parsed body, before keywords and type (what `peitu check` inspects)."""
    if fmt not in ("markdown", "html", "text"):
        raise ValueError(f"unknown format {fmt!r}")
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise InputError("文章是空的 empty article", where=where)
    fm = split_front_matter(text, where)         # HTML too: a Word document's title and author come so
    title = fm.first(("title",))[1]
    if fmt == "markdown":
        parsed = parse_markdown(fm.body, title=title, line_offset=fm.body_line, where=where)
    elif fmt == "html":
        try:
            parsed = parse_html(fm.body, title=title)
        except RecursionError:
            raise InputError("HTML is nested too deeply to read", where=where) from None
    else:
        parsed = parse_text(fm.body, title=title)
    return fm, parsed


def parse_article(text: str, cfg: Config, *, fmt: Format, source: Path | None = None,
                  type_override: str | None = None) -> Article:
    """Parse article text into an Article with keywords and type."""
    where = str(source) if source else "<article>"
    fm, parsed = parse_parts(text, fmt=fmt, where=where)
    image_post = str(fm.meta.get("type", "")).strip().lower() == IMAGE_POST
    if not parsed.sections and not parsed.markers and not image_post:
        raise InputError("文章没有正文 the article has no body text", where=where)
    options = parse_options(fm, where)
    if "type" in options:
        options["type"] = require_type(options["type"], cfg, f"{where}:{fm.line('peitu')}")
    sections = parsed.sections
    body_text = "\n".join(t for s in sections for t in (s.heading, *s.paragraphs) if t)
    title = parsed.title or fallback_title(source, body_text)
    article = Article(
        title=title, sections=sections, text=body_text, body_html=parsed.body_html,
        slug=_slug(fm, source, title), source=source, author=fm.first(("author",))[1],
        digest=_cut(fm.first(DIGEST_KEYS)[1] or parsed.description or _first_paragraph(parsed), DIGEST_MAX),
        meta=fm.meta, cover=fm.first(COVER_KEYS)[1], options=options, markers=parsed.markers)
    annotate(article, cfg)
    article.type = _type(article, fm, cfg, where, type_override, image_post)
    return article


def fallback_title(source: Path | None, body_text: str) -> str:
    """The title of an article that has none: its file name, else (pasted text) its first line, cut to
    WeChat's limit. `peitu check` warns when this is used."""
    return _cut(source.stem if source else body_text.split("\n", 1)[0], TITLE_MAX)


def _type(article: Article, fm: FrontMatter, cfg: Config, where: str,
          override: str | None, image_post: bool) -> str:
    """--type, then peitu.type, then front-matter `type` (id or label), then detection."""
    if override:
        return require_type(override, cfg, "--type")
    if "type" in article.options:
        return str(article.options["type"])
    declared = fm.meta.get("type")
    if declared not in (None, "") and not image_post:
        type_id = resolve_type(str(declared), cfg)
        if type_id:
            return type_id
        log.warning("%s:%d: front-matter type '%s' is not an article type; detecting it from the text",
                    where, fm.line("type"), declared)
    return detect_type(article, cfg)


def _first_paragraph(parsed: Parsed) -> str:
    return next((p for s in parsed.sections for p in s.paragraphs), "")


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending in … when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _slug(fm: FrontMatter, source: Path | None, title: str) -> str:
    """Front-matter slug, else the file stem: ASCII as is, anything else with a short stable hash."""
    stem = fm.first(("slug",))[1] or (source.stem if source else title)
    ascii_part = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:60].strip("-")
    if stem.isascii() and ascii_part:
        return ascii_part
    digest = hashlib.sha1(stem.encode("utf-8")).hexdigest()[:8]
    return f"{ascii_part}-{digest}" if ascii_part else digest
