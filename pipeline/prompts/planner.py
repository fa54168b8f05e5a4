"""Plan the images for an article: which ones (cover, best sections, author markers) and their prompts."""

from __future__ import annotations

import hashlib
import logging
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..config import Config, Size
from ..errors import ConfigError, InputError, TemplateError
from ..models import Article, ImagePlan, Marker, Section
from .glossary import dedupe
from .library import TemplateLibrary, tidy

log = logging.getLogger(__name__)

NO_TEXT = "no text, no letters, no captions"
NO_TEXT_NEGATIVE = ("text", "letters", "words", "chinese characters", "typography", "caption",
                    "watermark", "signature", "logo")
MAX_EN_KEYWORDS = 8
MIN_PROSE = 20              # characters: a one-line section gets no image
KEYWORD_WEIGHT = 40          # a section keyword counts like this many characters of prose
MARKER_SIDE = (512, 2048)    # marker images: each side within this, a multiple of 64

_libraries: dict[tuple, TemplateLibrary] = {}


def library_for(cfg: Config, templates_dir: Path | None = None) -> TemplateLibrary:
    """The process-wide library for these folders (compiled templates are kept between articles)."""
    key = (cfg.root.resolve(), cfg.paths.templates, cfg.paths.styles, cfg.paths.glossary,
           Path(templates_dir).resolve() if templates_dir else None)
    lib = _libraries.get(key)
    if lib is None:
        lib = _libraries[key] = TemplateLibrary(cfg, templates_dir)
    lib.cfg = cfg                # same folders; the newest config's type labels apply
    return lib


def plan_images(article: Article, cfg: Config, *, style: str | None = None,
                inline_count: int | None = None, cover: bool = True,
                templates_dir: Path | None = None) -> list[ImagePlan]:
    """ImagePlans for the cover, up to `inline_count` inline images and every author marker."""
    lib = library_for(cfg, templates_dir)
    style_name = _style_name(article, cfg, style, lib)
    name = article.type if lib.has(article.type) else "default"
    if name != article.type:
        log.warning("%s: no template for type '%s'; using default", article.slug, article.type)
    version = lib.version(name, style_name)
    style_spec = lib.style(style_name)
    style_ctx = style_spec.context()
    glossary = lib.glossary()
    account = str(article.options.get("account") or "default")
    acct = cfg.wechat.accounts.get(account)
    base: dict[str, Any] = {
        "title": article.title,
        "keywords": glossary.translate([article.title, *article.keywords])[:MAX_EN_KEYWORDS],
        "keywords_zh": list(article.keywords),
        "type": article.type, "type_label": _type_label(lib, cfg, article.type, name),
        "style": style_ctx,
        "account": {"name": account, "author": article.author or (acct.author if acct else "")},
    }

    def render(ctx: dict[str, Any], block: str) -> dict[str, str]:
        out = lib.render(name, ctx, blocks=(block, "negative"))
        for b in (block, "negative"):
            if not out.get(b) and b != "marker_prompt":
                raise TemplateError(f"block '{b}' is missing or renders nothing for a {ctx['role']} image",
                                    where=lib.display(lib.path(name)))
        return out

    def plan(key: str, role: str, size: Size, **fields: Any) -> ImagePlan:
        seed = int(hashlib.sha256(f"{article.slug}\0{key}\0{version}".encode()).hexdigest()[:8], 16)
        return ImagePlan(key=key, role=role, style=style_name, width=size.width, height=size.height,
                         seed=seed & 0x7FFFFFFF, template=name, template_version=version,
                         palette_hint=style_ctx["palette"]["name"], palette=style_ctx["palette"]["colors"],
                         text_color=style_ctx["palette"]["text"], **fields)

    title_nouns = nouns_in(article.title, shortest=1)        # the title's 面 or 书 is its subject
    plans: list[ImagePlan] = []
    if cover:
        out = render({**base, "role": "cover"}, "cover_prompt")
        plans.append(plan("cover", "cover", cfg.images.generate_cover,
                          prompt=_no_text(out["cover_prompt"]), negative_prompt=_negative(out["negative"]),
                          title=article.title, subtitle=_cover_subtitle(article),
                          keywords=list(article.keywords), title_overlay=style_spec.title_overlay,
                          subjects=subjects_of([*title_nouns, *(k for k in article.keywords if k in article.title),
                                                *article.keywords]), account=account))
    count = _inline_count(article, cfg, inline_count)
    for n, idx in enumerate(pick_sections(article, count), start=1):
        sec = article.sections[idx]
        own = glossary.translate([sec.heading, *sec.keywords])[:MAX_EN_KEYWORDS]
        shift = (n - 1) % max(len(base["keywords"]), 1)   # no terms of its own: vary the article's
        section = {"heading": sec.heading, "index": idx, "number": n, "keywords_zh": list(sec.keywords),
                   "keywords": own or base["keywords"][shift:] + base["keywords"][:shift]}
        out = render({**base, "role": "inline", "section": section}, "inline_prompt")
        plans.append(plan(f"inline-{n}", "inline", cfg.images.generate_inline,
                          prompt=_no_text(out["inline_prompt"]), negative_prompt=_negative(out["negative"]),
                          section_index=idx, title=sec.heading, subtitle=" · ".join(sec.keywords[:3]),
                          keywords=list(sec.keywords) or list(article.keywords), account=account,
                          subjects=subjects_of([*sec.keywords, *nouns_in(sec.heading),
                                                *_rotated(article.keywords, n - 1)])))
    for marker in article.markers:
        out = render({**base, "role": "marker", "prompt": marker.prompt}, "marker_prompt")
        prompt = out.get("marker_prompt") or _marker_prompt(marker, glossary.segment(marker.prompt), style_ctx)
        plans.append(plan(f"marker-{marker.index}", "marker", _marker_size(marker, cfg),
                          prompt=_no_text(prompt), negative_prompt=_negative(out["negative"]),
                          marker_index=marker.index, title=marker.alt,
                          keywords=dedupe([marker.alt, *article.keywords[:3]]), account=account,
                          subjects=subjects_of([*nouns_in(marker.prompt), *nouns_in(marker.alt)])))
    return plans


# Stopgap until a planner names what each image shows (ImagePlan.subjects): the words of the text
# that can be drawn — keywords and nouns, never a sentence. Junk (上床, 篇文章, 心里有个数) stays out
# through the part of speech: a word made with a pronoun, adverb, preposition, conjunction, particle
# or measure word is not a subject.
NOT_SUBJECT = ("r", "d", "p", "c", "u", "y", "q", "e", "o", "x", "w")
EN_SKIP = {"the", "and", "with", "from", "into", "onto", "over", "under", "for", "that", "this", "its", "their",
           "some", "very", "light", "style", "photo", "image", "picture", "scene", "view", "shot", "close", "text"}
MAX_SUBJECTS = 12
NUMERALS = set("一二两三四五六七八九十百千万几半0123456789")


@lru_cache(maxsize=4096)
def _flags(word: str) -> tuple[str, ...]:
    """jieba's part of speech for each word of `word` (an article's keywords recur in its plans)."""
    from ..ingest.keywords import shared_lexicon

    return tuple(p.flag for p in shared_lexicon().posseg.lcut(word) if p.word.strip())


def subjects_of(words: list[str]) -> list[str]:
    """The drawable words among `words`, in order, without repeats: no pronoun, adverb, preposition,
    conjunction, particle or measure word in them, not a quantity (八块钱, 十几个部位)."""
    out: list[str] = []
    for word in words:
        word = " ".join(str(word).split())
        if not word or word in out or word[0] in NUMERALS:
            continue
        if not word.isascii():
            flags = _flags(word)
            if not flags or any(f.startswith(NOT_SUBJECT) for f in flags):
                continue
        out.append(word)
        if len(out) >= MAX_SUBJECTS:
            break
    return out


def nouns_in(text: str, shortest: int = 2) -> list[str]:
    """The nouns of a phrase or sentence in order (Chinese by part of speech, `shortest` characters or
    more; English words of three letters or more that are not function words)."""
    from ..ingest.keywords import shared_lexicon

    out: list[str] = []
    for pair in shared_lexicon().posseg.lcut(text, HMM=False):      # dictionary words: fast, and nouns are in it
        word = pair.word.strip()
        if word.isascii():
            out += [w for w in re.findall(r"[A-Za-z]{3,}", word) if w.lower() not in EN_SKIP]
        elif len(word) >= shortest and (pair.flag.startswith("n") or pair.flag in ("vn", "j")):
            out.append(word)
    return dedupe(out)


def _rotated(words: list[str], k: int) -> list[str]:
    """The article's keywords starting at the k-th: inline images fall back on different ones."""
    if not words:
        return []
    k %= len(words)
    return [*words[k:], *words[:k]]


def pick_sections(article: Article, count: int) -> list[int]:
    """Indexes of the `count` sections most worth an image, in article order.

    Eligible: a heading, at least MIN_PROSE characters of prose, no image of the author's, and
    a heading not named in the front matter's `no_image_after`.
    Score: characters of prose plus KEYWORD_WEIGHT per keyword."""
    skip = {str(h).strip() for h in _as_list(article.options.get("no_image_after"))}
    scored = [(len(s.text) + KEYWORD_WEIGHT * len(s.keywords), i) for i, s in enumerate(article.sections)
              if _eligible(s) and s.heading.strip() not in skip]
    best = sorted(scored, key=lambda si: (-si[0], si[1]))[:max(count, 0)]
    return sorted(i for _, i in best)


def _eligible(s: Section) -> bool:
    return bool(s.heading.strip()) and not s.has_image and len(s.text.strip()) >= MIN_PROSE


def _style_name(article: Article, cfg: Config, style: str | None, lib: TemplateLibrary) -> str:
    """Argument > front matter `peitu: {style: …}` > config `style`; the name must exist."""
    for name, origin in ((style, "arg"), (article.options.get("style"), "article"), (cfg.style, "config")):
        if not name:
            continue
        name = str(name).strip()
        if name in lib.style_names():
            return name
        available = ", ".join(lib.style_names()) or "(none)"
        if origin == "config":
            raise ConfigError(f"style: '{name}' has no file in {lib.display(lib.styles_dir)}",
                              hint=f"styles: {available}")
        where = f"{article.source}" if origin == "article" and article.source else None
        raise InputError(f"unknown style '{name}'", where=where, hint=f"styles: {available}")
    raise ConfigError("no style configured", hint="set `style:` in config.yaml")


def _type_label(lib: TemplateLibrary, cfg: Config, type_: str, name: str) -> str:
    rule = cfg.article_types.rules.get(type_)
    return rule.label if rule else lib.label(name)


def _inline_count(article: Article, cfg: Config, count: int | None) -> int:
    if count is not None:
        return max(count, 0)
    value = article.options.get("inline")
    if value is None or value is True:
        return cfg.images.inline_count
    if value is False:
        return 0
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        raise InputError(f"peitu.inline must be a number of images, not {value!r}",
                         where=str(article.source or article.slug)) from None


def _cover_subtitle(article: Article) -> str:
    digest = article.digest.strip()
    return digest if 0 < len(digest) <= 24 else " · ".join(article.keywords[:3])


def _marker_prompt(marker: Marker, english: list[str], style: dict) -> str:
    """The author's prompt verbatim (Chinese-reading models use it), English terms added for the rest."""
    extra = f" ({', '.join(english)})" if english and not marker.prompt.isascii() else ""
    return tidy(f"{marker.prompt}{extra}, {style['medium']}, {style['positive']}")


def _marker_size(marker: Marker, cfg: Config) -> Size:
    """The marker's width:height ratio at the inline image's pixel area; else the inline size."""
    base = cfg.images.generate_inline
    if not (marker.width and marker.height and marker.width > 0 and marker.height > 0):
        return base
    ratio = marker.width / marker.height
    w = math.sqrt(base.width * base.height * ratio)
    lo, hi = MARKER_SIDE
    side = lambda v: int(min(max(round(v / 64) * 64, lo), hi))  # noqa: E731
    return Size(width=side(w), height=side(w / ratio))


def _no_text(prompt: str) -> str:
    return prompt if "no text" in prompt.lower() else f"{prompt}, {NO_TEXT}"


def _negative(negative: str) -> str:
    """The template's negative terms, then whatever of NO_TEXT_NEGATIVE they lack."""
    terms = [t.strip() for t in negative.split(",")]
    return ", ".join(dedupe([*terms, *NO_TEXT_NEGATIVE]))


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
