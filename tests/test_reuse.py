"""Reusing library images: match threshold, the no-two-articles window, and what may never be reused."""

from __future__ import annotations

import time

import pytest

from pipeline.library import Library, find_reusable, record_illustration
from pipeline.library.store import REUSED_PROVIDER
from tests.conftest import make_article, make_plan, picture

DAY = 86400
NOW = time.time()
KEYWORDS = ["咖啡", "手冲", "研磨", "水温"]


@pytest.fixture
def rcfg(cfg):
    cfg.library.reuse = True
    cfg.library.reuse_threshold = 0.6
    cfg.library.reuse_window_days = 30
    return cfg


@pytest.fixture
def lib(rcfg):
    with Library.open(rcfg) as library:
        yield library


def stock(lib: Library, slug: str = "old-coffee", tags=KEYWORDS, *, age_days: float = 40, role: str = "cover",
          key: str = "cover", provider: str = "fake", style: str = "flat", size=(1344, 576),
          color=(120, 70, 30)) -> int:
    """An image made for article `slug` `age_days` ago."""
    plan = make_plan(key, role, "pour-over coffee", list(tags), style=style, w=size[0], h=size[1])
    return lib.add_image(picture(color, *size), plan=plan, article=make_article(slug, "旧文", list(tags)),
                         provider=provider, model="m1", seed=42, tags=tags, now=NOW - age_days * DAY)


def want(slug: str = "new-coffee", keywords=KEYWORDS, key: str = "cover", role: str = "cover",
         style: str = "flat", size=(1344, 576)):
    return make_plan(key, role, "coffee", list(keywords), style=style, w=size[0], h=size[1]), \
        make_article(slug, "新文", list(keywords))


def reuse(rcfg, lib, plan_article, days_later: float = 0):
    plan, article = plan_article
    return find_reusable(plan, article, rcfg, library=lib, now=NOW + days_later * DAY)


def test_matching_image_is_reused_and_its_use_recorded(rcfg, lib):
    image_id = stock(lib)
    hit = reuse(rcfg, lib, want())
    entry = lib.get(image_id)
    assert hit is not None and hit.data == entry.file.read_bytes()
    assert hit.provider == REUSED_PROVIDER and hit.model == f"#{image_id} fake/m1" and hit.seed == 42
    assert [str(a) for a in hit.attempts] == [f"library: reused #{image_id} (match 1.00)"]
    assert [(u.article_slug, u.reused) for u in entry.uses] == [("old-coffee", False), ("new-coffee", True)]


def test_nothing_is_reused_when_reuse_is_off(rcfg, lib):
    stock(lib)
    rcfg.library.reuse = False
    assert reuse(rcfg, lib, want()) is None


def test_threshold_is_the_dice_overlap_of_keywords_and_tags(rcfg, lib):
    stock(lib, tags=["咖啡", "手冲", "研磨", "水温"])
    # 2 shared of 4 + 4 → 0.5 < 0.6
    assert reuse(rcfg, lib, want(keywords=["咖啡", "手冲", "拿铁", "奶泡"])) is None
    rcfg.library.reuse_threshold = 0.5
    assert reuse(rcfg, lib, want(keywords=["咖啡", "手冲", "拿铁", "奶泡"])) is not None


def test_best_match_wins(rcfg, lib):
    stock(lib, "a", ["咖啡", "手冲", "研磨", "拿铁"], color=(1, 2, 3))
    best = stock(lib, "b", KEYWORDS, color=(4, 5, 6))
    assert reuse(rcfg, lib, want()).model.startswith(f"#{best} ")


def test_never_the_same_image_for_two_articles_within_the_window(rcfg, lib):
    image_id = stock(lib, age_days=10)                       # its own article used it 10 days ago
    assert reuse(rcfg, lib, want()) is None
    hit = reuse(rcfg, lib, want(), days_later=21)             # 31 days after: allowed
    assert hit is not None and hit.model.startswith(f"#{image_id} ")
    assert reuse(rcfg, lib, want("third-coffee"), days_later=25) is None   # new-coffee took it 4 days ago
    assert reuse(rcfg, lib, want("third-coffee"), days_later=52) is not None


def test_window_of_zero_days_allows_immediate_reuse(rcfg, lib):
    stock(lib, age_days=0)
    rcfg.library.reuse_window_days = 0
    assert reuse(rcfg, lib, want()) is not None


def test_rerun_of_the_same_article_gets_the_same_image(rcfg, lib):
    stock(lib, "a", color=(1, 1, 1))
    stock(lib, "b", color=(2, 2, 2))
    first = reuse(rcfg, lib, want())
    assert reuse(rcfg, lib, want()).data == first.data        # within the window, but it is our own use


def test_one_article_never_gets_one_image_twice(rcfg, lib):
    stock(lib, role="inline", key="inline-1", size=(1024, 576))
    first = reuse(rcfg, lib, want(key="inline-1", role="inline", size=(1024, 576)))
    assert first is not None
    assert reuse(rcfg, lib, want(key="inline-2", role="inline", size=(1024, 576))) is None


@pytest.mark.parametrize("change", [
    {"role": "inline", "key": "inline-1"},                     # a cover is wanted
    {"style": "watercolor"},                                   # the account's look differs
    {"size": (1024, 1024)},                                    # wrong shape
    {"size": (672, 288)},                                      # right shape, too small
    {"provider": "local"},                                     # local images carry the old title
])
def test_images_that_do_not_fit_are_not_reused(rcfg, lib, change):
    stock(lib, **change)
    assert reuse(rcfg, lib, want()) is None


def test_author_markers_are_never_replaced(rcfg, lib):
    stock(lib, role="marker", key="marker-1", size=(1024, 576))
    assert reuse(rcfg, lib, want(key="marker-1", role="marker", size=(1024, 576))) is None


def test_missing_or_changed_files_are_skipped(rcfg, lib):
    gone = stock(lib, "a", color=(1, 1, 1))
    changed = stock(lib, "b", color=(2, 2, 2))
    lib.get(gone).file.unlink()
    lib.get(changed).file.write_bytes(picture((3, 3, 3)))
    assert reuse(rcfg, lib, want()) is None
    kept = stock(lib, "c", color=(4, 4, 4))
    assert reuse(rcfg, lib, want()).model.startswith(f"#{kept} ")


def test_recording_a_reused_image_adds_a_use_not_an_image(rcfg, lib, tmp_path):
    image_id = stock(lib)
    plan, article = want()
    hit = find_reusable(plan, article, rcfg, library=lib, now=NOW)
    ids = record_illustration(rcfg, article, [plan], {"cover": hit}, library=lib)
    entry = lib.get(image_id)
    assert ids == {"cover": image_id} and lib.count() == 1
    assert entry.tags == KEYWORDS and entry.provider == "fake"
    assert [(u.article_slug, u.reused) for u in entry.uses] == [("old-coffee", False), ("new-coffee", True)]
