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
    tags = [t for t in soup.descendants if isinstance(t, Tag)]
    for tag in tags:
        if tag.name in DROP_TAGS:
            tag.decompose()
        elif tag.attrs:
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


def _has_block(tag: Tag) -> bool:
    return tag.name in BLOCKS or any(isinstance(d, Tag) and d.name in BLOCKS for d in tag.descendants)


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
            if not _has_block(child):
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
        """The prose inside `tag` (not code, tables, comments …), noting its images on the way."""
        parts: list[str] = []
        stack: list[Tag | NavigableString] = [tag]
        while stack:
            node = stack.pop()
            if isinstance(node, Comment):
                continue
            if isinstance(node, NavigableString):
                parts.append(str(node))
            elif node.name == "img":
                self.images.append((str(node.get("src") or node.get("data-src") or ""), node.sourceline or 0))
                self.outline.image()
            elif node.name in NOT_PROSE:
                stack.extend(d for d in node.descendants if isinstance(d, Tag) and d.name == "img")
            else:
                stack.extend(c for c in reversed(node.contents) if isinstance(c, Tag | NavigableString))
        return "".join(parts)

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


def _firsts(soup: BeautifulSoup) -> dict[str, Tag]:
    """In one pass: the first og:title and description <meta>, <title> and <h1>."""
    found: dict[str, Tag] = {}
    for tag in soup.descendants:
        if not isinstance(tag, Tag):
            continue
        key = tag.name
        if key == "meta":
            key = {"og:title": "og", "description": "description"}.get(
                str(tag.get("property") or tag.get("name") or ""), "")
        if key in ("og", "description", "title", "h1"):
            found.setdefault(key, tag)
    return found


def parse_html(body: str, *, title: str = "") -> Parsed:
    """Parse an HTML document or fragment. `title` is a known title (front matter / draft); else
    og:title, then the first H1 (a page's <title> often carries the site's name too), then <title>;
    never an H2 (a section heading), so a page with none of these has no title here."""
    soup = BeautifulSoup(body, "html.parser")
    root = soup.body or soup
    firsts = _firsts(soup)
    title_line = 0
    if not title:
        for key in ("og", "h1", "title"):
            tag = firsts.get(key)
            text = (str(tag.get("content") or "") if key == "og" else tag.get_text()) if tag else ""
            if tag and text.strip():
                title, title_line = prose(text), tag.sourceline or 0
                break
    description = str(firsts["description"].get("content") or "") if "description" in firsts else ""
    for tag in [t for t in soup.descendants if isinstance(t, Tag) and t.name in ("head", "title")]:
        tag.decompose()
    _clean(soup)
    walker = _Walker(title)
    walker.walk(root)
    html = root.decode_contents() if root is soup.body else str(root)
    return Parsed(title=title, sections=walker.outline.sections, body_html=html.strip(),
                  images=walker.images, title_line=walker.repeated or title_line,
                  repeated_title_line=walker.repeated, description=prose(description))
