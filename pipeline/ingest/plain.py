"""Plain-text bodies: paragraphs are separated by blank lines; there are no headings. A short first
line standing alone (no closing punctuation) is the title, as people write a text file."""

from __future__ import annotations

import re
from html import escape

from .outline import Outline, Parsed

_BLANK = re.compile(r"\n[ \t\u3000]*\n")
TITLE_MAX = 40
_SENTENCE_END = tuple("。！？；，、：.!?;,:…")


def _is_title(block: str) -> bool:
    line = block.strip()
    return "\n" not in line and 0 < len(line) <= TITLE_MAX and not line.endswith(_SENTENCE_END)


def parse_text(body: str, *, title: str = "") -> Parsed:
    outline = Outline()
    html = []
    blocks = [b for b in _BLANK.split(body.replace("\r\n", "\n")) if b.strip()]
    title_line = 0
    if not title and len(blocks) > 1 and _is_title(blocks[0]):
        title = blocks.pop(0).strip()
        title_line = body[:body.index(title)].count("\n") + 1
    for block in blocks:
        outline.paragraph(block)
        html.append("<p>" + "<br>\n".join(escape(line.strip()) for line in block.strip().splitlines()) + "</p>")
    return Parsed(title=title, sections=outline.sections, body_html="\n".join(html), title_line=title_line)

