"""The prompts for an article's images: the plan's cover and inline images (pipeline.plan: where each goes,
what it shows) and every author marker, each rendered through the type's template in the style."""

from __future__ import annotations

import hashlib
import logging
import math
from pathlib import Path
from typing import Any

from ..config import Config, Size
from ..errors import ConfigError, InputError, TemplateError
from ..models import Article, ImagePlan, Marker
from ..plan import Plan, rules_outline
from ..plan.words import nouns_in, subjects_of
from .glossary import Glossary, dedupe
from .library import TemplateLibrary, tidy

log = logging.getLogger(__name__)

NO_TEXT = "no text, no letters, no captions"
AUTHORS = "作者指定 the author's own picture"
NO_TEXT_NEGATIVE = ("text", "letters", "words", "chinese characters", "typography", "caption",
                    "watermark", "signature", "logo")
MAX_EN_KEYWORDS = 8
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
                templates_dir: Path | None = None, plan: Plan | None = None) -> list[ImagePlan]:
    """ImagePlans for the cover, the plan's inline images and every author marker. Without a plan, the
    rules plan with up to `inline_count` inline images."""
    plan = plan or rules_outline(article, cfg, inline_count)
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

    def make(key: str, role: str, size: Size, **fields: Any) -> ImagePlan:
        seed = int(hashlib.sha256(f"{article.slug}\0{key}\0{version}".encode()).hexdigest()[:8], 16)
        return ImagePlan(key=key, role=role, style=style_name, width=size.width, height=size.height,
                         seed=seed & 0x7FFFFFFF, template=name, template_version=version,
                         palette_hint=style_ctx["palette"]["name"], palette=style_ctx["palette"]["colors"],
                         text_color=style_ctx["palette"]["text"], **fields)

    plans: list[ImagePlan] = []
    if cover:
        idea = plan.cover
        out = render({**base, "role": "cover", "image": _image(idea.kind, idea.concept, idea.prompt, idea.subjects,
                                                               glossary)}, "cover_prompt")
        plans.append(make("cover", "cover", cfg.images.generate_cover,
                          prompt=_no_text(out["cover_prompt"]), negative_prompt=_negative(out["negative"]),
                          title=article.title, subtitle=_cover_subtitle(article),
                          keywords=list(article.keywords), title_overlay=style_spec.title_overlay,
                          subjects=list(idea.subjects), kind=idea.kind, purpose=idea.concept,
                          display_title=idea.display_title, account=account))
    for n, shown in enumerate(plan.images, start=1):
        idx, sec = shown.section, article.sections[shown.section]
        own = glossary.translate([sec.heading, *sec.keywords])[:MAX_EN_KEYWORDS]
        shift = (n - 1) % max(len(base["keywords"]), 1)   # no terms of its own: vary the article's
        section = {"heading": sec.heading, "index": idx, "number": n, "keywords_zh": list(sec.keywords),
                   "keywords": own or base["keywords"][shift:] + base["keywords"][:shift]}
        image = _image(shown.kind, shown.purpose, shown.prompt, shown.subjects, glossary)
        out = render({**base, "role": "inline", "section": section, "image": image}, "inline_prompt")
        plans.append(make(f"inline-{n}", "inline", cfg.images.generate_inline,
                          prompt=_no_text(out["inline_prompt"]), negative_prompt=_negative(out["negative"]),
                          section_index=idx, title=sec.heading, subtitle=" · ".join(sec.keywords[:3]),
                          keywords=list(sec.keywords) or list(article.keywords), account=account,
                          subjects=list(shown.subjects), kind=shown.kind, purpose=shown.purpose))
    for marker in article.markers:
        out = render({**base, "role": "marker", "prompt": marker.prompt}, "marker_prompt")
        prompt = out.get("marker_prompt") or _marker_prompt(marker, glossary.segment(marker.prompt), style_ctx)
        plans.append(make(f"marker-{marker.index}", "marker", _marker_size(marker, cfg),
                          prompt=_no_text(prompt), negative_prompt=_negative(out["negative"]),
                          marker_index=marker.index, title=marker.alt,
                          keywords=dedupe([marker.alt, *article.keywords[:3]]), purpose=AUTHORS, account=account,
                          subjects=subjects_of([*nouns_in(marker.prompt), *nouns_in(marker.alt)])))
    return plans


def _image(kind: str, purpose: str, prompt: str, subjects: list[str], glossary: Glossary) -> dict[str, Any]:
    """The template's `image`: the plan's idea for this picture."""
    return {"kind": kind, "purpose": purpose, "prompt": prompt, "subjects_zh": list(subjects),
            "subjects": glossary.translate(subjects)[:MAX_EN_KEYWORDS]}


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
