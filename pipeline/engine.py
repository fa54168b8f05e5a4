"""The batch engine: the one flow every entry point runs (CLI, nightly, web page, workers).

Each article streams through ingest → plan → generate → render → finish (write, record, upload) as soon
as its inputs are ready. Articles are read in order on the caller's thread (so names and slugs are
claimed in a stable order) and planned on their workers (a chat planner takes seconds), at most
`articles_in_flight` at a time (so memory holds only those);
their images go to one shared pool sized to keep every provider's in-flight slots busy, and each image
is rendered for WeChat the moment it arrives, so CPU work overlaps provider waits and a slow article
never holds the others. Outcomes come back typed, keyed by job and image key; callers only display or
act on them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Literal, NamedTuple, TypeVar

from .config import Config
from .errors import InputError, PeituError
from .models import Article, GeneratedImage, IllustrateOptions, ImagePlan, Illustration, Planning
from .publish.newspic import author_images, is_newspic

if TYPE_CHECKING:
    from .check import Finding

T = TypeVar("T")
Status = Literal["ok", "fallback", "failed"]
ImageCallback = Callable[["Job", ImagePlan, "GeneratedImage | PeituError"], None]


@dataclass
class Job:
    """One article to illustrate; `load` reads it (ingest; may raise PeituError)."""

    id: str                                      # unique in a batch: a file path, a draft's media_id#index
    options: IllustrateOptions

    def load(self) -> Article:
        raise NotImplementedError


@dataclass
class Outcome(Generic[T]):
    """What became of one job: its illustration (None if it could not be read or planned), the error
    that stopped it, and what the caller's `finish` step returned (a folder, a draft's media_id …)."""

    job: Job
    illustration: Illustration | None = None
    error: PeituError | None = None
    result: T | None = None

    @property
    def status(self) -> Status:
        """failed: the article or an image failed; fallback: made, but not all by the first choice."""
        ill = self.illustration
        if self.error is not None or ill is None or not ill.ok:
            return "failed"
        return "fallback" if any(i.fallback for i in ill.images.values()) else "ok"


def wants_cover(article: Article, opts: IllustrateOptions) -> bool:
    """A cover is made unless turned off, or the author named one (kept unless --force)."""
    if not opts.cover or article.options.get("cover") is False:
        return False
    if is_newspic(article):                      # an image post's first picture is its cover
        return opts.force or not author_images(article)
    return opts.force or not article.cover


class Planned(NamedTuple):
    """An article as planned: with the planner's type and keywords where the author declared none."""

    article: Article
    plans: list[ImagePlan]
    planning: Planning


def plan(article: Article, cfg: Config, opts: IllustrateOptions) -> Planned:
    """The images one article needs: where they go and what they show (the planner), then their prompts
    (its template and style)."""
    from .plan import plan_article
    from .prompts import plan_images

    cover = wants_cover(article, opts)
    outline = plan_article(article, cfg, planner=opts.planner, inline_count=opts.inline_count, cover=cover,
                           type_override=opts.type)
    plans = plan_images(outline.article, cfg, style=opts.style, cover=cover, plan=outline.plan)
    return Planned(outline.article, plans, outline.planning)


class Engine:
    """Illustrates articles for one config. Reusable; `close()` (or `with`) stops its image pool."""

    def __init__(self, cfg: Config, *, articles_in_flight: int | None = None,
                 on_image: ImageCallback | None = None):
        from .generate import router_for

        self.cfg = cfg
        self.router = router_for(cfg)
        self.on_image = on_image
        slots = 2 * self.router.workers(None, 10**6)
        self.articles_in_flight = articles_in_flight or max(2, min(16, slots + 2))
        self._images = ThreadPoolExecutor(slots, thread_name_prefix="peitu-image")
        self._forced_pools: dict[str, ThreadPoolExecutor] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._images.shutdown(wait=True, cancel_futures=True)
        for pool in self._forced_pools.values():
            pool.shutdown(wait=True, cancel_futures=True)

    # ── a batch ────────────────────────────────────────────────────────────────────────

    def run(self, jobs: Iterable[Job], finish: Callable[[Illustration], T]) -> Iterator[Outcome[T]]:
        """Illustrate every job, yielding each outcome as soon as its article is finished (not in job
        order). `finish` runs on the article's worker thread once its images are rendered (write the
        folder, record, upload); an error it raises is the outcome's error."""
        with ThreadPoolExecutor(self.articles_in_flight, thread_name_prefix="peitu-article") as pool:
            pending: dict[Future[Outcome[T]], Job] = {}
            for job in jobs:
                while len(pending) >= self.articles_in_flight:
                    yield from self._collect(pending)
                started = self._start(job)
                if isinstance(started, Outcome):
                    yield started
                    continue
                article, ingest_s = started
                pending[pool.submit(self._complete, job, article, ingest_s, finish)] = job
            while pending:
                yield from self._collect(pending)

    def _collect(self, pending: dict[Future[Outcome[T]], Job]) -> Iterator[Outcome[T]]:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            del pending[future]
            yield future.result()

    def _start(self, job: Job) -> tuple[Article, float] | Outcome:
        """Read one article on the caller's thread (names and slugs are claimed in order): the article and
        the seconds it took, or an Outcome if that failed. Planning is the article worker's: a chat
        planner takes seconds an article."""
        start = time.perf_counter()
        try:
            article = job.load()
        except PeituError as err:
            return Outcome(job, error=err)
        return article, time.perf_counter() - start

    def _complete(self, job: Job, article: Article, ingest_s: float,
                  finish: Callable[[Illustration], T]) -> Outcome[T]:
        start = time.perf_counter()
        try:
            planned = plan(article, self.cfg, job.options)
        except PeituError as err:
            return Outcome(job, error=err)
        planned_s = time.perf_counter() - start
        ill = self.illustrate_planned(planned.article, planned.plans, job.options.provider, job=job,
                                      planning=planned.planning)
        ill.timings.update(ingest_s=ingest_s, plan_s=planned_s)
        try:
            return Outcome(job, ill, result=finish(ill))
        except PeituError as err:
            return Outcome(job, ill, error=err)

    # ── one article ────────────────────────────────────────────────────────────────────

    def illustrate(self, article: Article, opts: IllustrateOptions | None = None) -> Illustration:
        """Plan and make one article's images (planning errors raise; image errors are recorded)."""
        opts = opts or IllustrateOptions()
        start = time.perf_counter()
        planned = plan(article, self.cfg, opts)
        planned_s = time.perf_counter() - start
        ill = self.illustrate_planned(planned.article, planned.plans, opts.provider, planning=planned.planning)
        ill.timings["plan_s"] = planned_s
        return ill

    def illustrate_planned(self, article: Article, plans: list[ImagePlan], provider: str | None = None,
                           *, job: Job | None = None, planning: Planning | None = None) -> Illustration:
        """Make, render and collect the images of planned `plans`, each rendered as soon as it arrives."""
        from .images import renditions_for

        ill = Illustration(article=article, plans=plans, planning=planning)
        start = time.perf_counter()
        reused = self._reused(article, plans)
        futures = {self._submit(p, provider): p for p in plans if p.key not in reused}
        made: list[tuple[ImagePlan, GeneratedImage | PeituError]] = [(p, reused[p.key]) for p in plans
                                                                      if p.key in reused]
        render_s = 0.0
        for p, outcome in [*made, *((futures[f], f.result()) for f in as_completed(futures))]:
            if self.on_image and job is not None:
                self.on_image(job, p, outcome)
            if isinstance(outcome, PeituError):
                ill.errors[p.key] = outcome
                continue
            began = time.perf_counter()
            try:
                ill.renditions.extend(renditions_for(p, outcome, self.cfg))
                ill.images[p.key] = outcome
            except PeituError as err:
                ill.errors[p.key] = err
            render_s += time.perf_counter() - began
        order = {p.key: i for i, p in enumerate(plans)}
        ill.renditions.sort(key=lambda r: order.get(r.key, len(order)))
        ill.timings.update(generate_s=time.perf_counter() - start - render_s, render_s=render_s)
        return ill

    def generate(self, p: ImagePlan, provider: str | None = None) -> GeneratedImage:
        """Make one image (no reuse); raises the router's error when no provider could."""
        outcome = self._submit(p, provider).result()
        if isinstance(outcome, PeituError):
            raise outcome
        return outcome

    def _submit(self, p: ImagePlan, provider: str | None) -> Future[GeneratedImage | PeituError]:
        return self._pool(provider).submit(self.router.outcome, p, provider)

    def _pool(self, provider: str | None) -> ThreadPoolExecutor:
        """The image pool; a run forcing one provider gets a pool sized to that provider's limits."""
        if provider is None:
            return self._images
        with self._lock:
            if provider not in self._forced_pools:
                self._forced_pools[provider] = ThreadPoolExecutor(self.router.workers(provider, 10**6),
                                                                  thread_name_prefix=f"peitu-{provider}")
            return self._forced_pools[provider]

    def _reused(self, article: Article, plans: list[ImagePlan]) -> dict[str, GeneratedImage]:
        """Library images that fit a plan well enough to use instead of generating (config library.reuse)."""
        if not self.cfg.library.reuse:
            return {}
        from .library import find_reusable

        hits = {p.key: find_reusable(p, article, self.cfg) for p in plans}
        return {key: hit for key, hit in hits.items() if hit is not None}


# ── articles from files, into an output folder (and the draft box) ─────────────────────────────

@dataclass
class FileJob(Job):
    """An article file. Loading runs `peitu check` first (with --upload, errors block it), then reads
    it and gives it a slug no earlier file of the batch has (two files called alike: `name`, `name-2`)."""

    path: Path
    cfg: Config
    slugs: set[str]                              # shared by the jobs of one batch
    upload: bool = False
    findings: list[Finding] = field(default_factory=list)

    def load(self) -> Article:
        from .check import check_article
        from .ingest import IMAGE_POST, read_article

        self.findings = [f for f in check_article(self.path, self.cfg, newspic=self.options.newspic)
                         if f.code != "unreadable"]
        if self.upload and any(f.level == "error" for f in self.findings):
            raise InputError("检查未通过，未上传 (check found errors; fix them, or run without --upload)",
                             where=str(self.path))
        article = read_article(self.path, self.cfg, type_override=self.options.type)
        if self.options.newspic:
            article.meta["type"] = IMAGE_POST
        while article.slug in self.slugs:
            article.slug += "-2"
        self.slugs.add(article.slug)
        return article


@dataclass
class Written:
    """Where a file job's illustration went."""

    folder: Path
    media_id: str | None = None                  # the draft made with --upload
    upload_error: PeituError | None = None


def file_jobs(paths: Iterable[Path], cfg: Config, opts: IllustrateOptions, *,
              upload: bool = False) -> list[FileJob]:
    slugs: set[str] = set()
    return [FileJob(str(path), opts, path, cfg, slugs, upload) for path in paths]


def to_folder(cfg: Config, out_root: Path, *, upload: bool = False,
              account: str | None = None) -> Callable[[Illustration], Written]:
    """The finish step of `peitu illustrate`: write output/<slug>/, record the images in the library,
    and with `upload` create a draft (only when every image was made; one upload at a time)."""
    from .library import record_illustration
    from .publish.output import write_output
    from .publish.theme import load_theme

    uploading = threading.Lock()
    themed = cfg
    if upload:                                   # (WeChat's client is imported only to upload: ~25 MB)
        from .publish.wechat.article import upload_illustration
        from .publish.wechat.client import account_config
        themed = account_config(cfg, account)    # the folder shows the draft as uploaded

    def finish(ill: Illustration) -> Written:
        try:
            folder = write_output(ill, out_root, theme=load_theme(themed, ill.article))
            record_illustration(cfg, ill.article, ill.plans, ill.images, ill.renditions, folder)
        except OSError as err:
            raise PeituError(f"cannot write output: {err}", where=str(out_root)) from None
        written = Written(folder)
        if upload and ill.ok:
            with uploading:
                try:
                    written.media_id = upload_illustration(ill, cfg, account)
                except PeituError as err:
                    written.upload_error = err
        return written

    return finish
