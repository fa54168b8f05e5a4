"""Word articles (.docx) → HTML with front matter, read with mammoth: headings, lists, tables, bold and
italic, links and embedded pictures come through; the document's core properties give the title and
author (and digest, tags) as front matter would.

Pictures stay in the HTML as data: URIs: they count as placed by the author (no generated image beside
them); the publish stage writes them beside the pages and uploads them like local images. Nothing outside
the file is read: a picture linked to a file or URL instead of inserted is refused, as are files that are
not Word documents, ZIP bombs, oversized pictures and macro-enabled documents (.docm), each with what to do.
"""

from __future__ import annotations

import base64
import io
import logging
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.parsers.expat import ExpatError

import mammoth
import yaml
from PIL import Image

from ..errors import InputError

log = logging.getLogger(__name__)

SUFFIXES = {".docx", ".docm"}
MAX_FILE_BYTES = 50_000_000           # a long article with photos
MAX_UNZIPPED_BYTES = 200_000_000      # all parts together, as the ZIP declares them (reads stop there)
MAX_PARTS = 5_000
MAX_IMAGE_BYTES = 10_000_000          # WeChat's permanent material limit
MAX_IMAGES_BYTES = 40_000_000         # every picture together
MAX_IMAGE_PIXELS = 40_000_000
SAVE_AS = "in Word: File → Save As → Word Document (.docx)"
_CORE = {"title": "{http://purl.org/dc/elements/1.1/}title",
         "author": "{http://purl.org/dc/elements/1.1/}creator",
         "digest": "{http://purl.org/dc/elements/1.1/}description",
         "tags": "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}keywords"}


def read_docx(path: Path) -> str:
    """The document as front matter + HTML body (what `parse_parts(…, fmt="html")` reads)."""
    where = str(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"Word 文件太大 the document is {size / 1e6:.0f} MB (limit {MAX_FILE_BYTES / 1e6:.0f} MB)",
                         where=where, hint="make the pictures smaller (Word: Picture Format → Compress Pictures)")
    data = path.read_bytes()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError("不是 Word 文档 not a Word .docx document (it is not a ZIP file; an old .doc or a renamed "
                         "file?)", where=where, hint=f"save it {SAVE_AS}") from None
    with archive:
        _check_parts(archive, where)
        meta = _core_properties(archive)
    html = _convert(data, where)
    front = yaml.safe_dump({k: v for k, v in meta.items() if v}, allow_unicode=True, sort_keys=False)
    return f"---\n{front}---\n{html}\n" if meta else html


def _check_parts(archive: zipfile.ZipFile, where: str) -> None:
    """A Word document, not a ZIP bomb, without macros."""
    parts = archive.infolist()
    unzipped = sum(p.file_size for p in parts)
    if len(parts) > MAX_PARTS or unzipped > MAX_UNZIPPED_BYTES:
        raise InputError(f"Word 文档解压后过大 the document unpacks to {unzipped / 1e6:,.0f} MB in {len(parts):,} "
                         f"parts (limit {MAX_UNZIPPED_BYTES / 1e6:.0f} MB): a ZIP bomb, or not an article", where=where,
                         hint=f"save the article again {SAVE_AS}")
    names = {p.filename for p in parts}
    if "word/document.xml" not in names:
        raise InputError("不是 Word 文档 this ZIP file is not a Word document (no word/document.xml)", where=where,
                         hint=f"save the article {SAVE_AS}")
    types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    if b"macroEnabled" in types or any(n.lower().endswith("vbaproject.bin") for n in names):
        raise InputError("文档含宏 the document is macro-enabled (.docm); peitu never runs macros and does not "
                         "read such files", where=where, hint=f"save a copy without macros {SAVE_AS}")


def _core_properties(archive: zipfile.ZipFile) -> dict[str, Any]:
    """Title, author, description (→ digest) and keywords (→ tags) from docProps/core.xml."""
    try:
        root = ElementTree.fromstring(archive.read("docProps/core.xml"))
    except (KeyError, ElementTree.ParseError):
        return {}
    meta: dict[str, Any] = {}
    for key, tag in _CORE.items():
        found = root.find(tag)
        value = " ".join((found.text or "").split()) if found is not None else ""
        if value:
            meta[key] = [t.strip() for t in value.replace("；", ";").replace("，", ",").replace(";", ",").split(",")
                         if t.strip()] if key == "tags" else value
    return meta


class _Pictures:
    """mammoth's image handler: each picture inside the file as a data: URI, within the limits."""

    def __init__(self, where: str):
        self.where, self.total = where, 0

    def __call__(self, image: Any) -> dict[str, str]:
        try:
            with image.open() as f:
                data = f.read(MAX_IMAGE_BYTES + 1)
        except mammoth.docx.files.InvalidFileReferenceError:
            raise InputError("文档里有链接到外部的图片 a picture is linked to a file or web address instead of being "
                             "in the document; peitu reads nothing outside the file", where=self.where,
                             hint="insert the picture itself (Word: Insert → Pictures, not Link to File)") from None
        if len(data) > MAX_IMAGE_BYTES:
            raise InputError(f"文档里的图片太大 a picture in the document is over {MAX_IMAGE_BYTES / 1e6:.0f} MB",
                             where=self.where, hint="compress the pictures (Word: Picture Format → Compress Pictures)")
        self.total += len(data)
        if self.total > MAX_IMAGES_BYTES:
            raise InputError(f"文档里的图片合计超过 {MAX_IMAGES_BYTES / 1e6:.0f} MB the pictures in the document are "
                             "too large together", where=self.where, hint="compress the pictures, or use fewer")
        try:
            with Image.open(io.BytesIO(data)) as im:
                pixels = im.width * im.height
        except (OSError, Image.DecompressionBombError, ValueError):
            pixels = 0                         # not a picture Pillow reads (EMF, WMF): the publish stage leaves it out
        if pixels > MAX_IMAGE_PIXELS:
            raise InputError(f"文档里的图片像素过多 a picture in the document has {pixels / 1e6:.0f} megapixels "
                             f"(limit {MAX_IMAGE_PIXELS / 1e6:.0f})", where=self.where,
                             hint="make the picture smaller before inserting it")
        return {"src": f"data:{image.content_type or 'application/octet-stream'};base64,"
                       f"{base64.b64encode(data).decode('ascii')}"}


def _convert(data: bytes, where: str) -> str:
    """The document body as HTML (mammoth's default style map: Heading 1–6, lists, tables …)."""
    try:
        result = mammoth.convert_to_html(io.BytesIO(data), convert_image=mammoth.images.img_element(_Pictures(where)))
    except InputError:
        raise
    except (KeyError, ValueError, zipfile.BadZipFile, ElementTree.ParseError, ExpatError, AttributeError,
            IndexError, TypeError) as err:
        raise InputError(f"无法读取 Word 文档 cannot read the Word document: {str(err)[:200]}", where=where,
                         hint=f"open it in Word and save it again {SAVE_AS}") from None
    for message in result.messages:
        log.debug("%s: %s", where, message.message)
    return str(result.value)
