"""Plain-text bodies: paragraphs are separated by blank lines; there are no headings."""

from __future__ import annotations

import re
from html import escape

from .outline import Outline, Parsed

_BLANK = re.compile(r"\n[ \t\u3000]*\n")


def parse_text(body: str, *, title: str = "") -> Parsed:
    outline = Outline()
    html = []
    for block in _BLANK.split(body.replace("\r\n", "\n")):
        if block.strip():
            outline.paragraph(block)
            html.append("<p>" + "<br>\n".join(escape(line.strip()) for line in block.strip().splitlines()) + "</p>")
    return Parsed(title=title, sections=outline.sections, body_html="\n".join(html))
