"""What every body parser returns, and the helpers they share to build sections and plain prose."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..models import Marker, Section

_CJK = r"\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])[ \t]*\n[ \t]*(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t\u00a0]*\n[ \t\u00a0]*|[ \t\u00a0]{2,}")
_BEFORE_PUNCT = re.compile(r"\s+(?=[，。、；：！？）》」』])")
_CE = re.compile(r"\\ce\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\\\(.+?\\\)")


def prose(text: str) -> str:
    """Plain prose from rendered-away markup: join wrapped CJK lines, drop stray \\ce{} math, squeeze spaces."""
    text = _CE.sub("", text)
    text = _CJK_GAP.sub("", text)
    return _BEFORE_PUNCT.sub("", _SPACES.sub(" ", text)).strip()


def same_title(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@dataclass
class Parsed:
    """A parsed body: its outline, the HTML to publish, and author-placed images."""

    title: str                                  # front matter, H1, <title> …; '' when there is none
    sections: list[Section]
    body_html: str
    markers: list[Marker] = field(default_factory=list)
    images: list[tuple[str, int]] = field(default_factory=list)   # (src, 1-based line) of placed images
    title_line: int = 0                         # line of the heading the title came from, or repeated
    repeated_title_line: int = 0                # line of a body H1 that repeated a given title (dropped)
    description: str = ""                       # an HTML document's <meta name="description">


class Outline:
    """Collects sections in document order while a parser walks the body."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self._count = 0

    def heading(self, text: str, level: int, line: int) -> str:
        """Start a section; returns its anchor for the heading element."""
        self._count += 1
        anchor = f"s{self._count}"
        self.sections.append(Section(heading=text, level=level, paragraphs=[], line=line, anchor=anchor))
        return anchor

    @property
    def current(self) -> Section:
        if not self.sections:
            self.sections.append(Section(heading="", level=0, paragraphs=[], line=0, anchor=""))
        return self.sections[-1]

    def paragraph(self, text: str) -> None:
        text = prose(text)
        if text:
            self.current.paragraphs.append(text)

    def image(self) -> None:
        self.current.has_image = True
