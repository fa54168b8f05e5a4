"""Read an article file into text: size, binary and encoding checks with errors a user can act on."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from ..errors import InputError

log = logging.getLogger(__name__)

Format = Literal["markdown", "html", "text"]
MAX_BYTES = 5_000_000
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd", ".mdx"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TEXT_SUFFIXES = {".txt", ".text"}
WORD_SUFFIXES = {".docx", ".docm"}

# magic bytes of files people drop in by mistake → what they are
_SIGNATURES = [
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (a Word document? name it .docx)"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF file (WebP image or audio)"),
    (b"\x1f\x8b", "a gzip archive"),
]


def read_text(path: Path) -> tuple[str, Format]:
    """The file's text (UTF-8, UTF-16 or GBK/GB18030) and its format, or an InputError saying what is wrong.
    A Word document (.docx) is read as HTML with its title and author as front matter."""
    where = str(path)
    if not path.exists():
        raise InputError("文件不存在 file not found", where=where)
    if not path.is_file():
        raise InputError("不是文件 not a file (a folder?)", where=where)
    if path.suffix.lower() in WORD_SUFFIXES:
        from .word import read_docx

        return read_docx(path), "html"
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(f"文件太大 file too large: {size / 1e6:.1f} MB (limit {MAX_BYTES / 1e6:.0f} MB)",
                         where=where, hint="an article is text; remove embedded data (base64 images) first")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read the file: {e.strerror}", where=where) from None
    text = decode(data, where)
    if not text.strip():
        raise InputError("文件是空的 empty file", where=where)
    return text, guess_format(path, text)


def decode(data: bytes, where: str) -> str:
    """Bytes → text. UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK)."""
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            raise InputError(f"不是文本文件 this is {what}, not an article",
                             where=where, hint="save the article as Markdown (.md), HTML, plain text or Word (.docx)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError("broken UTF-16 text", where=where) from None
    if b"\x00" in data[:8192]:
        raise InputError("不是文本文件 binary file (contains NUL bytes)", where=where,
                         hint="save the article as Markdown (.md), HTML or plain text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        utf8_error = e
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise InputError(f"无法识别的编码 not UTF-8 or GBK/GB18030 text (byte {utf8_error.start})", where=where,
                         hint="save the file as UTF-8 (in most editors: Save As → Encoding → UTF-8)") from None
    log.warning("%s: decoded as GBK/GB18030, not UTF-8; consider saving it as UTF-8", where)
    return text


def guess_format(path: Path, text: str) -> Format:
    """By suffix; an unknown suffix that starts like HTML is HTML, else Markdown."""
    suffix = path.suffix.lower()
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in TEXT_SUFFIXES:
        return "text"
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html", "<section", "<div", "<p>", "<p ", "<h1")):
        return "html"
    return "markdown"
