"""HTML bodies (files, and the content of WeChat drafts) → Parsed, with scripts, styles and frames removed."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from .outline import Outline, Parsed, prose, same_title

IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_UNSAFE = re.compile(r"<\s*(script|style|iframe|object|embed|frame|noscript)\b|\son\w+\s*=|javascript:",
                     re.IGNORECASE)
DROP_TAGS = ("script", "style", "iframe", "object", "embed", "frame", "frameset", "noscript", "template",
             "link", "meta", "base")
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
NOT_PROSE = {"pre", "code", "table", "math", "svg", "figcaption", "sup", "button", "select", "textarea"}
BLOCKS = {"p", "div", "section", "article", "main", "blockquote", "ul", "ol", "li", "figure", "header",
          "footer", "aside", "dl", "dt", "dd", "details", "summary", "center", "body"} | HEADINGS | NOT_PROSE


def needs_cleaning(html: str) -> bool:
    return bool(_UNSAFE.search(html))


def _clean(soup: BeautifulSoup | Tag) -> None:
    """Remove active content in place: scripts, styles, frames, event handlers, javascript: links."""
    for tag in soup.find_all(DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        for attr in [a for a in tag.attrs if a.lower().startswith("on")]:
            del tag[attr]
        for attr in ("href", "src"):
            if str(tag.get(attr, "")).strip().lower().startswith("javascript:"):
                del tag[attr]


def clean_fragment(html: str) -> str:
    """An HTML fragment without active content (for raw HTML inside Markdown)."""
    soup = BeautifulSoup(html, "html.parser")
    _clean(soup)
    return str(soup)


def _has_block_child(tag: Tag) -> bool:
    return any(isinstance(c, Tag) and c.name in BLOCKS for c in tag.children)


def _bold_heading(tag: Tag, text: str) -> bool:
    """A short line set entirely in bold (<p><strong>一、备料</strong></p>): how WeChat editors write
    headings when they write none."""
    text = prose(text)
    if tag.name not in ("p", "section", "div") or not 2 <= len(text) <= 30 or text[-1] in "。！？；，：,.;:!?…":
        return False
    strings = [s for s in tag.find_all(string=True) if s.strip() and not isinstance(s, Comment)]
    return tag.find("img") is None and all(s.find_parent(["strong", "b"]) for s in strings)


class _Walker:
    def __init__(self, title: str) -> None:
        self.outline = Outline()
        self.title = title
        self.given = bool(title)
        self.dropped = False
        self.repeated = 0
        self.images: list[tuple[str, int]] = []

    def walk(self, node: Tag) -> None:
        loose: list[str] = []          # inline text directly inside a container with block children
        for child in list(node.children):
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                loose.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            if child.name not in BLOCKS and not child.find(BLOCKS):
                loose.append(self._inline(child))
                continue
            self._flush(loose)
            self.block(child)
        self._flush(loose)

    def _flush(self, loose: list[str]) -> None:
        if loose:
            self.outline.paragraph("".join(loose))
            loose.clear()

    def _inline(self, tag: Tag) -> str:
        for img in ([tag] if tag.name == "img" else tag.find_all("img")):
            self.images.append((str(img.get("src") or img.get("data-src") or ""), img.sourceline or 0))
            self.outline.image()
        if tag.name in NOT_PROSE:
            return ""
        return "".join(s for s in tag.find_all(string=True)
                       if not isinstance(s, Comment) and not s.find_parent(NOT_PROSE))

    def block(self, tag: Tag) -> None:
        if tag.name in HEADINGS:
            text = prose(tag.get_text())
            if tag.name == "h1" and not self.dropped and self.title and same_title(text, self.title):
                self.dropped = True
                self.repeated = (tag.sourceline or 0) if self.given else 0
                tag.decompose()
                return
            tag["id"] = self.outline.heading(text, int(tag.name[1]), tag.sourceline or 0)
        elif tag.name in NOT_PROSE:
            self._inline(tag)                  # images inside still count; text does not
        elif _has_block_child(tag):
            self.walk(tag)
        else:
            text = self._inline(tag)
            if _bold_heading(tag, text):
                tag["id"] = self.outline.heading(prose(text), 3, tag.sourceline or 0)
            else:
                self.outline.paragraph(text)


def parse_html(body: str, *, title: str = "") -> Parsed:
    """Parse an HTML document or fragment. `title` is a known title (front matter / draft); else the
    <title>, then the first H1, then the first H2."""
    soup = BeautifulSoup(body, "html.parser")
    root = soup.body or soup
    description = soup.find("meta", attrs={"name": "description"})
    title_line = 0
    if not title:
        for candidate in (soup.find("meta", property="og:title"), soup.title, root.find("h1"), root.find("h2")):
            text = candidate.get("content", "") if candidate and candidate.name == "meta" else (
                candidate.get_text() if candidate else "")
            if candidate and text.strip():
                title, title_line = prose(text), candidate.sourceline or 0
                break
    description = str(description.get("content", "")) if description else ""
    for tag in soup.find_all(["head", "title"]):
        tag.decompose()
    _clean(soup)
    walker = _Walker(title)
    walker.walk(root)
    html = root.decode_contents() if root is soup.body else str(root)
    return Parsed(title=title, sections=walker.outline.sections, body_html=html.strip(),
                  images=walker.images, title_line=walker.repeated or title_line,
                  repeated_title_line=walker.repeated, description=prose(description))
