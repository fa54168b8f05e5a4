"""The illustrate flow takes a matching library image instead of generating one (library.reuse)."""

from __future__ import annotations

from pipeline.engine import Engine, plan
from pipeline.ingest import read_article
from pipeline.library import Library
from pipeline.library.store import REUSED_PROVIDER
from pipeline.models import IllustrateOptions
from tests.conftest import picture

from .conftest import REPO

ARTICLE = REPO / "examples" / "articles" / "food-chaoshan-beef-hotpot.md"


def test_matching_library_image_replaces_generation(cfg):
    cfg.library.reuse = True
    article = read_article(ARTICLE, cfg)
    opts = IllustrateOptions(provider="local")
    cover = next(p for p in plan(article, cfg, opts).plans if p.role == "cover")
    with Library.open(cfg) as lib:
        old = read_article(ARTICLE, cfg)
        old.slug = "last-years-hotpot"
        lib.add_image(picture((150, 60, 40), cover.width, cover.height), plan=cover, article=old,
                      provider="fake-hosted", model="m", seed=1, tags=cover.keywords, now=0)
    ill = Engine(cfg).illustrate(article, opts)
    assert ill.ok
    assert ill.images["cover"].provider == REUSED_PROVIDER
    assert all(g.provider == "local" for k, g in ill.images.items() if k != "cover")
    assert {r.role for r in ill.renditions} >= {"cover", "cover_1x1", "inline"}

    cfg.library.reuse = False
    assert Engine(cfg).illustrate(article, opts).images["cover"].provider == "local"
