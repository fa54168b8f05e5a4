"""Plain dataclasses passed between stages: Article → ImagePlan → GeneratedImage → Rendition,
and what the engine hands its callers: the options of a run and the Illustration of one article."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import PeituError


@dataclass
class Section:
    """A heading and the prose under it. The intro before the first heading has heading ''."""

    heading: str
    level: int
    paragraphs: list[str]
    line: int = 0                      # 1-based source line of the heading (0 for the intro)
    anchor: str = ""                   # id of the heading element in Article.body_html
    keywords: list[str] = field(default_factory=list)
    has_image: bool = False            # the author already placed an image in this section

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass
class Marker:
    """`![alt](__generate:PROMPT__)` in the body: generate this image at this place.

    body_html holds `<img data-peitu-marker="{index}" alt="{alt}">` where it stood."""

    index: int
    prompt: str
    alt: str = ""
    width: int | None = None
    height: int | None = None
    line: int = 0


@dataclass
class Article:
    """An article read from a file or a WeChat draft, with what the later stages need."""

    title: str
    sections: list[Section]
    text: str                          # plain prose (no code, math, markup)
    body_html: str                     # rendered body; section headings carry id=Section.anchor
    slug: str
    source: Path | None = None
    author: str = ""
    digest: str = ""
    keywords: list[str] = field(default_factory=list)
    type: str = "default"              # article type id (a template name)
    meta: dict[str, Any] = field(default_factory=dict)   # front matter as written
    cover: str = ""                    # a cover the author named (path or URL); kept unless forced
    options: dict[str, Any] = field(default_factory=dict)  # the `peitu:` front-matter block
    markers: list[Marker] = field(default_factory=list)  # author-placed `__generate:` images

    @property
    def length(self) -> int:
        """Characters of prose (CJK characters count one each)."""
        return len(self.text)


@dataclass
class ImagePlan:
    """One image to make: what to ask a provider for, and what to draw ourselves."""

    key: str                           # "cover", "inline-1", …
    role: str                          # "cover" | "inline" | "marker"
    prompt: str
    negative_prompt: str
    style: str
    width: int
    height: int
    seed: int
    template: str                      # template name, e.g. "tech"
    template_version: str              # hash of the template and style files
    section_index: int | None = None   # the section an inline image follows
    marker_index: int | None = None    # the Marker a "marker" image fills
    title: str = ""                    # text the local provider / title overlay sets
    subtitle: str = ""
    keywords: list[str] = field(default_factory=list)
    palette_hint: str = ""             # style's palette name, for local drawing
    palette: list[str] = field(default_factory=list)   # style's colours (#hex): backgrounds, then accents
    text_color: str = ""               # style's ink for titles drawn on the image
    title_overlay: bool = True         # hosted covers: peitu sets `title` on the picture
    subjects: list[str] = field(default_factory=list)   # concrete things from the text the image shows (中文)
    kind: str = ""                     # scene | object | diagram | map | person | pattern (what sort of picture)
    purpose: str = ""                  # why the image is here, in a few words (for editors and the manifest)
    display_title: str = ""            # a shorter title to set on the cover when the real one is too long
    account: str = ""                  # the WeChat account (config wechat.accounts) whose brand applies


@dataclass
class Attempt:
    """One provider's turn at one image, in the order the router tried them.

    outcome: "ok" | "cached" | "failed" | "skipped" | "retried" (a failure it tried again after a wait).
    category names the reason for machines ("timeout", "http_429", "http_5xx", "auth", "malformed",
    "bad_image", "deadline", "quota", "no_key", "resting", "url_refused" …); reason says it for people."""

    provider: str
    outcome: str
    reason: str = ""
    category: str = ""

    def __str__(self) -> str:
        """The manifest's line: "zhipu: ok", "openai: failed — why", "openai: HTTP 429, retry 1 in 0.4s"."""
        if self.outcome in ("failed", "skipped"):
            return f"{self.provider}: {self.outcome} — {self.reason}"
        return f"{self.provider}: {self.reason or self.outcome}"


CONFIGURATION_SKIPS = ("no_key", "disabled")       # not tried because of how peitu is set up: no fallback


@dataclass
class GeneratedImage:
    """Raw bytes from a provider, with provenance."""

    data: bytes
    provider: str
    model: str
    seed: int | None
    elapsed_s: float
    cached: bool = False
    attempts: list[Attempt] = field(default_factory=list)   # in the order tried, the maker's last
    depicts: list[str] = field(default_factory=list)    # the subjects drawn (the local provider says)
    depicts_reason: str = ""           # why nothing was drawn from the subjects, when depicts is empty

    @property
    def fallback(self) -> bool:
        """True when another provider failed, or was passed over (quota, resting, busy), before this one made it."""
        return any(a.provider != self.provider and
                   (a.outcome == "failed" or (a.outcome == "skipped" and a.category not in CONFIGURATION_SKIPS))
                   for a in self.attempts)


@dataclass
class Rendition:
    """An image encoded within WeChat's limits, ready to write or upload."""

    name: str                          # file name, e.g. "cover.jpg"
    data: bytes
    width: int
    height: int
    format: str                        # "JPEG" | "PNG"
    role: str                          # "cover" | "cover_1x1" | "inline" | "marker"
    key: str = ""                      # the ImagePlan.key it came from


@dataclass
class IllustrateOptions:
    """What a run asks for; None means "as the article or config says"."""

    type: str | None = None
    style: str | None = None
    provider: str | None = None
    inline_count: int | None = None
    cover: bool = True                 # False: never make a cover
    force: bool = False                # make a cover even when the article names one
    newspic: bool = False              # an image post (图片消息), as front matter `type: image` says
    planner: str | None = None         # "rules" | "llm" (None: config planner.mode)


@dataclass
class Planning:
    """How an article's images were planned: the manifest's `plan` section."""

    planner: str = "rules"             # whose plan was used: "rules" | "llm"
    asked: str = "rules"               # the planner the run asked for
    model: str = ""                    # the chat model, when one was asked
    fallback: str = ""                 # why the chat model's plan was not used (one line)
    cached: bool = False               # the chat model's plan came from the cache
    type: str = ""                     # the article type the plan is for
    keywords: list[str] = field(default_factory=list)
    cover: str = ""                    # the cover's concept
    dropped_keywords: int = 0          # keywords the chat model gave that the text does not hold
    attempts: list[str] = field(default_factory=list)   # retries and failures on the way ("planner: HTTP 429 …")


@dataclass
class Illustration:
    """Everything made for one article, keyed by ImagePlan.key."""

    article: Article
    plans: list[ImagePlan]
    images: dict[str, GeneratedImage] = field(default_factory=dict)     # plan key → image
    renditions: list[Rendition] = field(default_factory=list)
    errors: dict[str, PeituError] = field(default_factory=dict)         # plan key → what failed
    timings: dict[str, float] = field(default_factory=dict)             # stage → seconds
    planning: Planning | None = None                                    # how the plans were made

    @property
    def ok(self) -> bool:
        return not self.errors
