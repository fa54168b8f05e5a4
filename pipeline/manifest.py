"""manifest.json: what was made for one article, written and read through these models only.

Written by publish.output into output/<slug>/; read by the index page, the web page, `library import`
and a regenerated image's replacement. Reading is lenient about keys older versions did not write
(they get defaults) and strict about types (a damaged file is an InputError naming it)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import InputError
from .fsutil import atomic_write
from .models import Illustration
from .secrets import redact

NAME = "manifest.json"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FileEntry(_Model):
    """One file written for an image (cover.jpg, cover_1x1.jpg, inline-1.jpg …)."""

    name: str
    role: str = ""
    width: int = 0
    height: int = 0
    format: str = "JPEG"
    bytes: int = 0
    sha256: str = ""


class ImageEntry(_Model):
    """How one image was asked for and made; `error` is set (and files empty) when it failed."""

    key: str
    role: str = "inline"
    section: str | None = None
    marker: int | None = None
    prompt: str = ""
    negative_prompt: str = ""
    style: str = ""
    template: str = ""
    template_version: str = ""
    requested_size: list[int] = Field(default_factory=list)
    seed: int | None = None
    provider: str | None = None
    model: str | None = None
    cached: bool = False
    fallback: bool = False
    attempts: list[str] = Field(default_factory=list)
    generate_ms: float | None = None
    depicts: list[str] = Field(default_factory=list)     # the subjects the picture shows (local provider)
    depicts_reason: str = ""                             # why it shows none of them (an abstract pattern)
    files: list[FileEntry] = Field(default_factory=list)
    error: str | None = None


class ArticleEntry(_Model):
    title: str = ""
    slug: str = ""
    source: str | None = None
    author: str = ""
    digest: str = ""
    type: str = "default"
    length: int = 0
    keywords: list[str] = Field(default_factory=list)
    cover_named_by_author: str | None = None


class PlannedImage(_Model):
    """Where one image goes and what it shows, as the planner had it."""

    key: str
    section: int | None = None          # index into the article's sections (inline images)
    heading: str | None = None
    anchor: str | None = None           # the heading's id in article.html
    purpose: str = ""
    kind: str = ""
    subjects: list[str] = Field(default_factory=list)
    display_title: str = ""


class PlanEntry(_Model):
    """How the images were planned: the planner used (and asked for), the chat model, why it fell back."""

    planner: str = "rules"
    asked: str = "rules"
    model: str = ""
    fallback: str = ""
    cached: bool = False
    type: str = ""
    keywords: list[str] = Field(default_factory=list)
    cover: str = ""
    dropped_keywords: int = 0
    attempts: list[str] = Field(default_factory=list)
    images: list[PlannedImage] = Field(default_factory=list)

    @classmethod
    def of(cls, ill: Illustration) -> PlanEntry | None:
        """The plan section of an illustration (None when it was made without a planner)."""
        p = ill.planning
        if p is None:
            return None
        images = []
        for i in ill.plans:
            sec = ill.article.sections[i.section_index] if i.section_index is not None else None
            images.append(PlannedImage(key=i.key, section=i.section_index, heading=sec.heading if sec else None,
                                       anchor=(sec.anchor or None) if sec else None, purpose=i.purpose,
                                       kind=i.kind, subjects=i.subjects, display_title=i.display_title))
        return cls(planner=p.planner, asked=p.asked, model=p.model, fallback=redact(p.fallback), cached=p.cached,
                   type=p.type, keywords=p.keywords, cover=p.cover, dropped_keywords=p.dropped_keywords,
                   attempts=[redact(a) for a in p.attempts], images=images)


class Manifest(_Model):
    peitu: str = ""
    created: str = ""
    article: ArticleEntry
    plan: PlanEntry | None = None
    images: list[ImageEntry] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)

    def image(self, key: str) -> ImageEntry | None:
        return next((i for i in self.images if i.key == key), None)

    def cover_file(self) -> str | None:
        """The name of the 2.35:1 cover file, if one was made."""
        return next((f.name for i in self.images for f in i.files if f.role == "cover"), None)

    def failed(self) -> list[str]:
        return [i.key for i in self.images if i.error]

    @classmethod
    def read(cls, folder_or_file: Path) -> Manifest:
        """The manifest of an output folder (or the file itself); InputError when missing or damaged."""
        path = folder_or_file / NAME if folder_or_file.is_dir() else folder_or_file
        try:
            return cls.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            raise InputError("没有 manifest.json (no manifest.json)", where=str(path),
                             hint="重新运行 peitu illustrate 生成这篇文章") from None
        except (OSError, ValidationError, ValueError) as err:
            detail = err.errors()[0] if isinstance(err, ValidationError) else None
            what = (f"{'.'.join(str(p) for p in detail['loc'])}: {detail['msg']}" if detail else str(err))[:200]
            raise InputError(f"manifest.json 读不了 (not a peitu manifest: {what})", where=str(path),
                             hint="重新运行 peitu illustrate 生成这篇文章") from None

    def write(self, folder: Path) -> Path:
        path = folder / NAME
        atomic_write(path, json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return path
