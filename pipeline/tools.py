"""What peitu offers agents and scripts: plan, illustrate, check, library search, template preview and
(opt-in) upload, each with a pydantic request and result. `peitu mcp` serves them as MCP tools and `peitu
serve` as HTTP endpoints; both call these methods, so the two cannot drift.

An article is given as `path` (a file under the project folder or an --articles folder) or as `text`
(Markdown). Results name the files they wrote (absolute paths).
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from .config import Config
from .errors import ConfigError, InputError
from .models import Article, IllustrateOptions, ImagePlan
from .secrets import redact

if TYPE_CHECKING:
    from .engine import Engine

ARTICLE_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt")
MAX_TEXT = 100_000
TEXT_NAME = "article.md"
TEMPLATE_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"
EXAMPLE = "examples/articles/food-chaoshan-beef-hotpot.md"


def examples(*items: dict) -> ConfigDict:
    """A request model's settings: no unknown fields, and examples for the OpenAPI schema."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(items)})


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ── requests ─────────────────────────────────────────────────────────────────────────────────────

class ArticleInput(Model):
    model_config = examples({"path": EXAMPLE}, {"text": "---\ntitle: 周末的咖啡\n---\n\n## 豆子\n\n手冲咖啡的研磨。\n"})

    path: str | None = Field(default=None, max_length=4096, description=(
        "an article file (Markdown, HTML or text) under the project folder or an --articles folder"))
    text: str | None = Field(default=None, max_length=MAX_TEXT, description="or the article itself, as Markdown")


class PlanRequest(ArticleInput):
    model_config = examples({"path": EXAMPLE, "inline": 2}, {"path": EXAMPLE, "type": "科技", "style": "ink"})

    type: str | None = Field(default=None, max_length=64, description="article type: tech, 科技 … (default: found)")
    style: str | None = Field(default=None, max_length=64, description="image style, e.g. flat (default: config)")
    inline: int | None = Field(default=None, ge=0, le=20, description="inline images at most")
    cover: bool = Field(default=True, description="plan a cover (unless the article names one)")
    planner: Literal["rules", "llm"] | None = Field(default=None, description=(
        "rules (offline) or llm (the chat model in config planner:); default: config planner.mode"))


class IllustrateRequest(PlanRequest):
    model_config = examples({"path": EXAMPLE, "inline": 1, "provider": "local"})

    provider: str | None = Field(default=None, max_length=64, description="use only this provider, e.g. local")
    force: bool = Field(default=False, description="make a cover even when the article names one")


class UploadRequest(IllustrateRequest):
    account: str | None = Field(default=None, max_length=64, description="WeChat account from config")


class TemplatePreviewRequest(ArticleInput):
    model_config = examples({"template": "food", "path": EXAMPLE})

    template: str = Field(pattern=TEMPLATE_NAME, description="template name, e.g. food")
    style: str | None = Field(default=None, max_length=64)


class LibrarySearchRequest(Model):
    q: str = Field(default="", max_length=500, examples=["火锅"],
                   description="words in tags, prompts or titles (Chinese or English)")
    type: str | None = Field(default=None, max_length=64)
    role: Literal["cover", "inline", "marker"] | None = None
    since: str | None = Field(default=None, max_length=40, description="e.g. 30d, 2026-01-01")
    limit: int = Field(default=20, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=10**9)


# ── results ──────────────────────────────────────────────────────────────────────────────────────

class ArticleInfo(Model):
    title: str
    slug: str
    type: str
    keywords: list[str]
    sections: int
    length: int
    source: str | None


class PlannedImage(Model):
    key: str
    role: str
    section: str | None = Field(description="the heading the image follows (inline images)")
    prompt: str
    negative_prompt: str
    style: str
    width: int
    height: int
    seed: int
    template: str
    template_version: str
    keywords: list[str]
    subjects: list[str]
    kind: str
    purpose: str


class PlanResult(Model):
    article: ArticleInfo
    images: list[PlannedImage]
    planner: Literal["rules", "llm"] = Field(description="whose plan this is")
    fallback: str = Field(default="", description="why the chat model's plan was not used, when it was asked")


class CheckFinding(Model):
    level: Literal["error", "warning"]
    code: str
    message: str
    file: str
    line: int


class CheckResult(Model):
    ok: bool = Field(description="no errors (warnings allowed)")
    errors: int
    warnings: int
    findings: list[CheckFinding]


class MadeImage(Model):
    key: str
    role: str
    ok: bool
    provider: str | None
    model: str | None
    seed: int | None
    files: list[str]
    error: str | None


class IllustrateResult(Model):
    status: Literal["ok", "fallback", "failed"]
    error: str | None
    article: ArticleInfo | None
    folder: str | None
    article_html: str | None
    preview_html: str | None
    manifest: str | None
    images: list[MadeImage]
    findings: list[CheckFinding]
    media_id: str | None = Field(default=None, description="the WeChat draft made (upload only)")


class LibraryItem(Model):
    id: int
    article_slug: str
    article_title: str
    article_type: str
    role: str
    plan_key: str
    tags: list[str]
    prompt: str
    provider: str
    model: str
    width: int
    height: int
    created_at: str
    file: str
    files: list[str]
    media_id: str


class LibrarySearchResult(Model):
    total: int
    items: list[LibraryItem]


class TemplatePreviewResult(Model):
    template: str
    article: ArticleInfo
    images: list[PlannedImage]


# ── the operations ───────────────────────────────────────────────────────────────────────────────

def article_info(a: Article) -> ArticleInfo:
    return ArticleInfo(title=a.title, slug=a.slug, type=a.type, keywords=list(a.keywords), sections=len(a.sections),
                       length=a.length, source=str(a.source) if a.source else None)


def planned(p: ImagePlan, article: Article) -> PlannedImage:
    section = article.sections[p.section_index].heading if p.section_index is not None else None
    return PlannedImage(key=p.key, role=p.role, section=section, prompt=p.prompt, negative_prompt=p.negative_prompt,
                        style=p.style, width=p.width, height=p.height, seed=p.seed, template=p.template,
                        template_version=p.template_version, keywords=list(p.keywords), subjects=list(p.subjects),
                        kind=p.kind, purpose=p.purpose)


class Tools:
    """The operations for one config; `article_dirs` are folders whose articles may be read besides the
    project's. Upload is refused unless `allow_upload`. Reusable and thread-safe; `close()` when done."""

    def __init__(self, cfg: Config, article_dirs: Sequence[Path] = (), *, allow_upload: bool = False):
        self.cfg = cfg
        self.article_dirs = [Path(d).resolve() for d in article_dirs]
        self.allow_upload = allow_upload
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()

    @property
    def engine(self) -> Engine:
        """The engine that makes images (started on first use)."""
        from .engine import Engine

        with self._lock:
            if self._engine is None:
                self._engine = Engine(self.cfg)
            return self._engine

    # --- articles ------------------------------------------------------------------------------

    def article_path(self, value: str, also: Collection[Path] = ()) -> Path:
        """An article file the caller may read: under the project or an --articles folder (or in `also`)."""
        if "\0" in value:
            raise InputError("the article path contains a NUL character")
        path = Path(value)
        path = (path if path.is_absolute() else self.cfg.root / path).resolve()
        if path.suffix.lower() not in ARTICLE_SUFFIXES:
            raise InputError(f"{value[:200]}: 只能打开文章文件 ({', '.join(ARTICLE_SUFFIXES)})")
        roots = [self.cfg.root.resolve(), *self.article_dirs]
        if not any(path.is_relative_to(r) for r in roots) and path not in also:
            raise InputError(f"{value[:200]}: 只能打开项目文件夹或 --articles 文件夹里的文章",
                             hint="give the article's text instead, or start peitu with --articles FOLDER")
        if not path.is_file():
            raise InputError(f"{value[:200]}: no such article file")
        return path

    @contextmanager
    def article_file(self, req: ArticleInput) -> Iterator[Path]:
        """The request's article as a file: its path, or its text in a private temporary folder."""
        if req.text is not None and req.text.strip():
            with tempfile.TemporaryDirectory(prefix="peitu-text-") as folder:
                path = Path(folder) / TEXT_NAME
                path.write_text(req.text, encoding="utf-8")
                yield path
        elif req.path is not None and req.path.strip():
            yield self.article_path(req.path.strip())
        else:
            raise InputError("give an article: path (a file) or text (Markdown)")

    def read(self, req: ArticleInput, type_: str | None = None) -> Article:
        from .ingest import read_article

        with self.article_file(req) as path:
            article = read_article(path, self.cfg, type_override=self._type(type_))
        if req.text is not None and req.text.strip():
            article.source = None
        return article

    def _type(self, value: str | None) -> str | None:
        from .ingest.article_type import require_type

        return require_type(value, self.cfg, "type") if value else None

    def _options(self, req: PlanRequest) -> IllustrateOptions:
        return IllustrateOptions(type=self._type(req.type), style=req.style, inline_count=req.inline,
                                 cover=req.cover, provider=getattr(req, "provider", None),
                                 force=getattr(req, "force", False), planner=req.planner)

    # --- operations ----------------------------------------------------------------------------

    def plan(self, req: PlanRequest) -> PlanResult:
        """Where images go and what each shows (prompts, sizes, seeds); nothing is generated."""
        from .engine import plan

        done = plan(self.read(req, req.type), self.cfg, self._options(req))
        return PlanResult(article=article_info(done.article), images=[planned(p, done.article) for p in done.plans],
                          planner="llm" if done.planning.planner == "llm" else "rules",
                          fallback=done.planning.fallback)

    def check(self, req: ArticleInput) -> CheckResult:
        """`peitu check`: what WeChat would refuse or peitu would change."""
        from .check import check_article

        with self.article_file(req) as path:
            found = check_article(path, self.cfg)
        shown = TEXT_NAME if req.text is not None and req.text.strip() else None
        findings = [CheckFinding(level=f.level, code=f.code, message=f.message, file=shown or f.file, line=f.line)
                    for f in found]
        errors = sum(f.level == "error" for f in findings)
        return CheckResult(ok=not errors, errors=errors, warnings=len(findings) - errors, findings=findings)

    def illustrate(self, req: IllustrateRequest) -> IllustrateResult:
        """`peitu illustrate`: make the images and write output/<slug>/ (files, article.html, preview.html)."""
        return self._illustrate(req, upload=False, account=None)

    def upload(self, req: UploadRequest) -> IllustrateResult:
        """`peitu illustrate --upload`: as illustrate, then a draft in the WeChat draft box (opt-in)."""
        if not self.allow_upload:
            raise ConfigError("uploading to WeChat is off for agents and the API",
                              hint="set serve.allow_upload: true in config.yaml to allow it")
        return self._illustrate(req, upload=True, account=req.account)

    def _illustrate(self, req: IllustrateRequest, *, upload: bool, account: str | None) -> IllustrateResult:
        from .engine import file_jobs, to_folder
        from .providers import NAMES
        from .publish.wechat.client import account_config

        cfg = account_config(self.cfg, account) if account else self.cfg
        if req.provider and req.provider not in NAMES:
            raise InputError(f"unknown provider '{req.provider}' (known: {', '.join(NAMES)})")
        opts = self._options(req)
        with self.article_file(req) as path:
            [job] = file_jobs([path], cfg, opts, upload=upload)
            [outcome] = list(self.engine.run([job], to_folder(cfg, cfg.path(cfg.paths.output), upload=upload,
                                                              account=account)))
        findings = [CheckFinding(level=f.level, code=f.code, message=f.message,
                                 file=TEXT_NAME if req.text else f.file, line=f.line) for f in job.findings]
        ill, written = outcome.illustration, outcome.result
        error = outcome.error or (written.upload_error if written else None)
        if ill is None or written is None:
            return IllustrateResult(status="failed", error=redact(str(error)) if error else "failed", article=None,
                                    folder=None, article_html=None, preview_html=None, manifest=None, images=[],
                                    findings=findings)
        folder = written.folder.resolve()
        images = []
        for p in ill.plans:
            made, err = ill.images.get(p.key), ill.errors.get(p.key)
            files = [str(folder / r.name) for r in ill.renditions if r.key == p.key]
            images.append(MadeImage(key=p.key, role=p.role, ok=made is not None,
                                    provider=made.provider if made else None, model=made.model if made else None,
                                    seed=made.seed if made else None, files=files,
                                    error=redact(str(err)) if err else None))
        if upload and not ill.ok and error is None:
            error = InputError(f"{len(ill.errors)} image(s) failed, so no draft was made")
        article = replace(ill.article, source=None) if req.text else ill.article
        return IllustrateResult(status="failed" if error else outcome.status,
                                error=redact(str(error)) if error else None, article=article_info(article),
                                folder=str(folder),
                                article_html=str(folder / "article.html"), preview_html=str(folder / "preview.html"),
                                manifest=str(folder / "manifest.json"), images=images, findings=findings,
                                media_id=written.media_id)

    def library_search(self, req: LibrarySearchRequest) -> LibrarySearchResult:
        """Images in the library matching every word, best first (newest first without words)."""
        from .library import Library, parse_since, search
        from .library.export import as_dict

        tz = self.cfg.schedule.timezone
        since = parse_since(req.since, tz) if req.since else None
        with Library.open(self.cfg) as lib:
            found = search(lib, req.q, type=req.type, role=req.role, since=since, limit=req.limit, offset=req.offset)

        items = []
        for e in found.entries:
            d = as_dict(e, tz)
            items.append(LibraryItem(id=e.id, article_slug=e.article_slug, article_title=e.article_title,
                                     article_type=e.article_type, role=e.role, plan_key=e.plan_key, tags=list(e.tags),
                                     prompt=e.prompt, provider=e.provider, model=e.model, width=e.width,
                                     height=e.height, created_at=d["created_at"], file=str(e.file),
                                     files=[f.path for f in e.files], media_id=e.media_id))
        return LibrarySearchResult(total=found.total, items=items)

    def template_preview(self, req: TemplatePreviewRequest) -> TemplatePreviewResult:
        """The prompts template `template` gives the article (as `peitu templates preview`)."""
        from .prompts import plan_images
        from .prompts.planner import library_for

        if not library_for(self.cfg).has(req.template):
            raise InputError(f"no template '{req.template}' (have: {', '.join(library_for(self.cfg).names())})")
        article = self.read(req)
        plans = plan_images(replace(article, type=req.template), self.cfg, style=req.style)
        return TemplatePreviewResult(template=req.template, article=article_info(article),
                                     images=[planned(p, article) for p in plans])
