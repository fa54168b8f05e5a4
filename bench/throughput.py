"""End-to-end throughput: the whole `peitu illustrate` command, from reading articles to written files,
timed from outside the process, against a rate-limited fake provider in a process of its own.

20 different articles (the examples and benchmark articles) with `--inline 2`, one OpenAI-style provider
(SiliconFlow's protocol) that allows 10 requests/s, 600/min and 3 in flight and takes 1 s per image.
The exact lower bound is when the last image could end if every request started as early as those limits
allow. Measured twice: one process, and two processes sharing one state folder (each half the articles),
which must together stay within the same limits (the fake answers 429 to any excess and counts it).

    .venv/bin/python bench/throughput.py [--latency 1.0] [--rate 10] [--in-flight 3] [--articles 20]

Ends with one line of key=value pairs for machines. Goal: ratio ≥ 0.85 in both.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PEITU = [sys.executable, "-m", "pipeline"]
PROVIDER = "siliconflow"
KEY = "bench-key-0123456789"


def articles(count: int) -> list[Path]:
    """The examples first, then benchmark articles, `count` in all (all different)."""
    found = sorted((ROOT / "examples" / "articles").glob("*.md")) + \
        sorted((ROOT / "bench" / "relevance" / "articles").glob("*.md"))
    if len(found) < count:
        raise SystemExit(f"only {len(found)} articles available")
    return found[:count]


def ideal_finish(n: int, rate: float, per_minute: float, in_flight: int, latency: float) -> float:
    """When the last of n requests ends if each starts as early as the limits allow: at most `rate`
    starts in any 1 s window, `per_minute` in any 60 s window and `in_flight` running at once."""
    starts: list[float] = []
    for i in range(n):
        t = 0.0
        if i >= int(rate):
            t = max(t, starts[i - int(rate)] + 1.0)
        if i >= int(per_minute):
            t = max(t, starts[i - int(per_minute)] + 60.0)
        if i >= in_flight:
            t = max(t, starts[i - in_flight] + latency)
        starts.append(t)
    return (starts[-1] + latency) if starts else 0.0


def serve(args: argparse.Namespace) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([*PEITU[:2], "pipeline.fakes.providers", PROVIDER, "--latency", str(args.latency),
                             "--rate", str(args.rate), "--in-flight", str(args.in_flight), "--key", KEY],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    return proc, proc.stdout.readline().split()[1]


def config(folder: Path, base_url: str, args: argparse.Namespace) -> Path:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["paths"] = {k: str(ROOT / v) for k, v in data["paths"].items()}   # the repository's files
    data["paths"].update(state=str(folder / "state" / "state.db"), cache=str(folder / "state" / "cache"))
    data["providers"] = {
        "order": [PROVIDER], "last_resort": None, "cache": False, "deadline_s": 120,
        "settings": {PROVIDER: {"base_url": base_url, "key_env": "PEITU_BENCH_KEY", "allow_http": True,
                                "rate_per_second": args.rate, "rate_per_minute": args.per_minute,
                                "max_in_flight": args.in_flight}}}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def run(files: list[Path], processes: int, args: argparse.Namespace) -> tuple[float, int, int, int]:
    """(wall seconds, images made by the provider, images failed, 429s the fake answered)."""
    fake, base_url = serve(args)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = config(Path(tmp), base_url, args)
            env = os.environ | {"PEITU_BENCH_KEY": KEY}
            shares = [files[i::processes] for i in range(processes)]
            start = time.perf_counter()
            procs = [subprocess.Popen([*PEITU, "--config", str(cfg), "illustrate", *map(str, share), "--inline", "2",
                                       "--out", str(Path(tmp) / "out")], env=env, cwd=tmp,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                     for share in shares]
            errors = [p.communicate()[1] for p in procs]
            elapsed = time.perf_counter() - start
            for p, err in zip(procs, errors, strict=True):
                if p.returncode not in (0,):
                    print(f"exit {p.returncode}: {err[-800:]}", file=sys.stderr)
            made = failed = 0
            for manifest in (Path(tmp) / "out").glob("*/manifest.json"):
                for image in json.loads(manifest.read_text(encoding="utf-8"))["images"]:
                    made += image["provider"] == PROVIDER
                    failed += image["error"] is not None
    finally:
        fake.stdin.close()
        fake.wait(10)
    throttled = sum(int(kv.split("=")[1]) for kv in fake.stderr.read().split() if "=" in kv)
    return elapsed, made, failed, throttled


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=20)
    ap.add_argument("--latency", type=float, default=1.0, help="seconds the fake takes per image")
    ap.add_argument("--rate", type=float, default=10, help="requests per second the provider allows")
    ap.add_argument("--per-minute", type=float, default=600, help="requests per minute the provider allows")
    ap.add_argument("--in-flight", type=int, default=3, help="requests in flight the provider allows")
    args = ap.parse_args()
    files = articles(args.articles)
    results = {n: run(files, n, args) for n in (1, 2)}
    made = results[1][1]
    bound = ideal_finish(made, args.rate, args.per_minute, args.in_flight, args.latency)
    print(f"{len(files)} articles, --inline 2, {made} images on a fake {PROVIDER}: {args.latency:g} s per image, "
          f"{args.rate:g}/s, {args.per_minute:g}/min, {args.in_flight} in flight")
    print(f"  lower bound          {bound:7.2f} s   (what the limits allow)")
    for n, (elapsed, made_n, failed, throttled) in results.items():
        print(f"  {n} process{'es' if n > 1 else '  '}         {elapsed:7.2f} s   ratio {bound / elapsed:.3f}   "
              f"{made_n} made, {failed} failed, {throttled} throttled (429)")
    r1, r2 = results[1], results[2]
    print(f"ratio_1p={bound / r1[0]:.3f} ratio_2p={bound / r2[0]:.3f} bound_s={bound:.2f} wall_1p_s={r1[0]:.2f} "
          f"wall_2p_s={r2[0]:.2f} images={made} failed={r1[2] + r2[2]} throttled={r1[3] + r2[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
