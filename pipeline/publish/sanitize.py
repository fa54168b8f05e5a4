"""What WeChat keeps of an article's HTML, by allow-list: tags, attributes and CSS properties and values.

Run after the theme is inlined (pipeline.publish.theme), so whatever the author's HTML carried (script,
on* handlers, javascript: links, CSS expression() or url(), position/float hacks, huge style attributes)
is gone before the HTML is shown in preview.html or sent to WeChat. nh3 (the Ammonia sanitiser) parses
and rebuilds the HTML; tinycss2 parses each style attribute, so a value is judged by its tokens, not by
its spelling (escapes such as `u\\72l(` are decoded first).

WeChat drops `id` (and with no <style> a `class` does nothing), so neither is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

import nh3
import tinycss2
from tinycss2.ast import CurlyBracketsBlock, FunctionBlock, Node, ParenthesesBlock, SquareBracketsBlock

TAGS = {"section", "div", "p", "br", "hr", "span", "strong", "b", "em", "i", "u", "s", "del", "ins", "mark",
        "sub", "sup", "small", "big", "abbr", "kbd", "code", "pre", "blockquote", "q", "cite",
        "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
        "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
        "img", "figure", "figcaption", "a", "ruby", "rt", "rp"}
# removed with everything inside them (other unknown tags are unwrapped: their text stays)
DROP_WITH_CONTENT = {"script", "style", "noscript", "template", "iframe", "frame", "frameset", "object", "embed",
                     "applet", "title", "textarea", "select", "option", "button", "svg", "math", "canvas",
                     "audio", "video", "head"}
CELL = {"colspan", "rowspan", "align", "valign"}
ATTRIBUTES = {"*": {"style"}, "img": {"src", "alt", "width", "height"}, "a": {"href", "title"},
              "td": CELL, "th": CELL, "ol": {"start"}, "col": {"span"}, "colgroup": {"span"}}
URL_SCHEMES = {"http", "https", "mailto"}

# CSS WeChat renders and keeps: no position/top/left/z-index, float, transform, animation, filters,
# and no property made to load a URL (background-image, list-style-image, border-image, content …);
# a url() anywhere else (the background shorthand) is refused by its token
CSS_PROPERTIES = {
    "color", "background", "background-color", "opacity",
    "font", "font-family", "font-size", "font-weight", "font-style", "font-variant", "line-height",
    "letter-spacing", "word-spacing", "text-align", "text-indent", "text-transform", "text-shadow",
    "text-decoration", "text-decoration-line", "text-decoration-style", "text-decoration-color",
    "text-underline-offset", "white-space", "word-break", "word-wrap", "overflow-wrap", "vertical-align",
    "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
    "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border", "border-top", "border-right", "border-bottom", "border-left", "border-width", "border-style",
    "border-color", "border-radius", "border-collapse", "border-spacing",
    "border-top-left-radius", "border-top-right-radius", "border-bottom-left-radius", "border-bottom-right-radius",
    "width", "min-width", "max-width", "height", "min-height", "max-height", "box-sizing", "box-shadow",
    "display", "overflow", "overflow-x", "overflow-y", "table-layout", "list-style-type", "list-style-position",
    "text-overflow", "caption-side", "empty-cells",
}
CSS_FUNCTIONS = {"rgb", "rgba", "hsl", "hsla"}
MAX_STYLE = 1000                    # characters of one element's style=; declarations past it are dropped


_BLOCKS = (ParenthesesBlock, SquareBracketsBlock, CurlyBracketsBlock)


def _safe(tokens: list[Node]) -> bool:
    """No url(), no function but colours, no parse errors, at any depth."""
    for token in tokens:
        if token.type in ("url", "error", "at-keyword"):
            return False
        if isinstance(token, FunctionBlock):
            if token.lower_name not in CSS_FUNCTIONS or not _safe(token.arguments):
                return False
        elif isinstance(token, _BLOCKS) and not _safe(token.content):
            return False
    return True


@lru_cache(maxsize=4096)            # a theme gives most elements the same style
def clean_style(style: str) -> str:
    """The allowed declarations of a style attribute, as `property:value;…` (at most MAX_STYLE characters)."""
    kept: list[str] = []
    size = 0
    for decl in tinycss2.parse_blocks_contents(style, skip_comments=True, skip_whitespace=True):
        if decl.type != "declaration" or decl.lower_name not in CSS_PROPERTIES or not _safe(decl.value):
            continue
        value = " ".join(tinycss2.serialize(decl.value).split())
        if not value:
            continue
        text = f"{decl.lower_name}:{value}"
        if size + len(text) + 1 > MAX_STYLE:
            break
        kept.append(text)
        size += len(text) + 1
    return ";".join(kept)


def is_local(src: str) -> bool:
    """A relative file name or path (an image beside the page), not a URL or an absolute path."""
    return bool(src) and ":" not in src.split("/", 1)[0] and not src.startswith(("/", "\\")) \
        and ".." not in src.replace("\\", "/").split("/")


def sanitize(html: str, srcs: Mapping[str, str] | None = None,
             keep_src: Callable[[str], bool] = is_local) -> str:
    """The HTML with only what WeChat keeps. An <img src> becomes srcs[src] when mapped, stays when
    keep_src(src) says so, and is removed otherwise (the <img> then shows nothing)."""
    mapping = srcs or {}

    def attribute(tag: str, name: str, value: str) -> str | None:
        if name == "style":
            return clean_style(value) or None
        if tag == "img" and name == "src":
            return mapping.get(value) or (value if keep_src(value) else None)
        return value

    return nh3.clean(html, tags=TAGS, clean_content_tags=DROP_WITH_CONTENT, attributes=ATTRIBUTES,
                     attribute_filter=attribute, url_schemes=URL_SCHEMES, link_rel=None, strip_comments=True)
