"""The nightly job: walk an account's draft box and illustrate the drafts that ask for it.

A draft article is illustrated when it has no cover or holds the placeholder (【配图】). It gets a cover
only if it lacks one (or with force), images where the placeholders stand (or, with no placeholder,
after the best headings), and is updated in place with everything else the editor set kept.

The walk over the draft box (`Nightly.run`, `peitu nightly`) and the work on one draft (`Nightly.draft`)
are separable: workers on a broker (pipeline.queue) run one draft per job, with the same code.

Progress lives in the state store, one row per draft article (`nightly_articles`), and one per upload
(`wechat_uploads`, see publish.wechat.upload), each step committed as it finishes:
  rendered  images made and saved beside the state file; the plan recorded
  updating  every image uploaded; the article about to be sent (its hash recorded)
  done      draft/update succeeded
Within the row, the draft's own ledger of steps (keyed by account, draft, article and step, see
`LedgerUploads`) records each uploaded image's media_id / URL as it lands, before the draft is updated.
A run killed at any point (kill -9), or a job redelivered to another worker, resumes from there: saved
images are not made again, uploads recorded are reused, a cover whose upload was cut off is found by name,
and an update that landed is recognised by its hash. A 45009 (daily quota) stops the run with everything
kept. One walk per account at a time (see pipeline.locks), and one worker or walk per draft at a time (a
lock with expiry in the state store, `broker.lease_s`): a second is refused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .config import Config
from .engine import Engine
from .errors import PeituError, WeChatError
from .fsutil import atomic_write
from .locks import AccountLock, account_lock, draft_lock
from .models import IllustrateOptions, ImagePlan, Rendition
from .publish.wechat.article import (Uploaded, content_hash, has_placeholder, news_article, parse_draft_article,
                                     upload_images)
from .publish.wechat.client import account_config, account_settings, build_client
from .publish.wechat.errors import QUOTA
from .publish.wechat.upload import Uploader
from .store import Lease, LockHeld, Row, Store

log = logging.getLogger(__name__)

PAGE = 20


@dataclass
class NightlyReport:
    """What one run did; `line()` is the log line."""

    account: str
    dry_run: bool = False
    drafts: int = 0
    articles: int = 0
    illustrated: int = 0
    would_illustrate: int = 0         # --dry-run: what a run would illustrate
    resumed: int = 0
    done_before: int = 0              # done by an earlier run and unchanged since
    not_needed: int = 0               # has a cover and no placeholder
    busy: int = 0                     # drafts another worker or run was working on
    failed: int = 0
    images: int = 0                   # covers and body images placed
    stopped: str = ""                 # why the run stopped early (quota), if it did
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        done = (f"{self.would_illustrate} would illustrate (dry run: nothing changed)" if self.dry_run
                else f"{self.illustrated} illustrated ({self.resumed} resumed)")
        text = (f"nightly [{self.account}]: {self.drafts} drafts ({self.articles} articles): {done}, "
                f"{self.done_before} already done, {self.not_needed} not needed, "
                + (f"{self.busy} busy elsewhere, " if self.busy else "") + f"{self.failed} failed; "
                f"{self.images} images; {self.seconds:.1f} s")
        return text + (f"; stopped: {self.stopped}" if self.stopped else "")


class DraftBusy(PeituError):
    """Another worker or run holds the draft's lock."""


@dataclass
class _Work:
    """An article in progress: its plans, the renditions saved for it, and its ledger of upload steps."""

    plans: list[ImagePlan]
    renditions: list[dict[str, Any]]          # Rendition fields except data, plus "file"
    steps: dict[str, dict[str, str]] = field(default_factory=dict)   # step → sha256, media_id, url

    def on_disk(self) -> bool:
        """Every saved rendition is still there (a job redelivered to another machine may not see them)."""
        return all(Path(r["file"]).is_file() for r in self.renditions)

    def load(self) -> list[Rendition]:
        return [Rendition(data=Path(r["file"]).read_bytes(), **{k: v for k, v in r.items() if k != "file"})
                for r in self.renditions]

    def json(self) -> str:
        return json.dumps({"plans": [asdict(p) for p in self.plans], "renditions": self.renditions,
                           "steps": self.steps}, ensure_ascii=False)


class LedgerUploads(Uploader):
    """The uploads of one draft article, each recorded as a step of the draft's own ledger the moment it lands
    (in the article's progress row, before the draft is updated): a redelivered job takes a step recorded for
    the same bytes as done without asking WeChat or the account-wide upload ledger."""

    def __init__(self, uploader: Uploader, work: _Work, save: Callable[[], None]):
        super().__init__(uploader.client, uploader.store)
        self.work, self.save = work, save

    def _step(self, step: str, data: bytes) -> dict[str, str] | None:
        done = self.work.steps.get(step)
        return done if done and done["sha256"] == hashlib.sha256(data).hexdigest() else None

    def _record(self, step: str, data: bytes, media_id: str, url: str) -> None:
        self.work.steps[step] = {"sha256": hashlib.sha256(data).hexdigest(), "media_id": media_id, "url": url}
        self.save()

    def inline(self, data: bytes, name: str = "image.jpg") -> str:
        step = f"uploadimg:{name}"
        if done := self._step(step, data):
            return done["url"]
        url = super().inline(data, name)
        self._record(step, data, "", url)
        return url

    def cover(self, data: bytes, name: str = "cover.jpg") -> tuple[str, str]:
        if done := self._step("material:cover", data):
            return done["media_id"], done["url"]
        media_id, url = super().cover(data, name)
        self._record("material:cover", data, media_id, url)
        return media_id, url


class Nightly:
    """One run over one account's draft box."""

    def __init__(self, cfg: Config, account: str | None = None, *, force: bool = False, dry_run: bool = False,
                 only: set[str] | None = None, on_article: Callable[[str, str], None] | None = None,
                 planner: str | None = None, engine: Engine | None = None):
        self.account, _ = account_settings(cfg, account)
        self.cfg = account_config(cfg, self.account)
        self.force, self.dry_run, self.only, self.planner = force, dry_run, only, planner
        self.on_article = on_article or (lambda title, outcome: None)
        self.client = build_client(self.cfg, self.account)
        self.store = Store.for_config(self.cfg)
        self.uploader = Uploader(self.client, self.store)
        self.scope = self.client.scope
        self.work_dir = self.store.folder / "nightly" / self.account
        self.report = NightlyReport(self.account, dry_run=dry_run)
        self._engine, self._own_engine = engine, engine is None
        self._guards: list[AccountLock | Lease] = []

    def run(self, guard: AccountLock | None = None) -> NightlyReport:
        """Illustrate every draft article that asks for it; a failing one is recorded and the rest go on, and
        a draft another worker is on is left to it. `guard` (the account's lock) is checked before each article."""
        self._guards = [guard] if guard else []
        with self._running():
            for media_id, items in self.drafts():
                try:
                    self.draft(media_id, items)
                except DraftBusy as err:
                    self.report.busy += 1
                    self.on_article(f"draft {media_id[:8]}…", f"busy: {err.message}")
        return self.report

    def run_draft(self, media_id: str) -> NightlyReport:
        """One draft, as it stands once its lock is held (a worker's job): DraftBusy when another worker
        holds it; a deleted draft is nothing to do."""
        with self._running():
            self.draft(media_id)
        return self.report

    @contextmanager
    def _running(self) -> Iterator[None]:
        """Time the run; a 45009 (daily quota) stops it with everything kept; the engine is closed after."""
        start = time.perf_counter()
        try:
            yield
        except WeChatError as err:
            if err.errcode != QUOTA:
                raise
            self.report.stopped = err.message
            log.warning("nightly [%s] stopped: %s (progress is kept; the next run goes on)", self.account, err)
        finally:
            self.report.seconds = time.perf_counter() - start
            if self._engine is not None and self._own_engine:
                self._engine.close()
                self._engine = None

    def draft(self, media_id: str, items: list[dict[str, Any]] | None = None) -> None:
        """Every article of one draft. Work is done holding the draft's lock (DraftBusy when another worker or
        run holds it), on the draft as read after the lock was taken: what was listed before may already be
        done by the worker that held it. `items` (as listed) only spare the lock when nothing is left to do;
        a dry run takes no lock."""
        self.report.drafts += 1
        if items is not None and (self.dry_run or not self.pending(media_id, items)):
            self._articles(media_id, items)
            return
        try:
            lease = draft_lock(self.cfg, self.store, self.scope, media_id)
            with lease:
                self._guards.append(lease)
                try:
                    self._articles(media_id, self.client.draft.get(media_id))
                except WeChatError as err:
                    if err.errcode != 40007:
                        raise
                    self.report.failed += 1
                    self.report.errors.append(f"draft {media_id}: the draft was deleted while the run was going "
                                              f"on; nothing was done for it")
                    self.on_article(f"draft {media_id[:8]}…", "failed: deleted while the run was going on")
                finally:
                    self._guards.remove(lease)
        except LockHeld as err:
            raise DraftBusy(f"draft {media_id} is being illustrated by another worker ({err.message})",
                            where=err.where, hint="it is retried when that one is done") from None

    def _articles(self, media_id: str, items: list[dict[str, Any]]) -> None:
        for idx, item in enumerate(items):
            self.report.articles += 1
            self._check()
            self.article(media_id, idx, item)

    def _check(self) -> None:
        """Raise when a lock this run holds was lost (it stalled past the expiry; another may have taken over)."""
        for guard in self._guards:
            guard.check()

    def pending(self, media_id: str, items: list[dict[str, Any]]) -> bool:
        """Whether any article of the draft has something left to do (what a walk enqueues as a job)."""
        return any(self.triage(media_id, idx, item)[0] in ("landed", "work") for idx, item in enumerate(items))

    def drafts(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """Every draft with its articles, read before anything changes (an update moves a draft to the
        front of the list, so paging while updating would skip drafts)."""
        out: list[tuple[str, list[dict[str, Any]]]] = []
        offset = 0
        while True:
            page = self.client.draft.batchget(offset, PAGE)
            items = page.get("item", [])
            for d in items:
                if not self.only or d["media_id"] in self.only:
                    out.append((d["media_id"], d.get("content", {}).get("news_item", [])))
            offset += len(items)
            if not items or offset >= int(page.get("total_count", 0)):
                return out

    # ---- one article ----------------------------------------------------------------------------

    def _row(self, media_id: str, idx: int) -> Row | None:
        rows = self.store.query("SELECT * FROM nightly_articles WHERE scope = ? AND media_id = ? AND idx = ?",
                                (self.scope, media_id, idx))
        return rows[0] if rows else None

    def _save(self, media_id: str, idx: int, title: str, status: str, source_hash: str, *,
              result_hash: str | None = None, work: _Work | None = None, error: str | None = None) -> None:
        self.store.execute(
            "INSERT INTO nightly_articles (scope, media_id, idx, account, title, status, source_hash, result_hash, "
            "work, error, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (scope, media_id, idx) DO UPDATE SET "
            "account = excluded.account, title = excluded.title, status = excluded.status, "
            "source_hash = excluded.source_hash, result_hash = excluded.result_hash, work = excluded.work, "
            "error = excluded.error, updated = excluded.updated",
            (self.scope, media_id, idx, self.account, title, status, source_hash, result_hash,
             work.json() if work else None, error, time.time()))

    def _record_steps(self, media_id: str, idx: int, work: _Work) -> None:
        """Write the article's ledger of steps (this job holds the draft's lock: no one else writes the row)."""
        self.store.execute("UPDATE nightly_articles SET work = ?, updated = ? "
                           "WHERE scope = ? AND media_id = ? AND idx = ?",
                           (work.json(), time.time(), self.scope, media_id, idx))

    def wants(self, item: dict[str, Any]) -> tuple[bool, bool]:
        """(make a cover, fill placeholders / add images) for an article as it stands (an image post: neither)."""
        if item.get("article_type") == "newspic":
            return False, False
        placeholder = has_placeholder(str(item.get("content") or ""), self.cfg.wechat.placeholder)
        cover = self.force or not item.get("thumb_media_id")
        return cover, placeholder

    def triage(self, media_id: str, idx: int, item: dict[str, Any]) -> tuple[str, Row | None]:
        """What an article as it stands needs, with its progress row: "done" (done before and unchanged),
        "landed" (the last run's update landed before it died), "not_needed", or "work"."""
        current = content_hash(item)
        row = self._row(media_id, idx)
        cover, placeholder = self.wants(item)
        if row and row["status"] == "done" and row["result_hash"] == current:
            return "done", row
        if row and row["status"] == "updating" and (
                row["result_hash"] == current or (row["source_hash"] != current and not (cover or placeholder))):
            return "landed", row
        resume = row and row["status"] in ("rendered", "updating") and row["source_hash"] == current
        return ("work", row) if resume or cover or placeholder else ("not_needed", row)

    def article(self, media_id: str, idx: int, item: dict[str, Any]) -> None:
        title = str(item.get("title") or "")
        label = f"{title} ({media_id[:8]}…#{idx})"
        current = content_hash(item)
        state, row = self.triage(media_id, idx, item)
        cover, placeholder = self.wants(item)
        if state == "done":
            self.report.done_before += 1
            self.on_article(label, "already done")
            return
        if state == "landed" and row is not None:
            if self.dry_run:                     # the update landed just before the last run died
                self.report.done_before += 1
                self.on_article(label, "already done (the last run's update had landed)")
                return
            self._save(media_id, idx, title, "done", row["source_hash"], result_hash=current)
            self.report.illustrated += 1
            self.report.resumed += 1
            self.on_article(label, "illustrated (the last run's update had landed)")
            return
        if state == "not_needed":
            self.report.not_needed += 1
            self.on_article(label, "not needed")
            return
        resume = row if row and row["status"] in ("rendered", "updating") and row["source_hash"] == current else None
        if self.dry_run:
            self.report.would_illustrate += 1
            self.on_article(label, "would illustrate" + (" +cover" if cover else "") +
                            (" +placeholders" if placeholder else ""))
            return
        try:
            article = parse_draft_article(item, self.cfg, self.account, self.cfg.wechat.placeholder)
            work = self._work(resume) if resume else None
            if work is None or not work.on_disk():
                resume = None
                work = self._render(media_id, idx, item, article, cover, placeholder)
            uploads = LedgerUploads(self.uploader, work, lambda: self._record_steps(media_id, idx, work))
            up = upload_images(uploads, article, work.plans, work.load(), self.cfg, account=self.account)
            self._update(media_id, idx, item, up, current, work)
        except PeituError as err:
            if isinstance(err, WeChatError) and err.errcode == QUOTA:
                raise
            self._fail(media_id, idx, title, current, err, label)
        else:
            self.report.illustrated += 1
            self.report.resumed += bool(resume)
            self.report.images += sum(r["role"] != "cover_1x1" for r in work.renditions)
            self.on_article(label, "illustrated" + (" (resumed)" if resume else ""))

    def _fail(self, media_id: str, idx: int, title: str, current: str, err: PeituError, label: str) -> None:
        """Record the error; work already saved stays for the next run to resume."""
        if self._row(media_id, idx):
            self.store.execute("UPDATE nightly_articles SET error = ?, updated = ? "
                               "WHERE scope = ? AND media_id = ? AND idx = ?",
                               (str(err), time.time(), self.scope, media_id, idx))
        else:
            self._save(media_id, idx, title, "failed", current, error=str(err))
        self.report.failed += 1
        self.report.errors.append(f"{label}: {err}")
        self.on_article(label, f"failed: {err.message}")
        log.error("nightly [%s] %s: %s", self.account, label, err)

    def _work(self, row: Any) -> _Work | None:
        if not row["work"]:
            return None
        data = json.loads(row["work"])
        return _Work([ImagePlan(**p) for p in data["plans"]], data["renditions"], data.get("steps", {}))

    def _render(self, media_id: str, idx: int, item: dict[str, Any], article: Any, cover: bool,
                placeholder: bool) -> _Work:
        """Make the images, save them beside the state file, and record the plan (one transaction)."""
        from .library import record_illustration

        opts = IllustrateOptions(cover=cover, force=self.force, inline_count=0 if placeholder else None,
                                 planner=self.planner)
        if self._engine is None:
            self._engine = Engine(self.cfg)
        ill = self._engine.illustrate(article, opts)
        if ill.errors:
            key, err = next(iter(ill.errors.items()))
            raise PeituError(f"image {key} failed: {err}", where=f"draft {media_id}#{idx}")
        folder = self.work_dir / f"{media_id}-{idx}"
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for r in ill.renditions:
            path = folder / r.name
            atomic_write(path, r.data, private=True)
            saved.append({"name": r.name, "width": r.width, "height": r.height, "format": r.format,
                          "role": r.role, "key": r.key, "file": str(path)})
        record_illustration(self.cfg, article, ill.plans, ill.images, ill.renditions, folder)
        work = _Work(ill.plans, saved)
        self._save(media_id, idx, str(item.get("title") or ""), "rendered", content_hash(item), work=work)
        return work

    def _update(self, media_id: str, idx: int, item: dict[str, Any], up: Uploaded, current: str, work: _Work) -> None:
        """Send the illustrated article, unless the editor changed the draft meanwhile."""
        try:
            fresh = self.client.draft.get(media_id)
        except WeChatError as err:
            if err.errcode == 40007:
                raise PeituError("the draft was deleted while it was being illustrated",
                                 where=f"draft {media_id}#{idx}") from None
            raise
        if idx >= len(fresh) or content_hash(fresh[idx]) != current:
            raise PeituError("the draft changed while it was being illustrated; it is done on the next run",
                             where=f"draft {media_id}#{idx}")
        article = news_article(item, up)
        result = content_hash(article)
        self._save(media_id, idx, str(item.get("title") or ""), "updating", current, result_hash=result, work=work)
        self._check()                                  # never update a draft whose lock another may have taken
        try:
            self.client.draft.update(media_id, idx, article)
        except WeChatError as err:
            if err.errcode == 40007 and up.thumb_media_id:
                self.uploader.forget(up.thumb_media_id)     # the cover material is gone: upload anew next run
                work.steps.pop("material:cover", None)
                self._record_steps(media_id, idx, work)
            raise
        stored = self.client.draft.get(media_id)     # as WeChat keeps it, so "unchanged" is recognised
        if idx < len(stored):
            result = content_hash(stored[idx])
        self._save(media_id, idx, str(item.get("title") or ""), "done", current, result_hash=result)
        shutil.rmtree(self.work_dir / f"{media_id}-{idx}", ignore_errors=True)


def run_nightly(cfg: Config, account: str | None = None, **options: Any) -> NightlyReport:
    """One nightly run for one account, holding the account's lock (a second run at once is refused;
    a dry run changes nothing and takes no lock)."""
    nightly = Nightly(cfg, account, **options)
    if nightly.dry_run:
        return nightly.run()
    what = f"nightly run for WeChat account '{nightly.account}' ({nightly.client.base_url})"
    with account_lock(nightly.cfg, nightly.store, nightly.scope, what) as guard:
        return nightly.run(guard)
