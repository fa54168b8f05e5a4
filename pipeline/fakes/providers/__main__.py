"""Run fake providers in their own process: `python -m pipeline.fakes.providers NAME… [knobs]`.

Prints one line per fake, `NAME BASE_URL KEY`, then serves until stdin closes or it is killed.
Benchmarks use it so a fake's CPU work does not share the client's interpreter."""

from __future__ import annotations

import argparse
import contextlib
import sys

from . import FAKES, fake
from .base import ANY


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m pipeline.fakes.providers", description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="+", choices=sorted(FAKES), metavar="NAME")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds per image")
    ap.add_argument("--rate", type=float, default=None, help="requests per second before 429")
    ap.add_argument("--in-flight", type=int, default=None, help="concurrent requests before 429")
    ap.add_argument("--retry-after", type=float, default=1.0, help="Retry-After on a 429, in seconds")
    ap.add_argument("--key", default="fake-key")
    ap.add_argument("--any-key", action="store_true", help="accept any key (point an official SDK at a fake)")
    args = ap.parse_args()
    key = ANY if args.any_key else args.key
    servers = [fake(n, key=None if n in ("sdwebui", "comfyui") else key, latency=args.latency,
                    rate_per_s=args.rate, max_concurrent=args.in_flight, retry_after=args.retry_after).start()
               for n in args.names]
    for s in servers:
        print(s.name, s.base_url, s.key or "-", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sys.stdin.read()
    for s in servers:
        s.stop()
        print(s.name, "throttled", " ".join(f"{k}={v}" for k, v in s.throttles.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
