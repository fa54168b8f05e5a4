"""Peak memory of one `peitu illustrate` call over many articles (offline, the local provider).

The engine streams: only the articles in flight are held, so peak RSS should not grow with the batch.
Runs the command on 20 and on 200 articles (copies of the examples and benchmark articles under new
names) and reports each peak RSS, read from the kernel's rusage of the finished process.

    .venv/bin/python bench/memory.py [--articles 200]

Ends with one line of key=value pairs. Goal: 200 articles under 300 MB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "examples" / "articles").glob("*.md")) + \
    sorted((ROOT / "bench" / "relevance" / "articles").glob("*.md"))


def peak_rss_mb(count: int) -> tuple[float, float, int]:
    """(peak RSS in MB, wall seconds, exit code) of illustrating `count` articles in one call."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "articles"
        folder.mkdir()
        for i in range(count):
            src = SOURCES[i % len(SOURCES)]
            text = src.read_text(encoding="utf-8")
            (folder / f"{i:03d}-{src.name}").write_text(text, encoding="utf-8")
        files = sorted(str(p) for p in folder.glob("*.md"))
        data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
        data["paths"] = {k: str(ROOT / v) for k, v in data["paths"].items()}   # the repository's files
        data["paths"].update(state=f"{tmp}/state/state.db", cache=f"{tmp}/state/cache")
        config = Path(tmp) / "config.yaml"
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "pipeline", "--config", str(config), "illustrate", *files,
                                 "--provider", "local", "--inline", "2", "--out", str(Path(tmp) / "out")], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        return usage.ru_maxrss / 1024, time.perf_counter() - start, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=200)
    args = ap.parse_args()
    small, small_s, rc_small = peak_rss_mb(20)
    large, large_s, rc_large = peak_rss_mb(args.articles)
    print(f"  20 articles          peak {small:6.1f} MB   {small_s:6.1f} s   exit {rc_small}")
    print(f"  {args.articles} articles         peak {large:6.1f} MB   {large_s:6.1f} s   exit {rc_large}   (goal < 300 MB)")
    print(f"peak_mb_{args.articles}={large:.1f} peak_mb_20={small:.1f} growth={large / small:.2f} "
          f"seconds_{args.articles}={large_s:.1f} exit={rc_large}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
