"""Generation throughput: N articles × K images against fake providers with set latency and limits.

Prints the batch time, the lower bound the limits set (the earliest every image could finish if each
provider started requests as fast as its rate and in-flight limits allow), their ratio, and the same
figures for a one-at-a-time loop in the same run. Goal: batch ≥ 0.90 of the bound.

    .venv/bin/python bench/throughput.py [--articles 20] [--images 3] [--latency 0.5] [--rate 5] [--in-flight 4]

Ends with one line of key=value pairs for machines.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import Config  # noqa: E402
from pipeline.generate import generate_all  # noqa: E402
from pipeline.models import GeneratedImage, ImagePlan  # noqa: E402

PROVIDERS = ("siliconflow", "dashscope")        # one synchronous API with URL download, one async task API
KEY = "bench-key"
os.environ["PEITU_BENCH_KEY"] = KEY


def ideal_finish(n: int, rate: float, in_flight: int, latency: float) -> float:
    """When the last of n requests ends if each starts as early as the limits allow:
    at most `rate` starts in any 1 s window and at most `in_flight` running at once."""
    per_s = int(rate)
    starts: list[float] = []
    for i in range(n):
        t = 0.0
        if i >= per_s:
            t = max(t, starts[i - per_s] + 1.0)
        if i >= in_flight:
            t = max(t, starts[i - in_flight] + latency)
        starts.append(t)
    return (starts[-1] + latency) if starts else 0.0


def plans(articles: int, images: int) -> list[ImagePlan]:
    return [ImagePlan(key=f"a{a}-inline-{k}", role="inline", prompt=f"article {a}, scene {k}: a quiet harbour",
                      negative_prompt="text, watermark", style="flat", width=1024, height=576, seed=a * 100 + k,
                      template="tech", template_version="bench")
            for a in range(articles) for k in range(images)]


def serve(args: argparse.Namespace) -> tuple[subprocess.Popen, dict[str, str]]:
    """The fakes in a process of their own (as remote providers would be): name → base URL."""
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.fakes.providers", *PROVIDERS, "--latency",
                             str(args.latency), "--rate", str(args.rate), "--in-flight", str(args.in_flight),
                             "--key", KEY], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    urls = dict(proc.stdout.readline().split()[:2] for _ in PROVIDERS)
    return proc, urls


def run(batch: list[ImagePlan], args: argparse.Namespace, one_at_a_time: bool) -> tuple[float, list[str]]:
    proc, urls = serve(args)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            limits = {"rate_per_second": args.rate, "max_in_flight": args.in_flight, "poll_interval_s": 0.01,
                      "allow_http": True, "key_env": "PEITU_BENCH_KEY"}
            cfg = Config(root=Path(tmp), paths={"state": Path(tmp) / "state.db"},
                         providers={"order": list(PROVIDERS), "strategy": "weighted", "last_resort": None,
                                    "cache": False, "settings": {n: limits | {"base_url": urls[n]} for n in urls}})
            start = time.perf_counter()
            outcomes = [o for p in batch for o in generate_all([p], cfg)] if one_at_a_time \
                else generate_all(batch, cfg)
            elapsed = time.perf_counter() - start
    finally:
        proc.stdin.close()
        proc.wait(10)
    failed = [str(o) for o in outcomes if not isinstance(o, GeneratedImage)]
    throttled = sum(a.category == "http_429" for o in outcomes if isinstance(o, GeneratedImage) for a in o.attempts)
    if throttled:
        failed.append(f"{throttled} requests were throttled (429): the client let more through than the limits")
    return elapsed, failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=20)
    ap.add_argument("--images", type=int, default=3, help="images per article")
    ap.add_argument("--latency", type=float, default=0.5, help="seconds each fake takes per image")
    ap.add_argument("--rate", type=float, default=5, help="requests per second allowed by each provider")
    ap.add_argument("--in-flight", type=int, default=4, help="requests in flight allowed by each provider")
    args = ap.parse_args()

    batch = plans(args.articles, args.images)
    share = [len(batch) // len(PROVIDERS) + (i < len(batch) % len(PROVIDERS)) for i in range(len(PROVIDERS))]
    bound = max(ideal_finish(n, args.rate, args.in_flight, args.latency) for n in share)

    batch_s, batch_failed = run(batch, args, one_at_a_time=False)
    seq_s, seq_failed = run(batch, args, one_at_a_time=True)
    for label, failed in (("batch", batch_failed), ("one at a time", seq_failed)):
        for line in failed[:5]:
            print(f"{label}: {line}", file=sys.stderr)

    print(f"{len(batch)} images ({args.articles} articles × {args.images}) on {' + '.join(PROVIDERS)} (weighted), "
          f"each: {args.latency * 1000:.0f} ms per image, {args.rate:g}/s, {args.in_flight} in flight")
    print(f"  lower bound      {bound:7.2f} s   (what the rate and in-flight limits allow)")
    print(f"  batch            {batch_s:7.2f} s   ratio to bound {bound / batch_s:.3f}")
    print(f"  one at a time    {seq_s:7.2f} s   ratio to bound {bound / seq_s:.3f}")
    print(f"ratio_to_bound={bound / batch_s:.3f} sequential_ratio={bound / seq_s:.3f} batch_s={batch_s:.3f} "
          f"bound_s={bound:.3f} sequential_s={seq_s:.3f} images={len(batch)} "
          f"failures={len(batch_failed) + len(seq_failed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
