"""Per-article pipeline time, generation excluded: check, ingest, plan, renditions, the output
folder and the library record for one article with 3 images (cover + 2 inline), in a warm process.

The images come from the local provider, made between the timed stages and not counted. Goal:
median ≤ 100 ms.

    .venv/bin/python bench/overhead.py [--rounds 3]

Ends with one line of key=value pairs for machines.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.check import check_article  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.generate import generate_all  # noqa: E402
from pipeline.engine import plan  # noqa: E402
from pipeline.images import renditions_for  # noqa: E402
from pipeline.ingest import read_article  # noqa: E402
from pipeline.library import record_illustration  # noqa: E402
from pipeline.models import IllustrateOptions, Illustration  # noqa: E402
from pipeline.publish.output import write_output  # noqa: E402

STAGES = ("check", "ingest", "plan", "renditions", "write", "library")


def one(path: Path, cfg, opts: IllustrateOptions, out: Path) -> tuple[dict[str, float], int]:
    """Stage times (s) for one article, and how many images it had; generation is not timed."""
    t = {}
    start = time.perf_counter()
    check_article(path, cfg)
    t["check"] = time.perf_counter() - start
    start = time.perf_counter()
    article = read_article(path, cfg)
    t["ingest"] = time.perf_counter() - start
    start = time.perf_counter()
    plans = plan(article, cfg, opts).plans
    t["plan"] = time.perf_counter() - start
    outcomes = generate_all(plans, cfg, provider="local")          # not timed
    start = time.perf_counter()
    ill = Illustration(article, plans)
    for p, outcome in zip(plans, outcomes, strict=True):         # what the engine does as each image arrives
        if isinstance(outcome, Exception):
            ill.errors[p.key] = outcome
        else:
            ill.renditions.extend(renditions_for(p, outcome, cfg))
            ill.images[p.key] = outcome
    t["renditions"] = time.perf_counter() - start
    start = time.perf_counter()
    folder = write_output(ill, out)
    t["write"] = time.perf_counter() - start
    start = time.perf_counter()
    record_illustration(cfg, article, ill.plans, ill.images, ill.renditions, folder)
    t["library"] = time.perf_counter() - start
    if not ill.ok:
        raise SystemExit(f"{path}: {ill.errors}")
    return t, len(plans)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="timed passes over the example articles")
    args = ap.parse_args()
    articles = sorted((ROOT / "examples" / "articles").glob("*.md"))
    cfg = load_config(ROOT / "config.yaml")
    opts = IllustrateOptions(inline_count=2)
    with tempfile.TemporaryDirectory() as tmp:
        cfg.paths.state, cfg.paths.cache = Path(tmp) / "state.db", Path(tmp) / "cache"
        out = Path(tmp) / "output"
        for path in articles:                                        # warm-up: jieba, fonts, templates
            one(path, cfg, opts, out)
        runs = [one(path, cfg, opts, out) for _ in range(args.rounds) for path in articles]
    totals = sorted(sum(t.values()) * 1000 for t, _ in runs)
    median = statistics.median(totals)
    p90 = totals[int(0.9 * (len(totals) - 1))]
    images = statistics.median(n for _, n in runs)
    print(f"{len(runs)} runs over {len(articles)} example articles, {images:g} images each, generation excluded")
    for stage in STAGES:
        print(f"  {stage:<11} median {statistics.median(t[stage] for t, _ in runs) * 1000:6.1f} ms")
    print(f"  total       median {median:6.1f} ms   p90 {p90:6.1f} ms   (goal ≤ 100 ms)")
    print(f"median_ms={median:.1f} p90_ms={p90:.1f} runs={len(runs)} images={images:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
