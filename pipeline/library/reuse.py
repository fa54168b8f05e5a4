"""Reuse: take a library image whose tags match a plan's keywords instead of generating one.

Rules (config `library:`): only when `reuse` is on; the match score is the Dice overlap of the plan's
keywords and the image's tags (2·shared / (keywords + tags)) and must reach `reuse_threshold`; the image
must have the plan's role and style, a close aspect ratio and enough pixels, and carry no article-specific
text (local-provider images and imported covers do); and no *other* article may have used it within
`reuse_window_days`. Author markers (`__generate:` prompts) are never replaced.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from ..config import Config
from ..models import Article, Attempt, GeneratedImage, ImagePlan
from .store import REUSED_PROVIDER, Library, add_use, sha256_of
from .text import normalise_tags

log = logging.getLogger(__name__)
DAY = 86400.0
ASPECT_TOLERANCE = 0.1               # relative difference of width/height ratios
MIN_SCALE = 0.75                     # the image must be at least this share of the plan's width


@dataclass
class Candidate:
    id: int
    score: float
    mine: bool                        # already used by this article for this plan (a rerun)
    uses: int


def candidates(lib: Library, plan: ImagePlan, slug: str, keywords: list[str], threshold: float,
               window_days: int, now: float) -> list[Candidate]:
    """Images that may stand in for `plan`, best first."""
    if not keywords:
        return []
    marks = ",".join("?" * len(keywords))
    rows = lib.store.query(
        f"""SELECT i.id, i.width, i.height, count(t.tag) AS shared,
               (SELECT count(*) FROM library_tags a WHERE a.image_id = i.id) AS ntags,
               (SELECT count(*) FROM library_uses u WHERE u.image_id = i.id) AS nuses,
               EXISTS (SELECT 1 FROM library_uses u WHERE u.image_id = i.id AND u.article_slug = ?
                       AND u.plan_key = ?) AS mine,
               EXISTS (SELECT 1 FROM library_uses u WHERE u.image_id = i.id AND u.article_slug = ?
                       AND u.plan_key != ?) AS other_plan,
               EXISTS (SELECT 1 FROM library_uses u WHERE u.image_id = i.id AND u.article_slug != ?
                       AND u.used_at >= ?) AS in_window
           FROM library_images i JOIN library_tags t ON t.image_id = i.id
           WHERE t.tag IN ({marks}) AND i.reusable = 1 AND i.role = ? AND i.style = ?
           GROUP BY i.id""",
        [slug, plan.key, slug, plan.key, slug, now - window_days * DAY if window_days else now + 1,
         *keywords, plan.role, plan.style])
    want = plan.width / plan.height
    found = []
    for r in rows:
        score = 2 * r["shared"] / (len(keywords) + r["ntags"])
        if (score < threshold or r["other_plan"] or r["in_window"] or not r["height"]
                or abs(r["width"] / r["height"] - want) / want > ASPECT_TOLERANCE
                or r["width"] < plan.width * MIN_SCALE):
            continue
        found.append(Candidate(r["id"], score, bool(r["mine"]), r["nuses"]))
    found.sort(key=lambda c: (not c.mine, -c.score, c.uses, c.id))
    return found


def find_reusable(plan: ImagePlan, article: Article, cfg: Config, *, library: Library | None = None,
                  now: float | None = None) -> GeneratedImage | None:
    """A library image for `plan` (and its use recorded), or None to generate one as usual."""
    rules = cfg.library
    if not rules.reuse or plan.role not in ("cover", "inline"):
        return None
    now = time.time() if now is None else now
    keywords = normalise_tags(plan.keywords or article.keywords)
    lib = library or Library.open(cfg)
    try:
        with lib.store.tx():                         # two runs must not both take the same image
            for cand in candidates(lib, plan, article.slug, keywords, rules.reuse_threshold,
                                   rules.reuse_window_days, now):
                entry = lib.get(cand.id)
                try:
                    data = entry.file.read_bytes()
                except OSError:
                    log.warning("library image #%s: file %s is missing; skipped", entry.id, entry.file)
                    continue
                if sha256_of(data) != entry.sha256:
                    log.warning("library image #%s: file %s changed on disk; skipped", entry.id, entry.file)
                    continue
                add_use(lib.store, entry.id, article.slug, plan.key, True, now)
                return GeneratedImage(
                    data=data, provider=REUSED_PROVIDER, model=f"#{entry.id} {entry.provider}/{entry.model}",
                    seed=entry.seed, elapsed_s=0.0, cached=True,
                    attempts=[Attempt("library", "cached", f"reused #{entry.id} (match {cand.score:.2f})", "reuse")])
        return None
    finally:
        if library is None:
            lib.close()
