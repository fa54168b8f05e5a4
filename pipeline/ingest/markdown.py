"""Markdown bodies as 公众号 authors write them → Parsed: sections, prose, body_html with anchors, markers.

Parsed with markdown-it (CommonMark + tables, strikethrough, GFM alerts, footnotes, $math$, ::: containers)
plus small inline rules for what the Chinese Markdown editors add: ruby `[文字]{wén zì}` / `[文字]^(注音)`,
`==高亮==`, `++下划线++`, `~波浪线~`, and md2wechat's `![alt](__generate:PROMPT|size=16:9__)`.
Code, math, diagrams, tables, raw HTML and footnotes render intact but never reach the prose."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin

from ..errors import InputError
from ..models import Marker
from .html import IMG_SRC, clean_fragment, needs_cleaning
from .outline import Outline, Parsed, prose, same_title

MARKER = re.compile(r"!\[([^\]\n]*)\]\(__generate:(.*?)__\)")
RUBY = re.compile(r"\[([^\[\]\n]+)\](?:\{([^{}\n]+)\}|\^\(([^()\n]+)\))")
SIZE = re.compile(r"^\s*(\d{1,5})\s*[:x×*]\s*(\d{1,5})\s*$")
TOC = re.compile(r"^\[toc\]$", re.IGNORECASE)

# block regions that render but are not prose (code, math and raw HTML are leaf tokens, skipped by type)
_SKIP = {"table_open": "table_close", "footnote_block_open": "footnote_block_close",
         "alert_title_open": "alert_title_close"}
# inline tokens whose text is not prose
_NOT_PROSE = {"code_inline", "math_inline", "math_inline_double", "html_inline", "image", "footnote_ref",
              "peitu_marker"}


def _marker_rule(state: StateInline, silent: bool) -> bool:
    """`![alt](__generate:PROMPT__)`: one token, so `__…__` never turns bold and spaces are allowed."""
    if not state.src.startswith("![", state.pos):
        return False
    m = MARKER.match(state.src, state.pos)
    if not m:
        return False
    if not silent:
        prompt, _, size = m.group(2).partition("|size=")
        token = state.push("peitu_marker", "img", 0)
        token.meta = {"alt": m.group(1).strip(), "prompt": prompt.strip(), "size": size.strip(),
                      "offset": state.src.count("\n", 0, state.pos)}
    state.pos = m.end()
    return True


def _ruby_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "[":
        return False
    m = RUBY.match(state.src, state.pos)
    if not m:
        return False
    if not silent:
        token = state.push("ruby", "ruby", 0)
        token.meta = {"base": m.group(1), "annotation": m.group(2) or m.group(3)}
    state.pos = m.end()
    return True


def _wrap_rule(mark: str, name: str, tag: str, attrs: dict[str, str]) -> Callable[[StateInline, bool], bool]:
    """An inline rule for `{mark}text{mark}` on one line, rendered as <tag attrs>text</tag>."""
    size = len(mark)

    def rule(state: StateInline, silent: bool) -> bool:
        src, pos = state.src, state.pos
        if not src.startswith(mark, pos) or (mark == "~" and src.startswith("~~", pos)):
            return False
        if mark == "~" and pos and src[pos - 1].isascii() and src[pos - 1].isalnum():   # 10~20: a range
            return False
        start = pos + size
        end = src.find(mark, start, state.posMax)
        if end <= start or "\n" in src[start:end] or src[start].isspace() or src[end - 1].isspace():
            return False
        if mark == "~" and (src[start].isdigit() or src.startswith("~~", end)):
            return False
        if not silent:
            token = state.push(f"{name}_open", tag, 1)
            for key, value in attrs.items():
                token.attrSet(key, value)
            old_max = state.posMax
            state.pos, state.posMax = start, end
            state.md.inline.tokenize(state)
            state.posMax = old_max
            state.push(f"{name}_close", tag, -1)
        state.pos = end + size
        return True

    return rule


def _render_marker(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    meta = tokens[idx].meta
    return f'<img data-peitu-marker="{meta["index"]}" alt="{escape(meta["alt"])}">'


def _render_ruby(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    meta = tokens[idx].meta
    return f"<ruby>{escape(meta['base'])}<rt>{escape(meta['annotation'])}</rt></ruby>"


def _render_container(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    if token.nesting == 1:
        kind = re.sub(r"[^\w-]", "", token.info.strip().split(" ", 1)[0])
        return f'<section class="md-container md-{kind}">\n'
    return "</section>\n"


def _render_html(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    content = tokens[idx].content
    return clean_fragment(content) if needs_cleaning(content) else content


def _build() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "alerts": True})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin, inline=False)
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False, allow_blank_lines=False)
    md.use(container_plugin, name="any", validate=lambda params, *_: bool(params.strip()),
           render=_render_container)
    md.inline.ruler.before("image", "peitu_marker", _marker_rule)
    md.inline.ruler.before("link", "ruby", _ruby_rule)
    md.inline.ruler.before("emphasis", "mark", _wrap_rule("==", "mark", "mark", {}))
    md.inline.ruler.before("emphasis", "ins", _wrap_rule("++", "ins", "u", {}))
    md.inline.ruler.before("strikethrough", "wavy", _wrap_rule(
        "~", "wavy", "span", {"style": "text-decoration: underline wavy"}))
    md.add_render_rule("peitu_marker", _render_marker)
    md.add_render_rule("ruby", _render_ruby)
    md.add_render_rule("html_block", _render_html)
    md.add_render_rule("html_inline", _render_html)
    return md


_md = _build()


def inline_text(children: Sequence[Token] | None) -> str:
    """The prose of an inline token: text, link text, ruby base; no code, math, images or HTML."""
    parts: list[str] = []
    for child in children or ():
        if child.type == "text":
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "ruby":
            parts.append(child.meta["base"])
    return prose("".join(parts))


def _title_candidate(tokens: list[Token]) -> tuple[str, int]:
    """The first H1's text and 0-based line. An H2 is a section, never the title: an article with no
    H1 has no title here (ingest falls back to the file name, and `peitu check` says so)."""
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.tag == "h1":
            return inline_text(tokens[i + 1].children), tok.map[0] if tok.map else 0
    return "", -1


def _marker(meta: dict[str, Any], index: int, line: int, where: str) -> Marker:
    prompt = meta["prompt"] or meta["alt"]
    if not prompt:
        raise InputError("`__generate:__` has no prompt: write what to draw after the colon",
                         where=f"{where}:{line}")
    width = height = None
    if meta["size"]:
        m = SIZE.match(meta["size"])
        if not m or not (int(m.group(1)) and int(m.group(2))):
            raise InputError(f"bad image size '{meta['size']}': write it as W:H, e.g. |size=16:9",
                             where=f"{where}:{line}")
        width, height = int(m.group(1)), int(m.group(2))
    return Marker(index=index, prompt=prompt, alt=meta["alt"], width=width, height=height, line=line)


def parse_markdown(body: str, *, title: str = "", line_offset: int = 0, where: str = "<article>") -> Parsed:
    """Parse a Markdown body. `title` is the front-matter title, if any; `line_offset` is how many source
    lines precede `body` (front matter), so Section.line and Marker.line point into the file."""
    env: dict[str, Any] = {}
    tokens = _md.parse(body, env)
    given = bool(title)
    title_line = 0
    if not given:
        title, at = _title_candidate(tokens)
        title_line = at + 1 + line_offset if title else 0
    outline = Outline()
    markers: list[Marker] = []
    images: list[tuple[str, int]] = []
    kept: list[Token] = []
    repeated = 0
    dropped = False
    skip: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        line = tok.map[0] + 1 + line_offset if tok.map else 0
        if skip and tok.type == skip[-1]:
            skip.pop()
        elif tok.type in _SKIP:
            skip.append(_SKIP[tok.type])
        elif tok.type == "heading_open":
            text = inline_text(tokens[i + 1].children)
            if tok.tag == "h1" and not dropped and title and same_title(text, title):
                dropped = True
                repeated = line if given else 0
                title_line = line
                i += 3                                # heading_open, inline, heading_close
                continue
            tok.attrSet("id", outline.heading(text, int(tok.tag[1]), line))
        elif tok.type == "inline" and tokens[i - 1].type != "heading_open":
            for child in tok.children or ():
                if child.type == "peitu_marker":
                    child.meta["index"] = len(markers) + 1
                    markers.append(_marker(child.meta, len(markers) + 1, line + child.meta["offset"], where))
                    outline.image()
                elif child.type == "image":
                    src = child.attrGet("src") or ""
                    at = tok.content.find(f"]({src}") if src else -1
                    images.append((str(src), line + (tok.content.count("\n", 0, at) if at > 0 else 0)))
                    outline.image()
                elif child.type == "html_inline" and "<img" in child.content.lower():
                    images.extend((src, line) for src in IMG_SRC.findall(child.content))
                    outline.image()
            if not skip:
                text = inline_text(tok.children)
                if not TOC.match(text):
                    outline.paragraph(text)
        elif tok.type == "html_block" and "<img" in tok.content.lower():
            images.extend((src, line) for src in IMG_SRC.findall(tok.content))
            outline.image()
        kept.append(tok)
        i += 1
    html = _md.renderer.render(kept, _md.options, env)
    return Parsed(title=title, sections=outline.sections, body_html=html, markers=markers,
                  images=images, title_line=title_line, repeated_title_line=repeated)
