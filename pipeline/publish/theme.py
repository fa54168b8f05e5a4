"""Article themes: CSS users edit (templates/themes/NAME.css), inlined into the body's style attributes
with css-inline (WeChat drops <style>), then cut down to what WeChat keeps (pipeline.publish.sanitize).

The body is styled once; `Styled.html()` gives the HTML preview.html and article.html show, and
`Styled.html(urls)` the same HTML with each image's WeChat URL: what the draft holds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import css_inline
from bs4 import BeautifulSoup

from ..config import Config
from ..errors import ConfigError, InputError
from ..images.decode import sniff
from ..models import Article
from .sanitize import is_local, sanitize

log = logging.getLogger(__name__)

ROOT_CLASS = "peitu"                 # the <section> the body is wrapped in: a theme's root rule targets it
MMBIZ_PREFIXES = ("http://mmbiz.qpic.cn/", "https://mmbiz.qpic.cn/")   # images WeChat already has
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DATA_URI = re.compile(r"^data:image/[\w.+-]+;base64,(?P<data>[A-Za-z0-9+/=\s]+)$", re.I)
_EXT = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "BMP": ".bmp", "WEBP": ".webp"}
_IMG_SRC = re.compile(r'<img\b[^>]*?\ssrc="([^"]*)"')


@dataclass(frozen=True)
class Theme:
    """A theme's name and CSS ('' for none: the body as it is, cleaned)."""

    name: str = ""
    css: str = ""


def themes_dir(cfg: Config) -> Path:
    return cfg.path(cfg.paths.themes)


def theme_names(cfg: Config) -> list[str]:
    folder = themes_dir(cfg)
    return sorted(p.stem for p in folder.glob("*.css")) if folder.is_dir() else []


def theme_name(cfg: Config, article: Article | None = None) -> tuple[str, str]:
    """(name, where it was chosen): front matter `theme:`, else config `theme` (an account's, through
    account_config)."""
    chosen = article.meta.get("theme") if article is not None else None
    if chosen not in (None, ""):
        return str(chosen).strip(), str(article.source or article.slug) if article is not None else ""
    return cfg.theme, ""


def load_theme(cfg: Config, article: Article | None = None) -> Theme:
    """The theme an article is styled with; an unknown name is an InputError (front matter) or a
    ConfigError (config), naming the themes there are."""
    return load_named(cfg, *theme_name(cfg, article))


def load_named(cfg: Config, name: str, where: str = "") -> Theme:
    """The theme called `name`; `where` names the article that chose it ('' for the config)."""
    path = themes_dir(cfg) / f"{name}.css"
    if not _NAME.match(name) or not path.is_file():
        have = ", ".join(theme_names(cfg)) or f"none: {themes_dir(cfg)} has no .css file"
        if where:
            raise InputError(f"unknown theme '{name[:64]}' (front matter theme:)", where=where,
                             hint=f"themes: {have}")
        raise ConfigError(f"theme: '{name[:64]}' has no file in {themes_dir(cfg)}", hint=f"themes: {have}")
    return _read(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=32)
def _read(path: Path, mtime_ns: int) -> Theme:
    try:
        return Theme(path.stem, path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read the theme: {err}", where=str(path)) from None


@dataclass
class Styled:
    """An article body with its theme inlined. `files`: images it carried as data: URIs (a Word
    document's pictures), by the file name the body now gives them."""

    inlined: str
    files: dict[str, bytes] = field(default_factory=dict)

    def html(self, srcs: Mapping[str, str] | None = None, keep_src: Callable[[str], bool] | None = None) -> str:
        """The HTML WeChat keeps, each <img src> replaced by srcs[src] where mapped. Unmapped images stay
        when they are files beside the page or already on WeChat (or as `keep_src` says)."""
        return sanitize(self.inlined, srcs, keep_src or (lambda s: is_local(s) or s.startswith(MMBIZ_PREFIXES)))


def image_srcs(html: str) -> list[str]:
    """The src of every <img> in sanitised HTML, in order (entities decoded)."""
    from html import unescape

    return [unescape(s) for s in _IMG_SRC.findall(html)]


def embedded(src: str) -> tuple[str, bytes] | None:
    """An image carried as a data: URI (a Word document's picture) → (the file name peitu gives it, its
    bytes); None when `src` is no such image or not a picture peitu reads."""
    m = _DATA_URI.match(src.strip())
    if not m:
        return None
    try:
        data = base64.b64decode(re.sub(r"\s+", "", m.group("data")), validate=True)
    except (binascii.Error, ValueError):
        return None
    fmt = sniff(data)
    if fmt not in _EXT:
        return None
    return f"embedded-{hashlib.sha256(data).hexdigest()[:12]}{_EXT[fmt]}", data


def style_body(body: str, theme: Theme, *, where: str = "") -> Styled:
    """Wrap the body in its root section, turn data: images into named files, drop images from other
    sites (WeChat filters them out; a warning says which) and inline the theme."""
    soup = BeautifulSoup(body, "html.parser")
    files: dict[str, bytes] = {}
    for img in soup.find_all("img"):
        src = str(img.get("src") or "").strip()
        if src.lower().startswith("data:"):
            found = embedded(src)
            if found is None:
                log.warning("%s: an embedded image is not a picture peitu can read; it is left out", where)
                img.decompose()
                continue
            files[found[0]] = found[1]
            img["src"] = found[0]
        elif not src.startswith(MMBIZ_PREFIXES) and ("://" in src or src.startswith("//")):
            log.warning("%s: WeChat drops images from other sites, so the draft and preview leave out %s "
                        "(save it beside the article and link the file)", where, src[:200])
            img.decompose()
    html = f'<section class="{ROOT_CLASS}">{soup}</section>'
    try:
        inlined = css_inline.inline_fragment(html, theme.css, inline_style_tags=False, keep_style_tags=False,
                                             keep_link_tags=False, load_remote_stylesheets=False, minify_css=True)
    except (css_inline.InlineError, ValueError) as err:
        raise ConfigError(f"theme '{theme.name}' cannot be applied: {err}",
                          hint="fix the CSS in the theme file (templates/themes/)") from None
    return Styled(inlined, files)
