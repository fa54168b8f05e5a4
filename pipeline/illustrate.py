"""The flow for one or many articles: plan → generate → renditions, and placing images in the body.

No file or network I/O here: pipeline.publish writes folders or uploads to WeChat.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bs4 import BeautifulSoup

from .config import Config
from .errors import PeituError
from .models import Article, GeneratedImage, ImagePlan, Rendition


@dataclass
class IllustrateOptions:
    """What a run asks for; None means "as the article or config says"."""

    type: str | None = None
    style: str | None = None
    provider: str | None = None
    inline_count: int | None = None
    cover: bool = True                 # False: never make a cover
    force: bool = False                # make a cover even when the article names one


@dataclass
class Illustration:
    """Everything made for one article."""

    article: Article
    plans: list[ImagePlan]
    images: dict[str, GeneratedImage] = field(default_factory=dict)     # plan key → image
    renditions: list[Rendition] = field(default_factory=list)
    errors: dict[str, PeituError] = field(default_factory=dict)         # plan key → what failed
    timings: dict[str, float] = field(default_factory=dict)             # stage → seconds

    @property
    def ok(self) -> bool:
        return not self.errors


def wants_cover(article: Article, opts: IllustrateOptions) -> bool:
    """A cover is made unless turned off, or the author named one (kept unless --force)."""
    if not opts.cover or article.options.get("cover") is False:
        return False
    return opts.force or not article.cover


def plan(article: Article, cfg: Config, opts: IllustrateOptions) -> list[ImagePlan]:
    """The images one article needs, from its template and style."""
    from .prompts import plan_images

    return plan_images(article, cfg, style=opts.style, inline_count=opts.inline_count,
                       cover=wants_cover(article, opts))


def finish(article: Article, plans: list[ImagePlan], outcomes: Sequence[GeneratedImage | PeituError],
           cfg: Config) -> Illustration:
    """Size each generated image for WeChat; a failed image is recorded, the rest go on."""
    from .images import renditions_for

    ill = Illustration(article=article, plans=plans)
    start = time.perf_counter()
    for p, outcome in zip(plans, outcomes):
        if isinstance(outcome, PeituError):
            ill.errors[p.key] = outcome
            continue
        try:
            ill.renditions.extend(renditions_for(p, outcome, cfg))
            ill.images[p.key] = outcome
        except PeituError as err:
            ill.errors[p.key] = err
    ill.timings["render_s"] = time.perf_counter() - start
    return ill


def illustrate_many(articles: Sequence[Article], cfg: Config, opts: IllustrateOptions,
                    on_image: Callable[[ImagePlan, GeneratedImage | PeituError], None] | None = None,
                    ) -> list[Illustration | PeituError]:
    """Illustrate a batch: every article's images go to the generator at once, so providers work
    concurrently across articles. An article whose planning fails gets its error in its slot."""
    from .generate import generate_all

    planned: list[tuple[Article, list[ImagePlan], float] | PeituError] = []
    for article in articles:
        start = time.perf_counter()
        try:
            planned.append((article, plan(article, cfg, opts), time.perf_counter() - start))
        except PeituError as err:
            planned.append(err)
    todo = [(article, p) for item in planned if not isinstance(item, PeituError) for p in item[1]]
    reused = _reusable(todo, cfg)
    start = time.perf_counter()
    made = iter(generate_all([p for a, p in todo if p.key not in reused.get(id(a), {})], cfg,
                             provider=opts.provider, on_done=on_image))
    generate_s = time.perf_counter() - start
    results: list[Illustration | PeituError] = []
    for item in planned:
        if isinstance(item, PeituError):
            results.append(item)
            continue
        article, plans, plan_s = item
        hits = reused.get(id(article), {})
        ill = finish(article, plans, [hits.get(p.key) or next(made) for p in plans], cfg)
        ill.timings.update(plan_s=plan_s, generate_s=generate_s)
        results.append(ill)
    return results


def _reusable(todo: list[tuple[Article, ImagePlan]], cfg: Config) -> dict[int, dict[str, GeneratedImage]]:
    """Library images that fit a plan well enough to use instead of generating (config library.reuse),
    by id() of the article and plan key."""
    if not cfg.library.reuse:
        return {}
    from .library import find_reusable

    hits: dict[int, dict[str, GeneratedImage]] = {}
    for article, p in todo:
        hit = find_reusable(p, article, cfg)
        if hit is not None:
            hits.setdefault(id(article), {})[p.key] = hit
    return hits


def illustrate(article: Article, cfg: Config, opts: IllustrateOptions | None = None) -> Illustration:
    """Illustrate one article; planning errors raise."""
    result = illustrate_many([article], cfg, opts or IllustrateOptions())[0]
    if isinstance(result, PeituError):
        raise result
    return result


def place_images(article: Article, plans: Sequence[ImagePlan], srcs: dict[str, str]) -> str:
    """The body HTML with each image in place: inline images right after their section's heading,
    author markers filled where they stood. `srcs` maps a plan key to the image's URL or path;
    plans without a src (failed images) are left out, and unfilled markers are removed."""
    soup = BeautifulSoup(article.body_html, "html.parser")
    for p in plans:
        src = srcs.get(p.key)
        if not src:
            continue
        if p.role == "inline" and p.section_index is not None:
            section = article.sections[p.section_index]
            heading = soup.find(id=section.anchor) if section.anchor else None
            figure = soup.new_tag("p", attrs={"class": "peitu-image", "style": "text-align:center"})
            figure.append(soup.new_tag("img", attrs={"src": src, "alt": p.title or section.heading,
                                                     "style": "max-width:100%;height:auto"}))
            if heading is not None:
                heading.insert_after(figure)
            else:
                soup.insert(0, figure)
        elif p.role == "marker" and p.marker_index is not None:
            for img in soup.select(f'img[data-peitu-marker="{p.marker_index}"]'):
                img["src"] = src
                img["style"] = "max-width:100%;height:auto"
                del img["data-peitu-marker"]
    for img in soup.select("img[data-peitu-marker]"):
        img.decompose()
    return str(soup)
