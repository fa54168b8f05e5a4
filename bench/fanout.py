"""Many accounts on workers: the nightly fan-out through the broker, timed against what the limits allow.

50 accounts × 10 drafts (each draft lacks a cover: one image, one permanent material, one draft/update) on the
fake WeChat (one server for every account, pipeline.fakes.wechat_hub), one rate-limited fake provider
(SiliconFlow's protocol) in a process of its own, Redis on 127.0.0.1 (a redis-server started here, or
--redis-url) as broker and for the limits every worker shares, and one SQLite state file every worker shares.
For 1, 2 and 4 workers (`peitu worker`, each its own process): send the accounts' jobs (what `peitu schedule`
does at night) and time until the last draft is updated. The bound is when the last image could end if every
request started as early as the provider's limits allow (computed as bench/throughput.py does); the ratio is
bound ÷ wall time. A second pass kills one of the workers with SIGKILL (its whole process group) in the
middle: its jobs are redelivered after broker.redeliver_after_s and finished by the others.

Counted after each pass, from the fake's own records: duplicate uploads (permanent images peitu uploaded
that no draft uses, or that two drafts share) and lost drafts (not illustrated, or updated more than once).

    .venv/bin/python bench/fanout.py [--accounts 50] [--drafts 10] [--workers 1 2 4] [--latency 0.5]
                                     [--rate 8] [--in-flight 6] [--threads 8] [--no-kill]

Ends with one line: `ratio_1w=… ratio_2w=… ratio_4w=… duplicates=0 lost=0`. Goal: ratio_4w ≥ 0.80.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from throughput import ideal_finish  # noqa: E402  (bench/ is the script's folder)

from pipeline.fakes.wechat_hub import FakeWeChatHub  # noqa: E402

PEITU = [sys.executable, "-m", "pipeline"]
PROVIDER = "siliconflow"
KEY = "bench-key-0123456789"
PROSE = "这一段讲的是具体的做法和经验，包括准备、步骤、常见问题和解决办法，读者可以照着去做。"


@dataclass
class Pass:
    workers: int
    kill: bool = False
    wall: float = 0.0
    images: int = 0
    duplicates: int = 0
    lost: int = 0
    twice: int = 0
    throttled: int = 0
    notes: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    import redis

    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("redis-server is not installed (Debian: apt-get install redis-server), or pass --redis-url")
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(200):
        try:
            redis.Redis.from_url(url).ping()
            return proc, url
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("redis-server did not start")


def seed(hub: FakeWeChatHub, drafts: int) -> None:
    """Each account's draft box: `drafts` drafts without a cover (peitu makes one, uploads it, updates the draft)."""
    for n, fake in enumerate(hub.fakes):
        for i in range(drafts):
            fake.add_editor_draft([{"title": f"第{n}号的第{i}篇草稿", "author": "编辑部", "thumb_media_id": "",
                                    "content": f"<p>账号{n}第{i}篇。{PROSE}</p><h2>做法</h2><p>{PROSE}</p>"}])


def write_config(folder: Path, hub: FakeWeChatHub, provider_url: str, args: argparse.Namespace) -> Path:
    repo = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data = {
        "paths": {**{k: str(ROOT / v) for k, v in repo["paths"].items()},     # the repository's templates …
                  "state": str(folder / "state" / "state.db"), "cache": str(folder / "state" / "cache"),
                  "output": str(folder / "out")},
        "images": {"generate_cover": {"width": 672, "height": 288}, "inline_count": 0, "title_on_cover": False},
        "providers": {"order": [PROVIDER], "last_resort": None, "cache": False, "deadline_s": 600,
                      "settings": {PROVIDER: {"base_url": provider_url, "key_env": "PEITU_BENCH_KEY",
                                              "allow_http": True, "rate_per_second": args.rate,
                                              "rate_per_minute": args.per_minute, "max_in_flight": args.in_flight}}},
        "wechat": {"accounts": {f"acct{n}": {"base_url": hub.base_url(n), "appid_env": f"BENCH_APPID_{n}",
                                             "secret_env": f"BENCH_SECRET_{n}"} for n in range(len(hub.fakes))}},
        "broker": {"url_env": "PEITU_BENCH_BROKER", "lease_s": 5, "redeliver_after_s": args.redeliver},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def environment(hub: FakeWeChatHub, redis_url: str) -> dict[str, str]:
    env = dict(os.environ, PEITU_BENCH_KEY=KEY, PEITU_BENCH_BROKER=redis_url, PYTHONUNBUFFERED="1")
    for n, fake in enumerate(hub.fakes):
        env[f"BENCH_APPID_{n}"], env[f"BENCH_SECRET_{n}"] = fake.appid, fake.secret
    return env


def wait_for_workers(redis_url: str, count: int, procs: list[subprocess.Popen], timeout: float = 180) -> None:
    import redis

    from pipeline.queue.health import workers_key

    client = redis.Redis.from_url(redis_url)
    end = time.monotonic() + timeout
    while len(list(client.scan_iter(match=workers_key("peitu")))) < count:
        if any(p.poll() is not None for p in procs) or time.monotonic() > end:
            raise SystemExit("the workers did not start (see the log above)")
        time.sleep(0.1)


def count(hub: FakeWeChatHub) -> tuple[int, int, int]:
    """(duplicate uploads, lost drafts, drafts updated more than once) from the fake's records."""
    duplicates = lost = twice = 0
    for fake in hub.fakes:
        ours = [m for m, mat in fake.materials.items() if mat.name.startswith("peitu-")]
        used = [d.news_item[0]["thumb_media_id"] for d in fake.drafts.values()]
        duplicates += len(ours) - len(set(ours) & set(used)) + (len(used) - len(set(used)))
        for d in fake.drafts.values():
            lost += d.updates == 0 or d.news_item[0]["thumb_media_id"] not in fake.materials
            twice += d.updates > 1
    return duplicates, lost, twice


def run(p: Pass, args: argparse.Namespace, redis_url: str, log: Path) -> Pass:
    import redis

    from pipeline.config import load_config
    from pipeline.queue import jobs

    redis.Redis.from_url(redis_url).flushdb()
    provider = subprocess.Popen([*PEITU[:2], "pipeline.fakes.providers", PROVIDER, "--latency", str(args.latency),
                                 "--rate", str(args.rate), "--in-flight", str(args.in_flight), "--key", KEY],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=ROOT)
    provider_url = provider.stdout.readline().split()[1]
    total = args.accounts * args.drafts
    updated = threading.Event()
    done_at = [0.0]
    with tempfile.TemporaryDirectory(prefix="peitu-fanout-") as tmp, FakeWeChatHub(args.accounts) as hub:
        folder = Path(tmp)
        seed(hub, args.drafts)
        config = write_config(folder, hub, provider_url, args)
        env = environment(hub, redis_url)
        lock, updates = threading.Lock(), [0]

        def on_call(api: str, fake: object) -> None:
            if api == "draft/update":
                with lock:
                    updates[0] += 1
                    done_at[0] = time.monotonic()
                    if updates[0] >= total:
                        updated.set()

        for fake in hub.fakes:
            fake.on_call = on_call
        with open(log, "a") as out:
            workers = [subprocess.Popen([*PEITU, "--config", str(config), "worker", "-p", "1", "-t", str(args.threads)],
                                        env=env, cwd=tmp, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
                       for _ in range(p.workers)]
        try:
            wait_for_workers(redis_url, p.workers, workers)
            cfg = load_config(config)
            os.environ.update(env)
            start = time.monotonic()
            jobs.enqueue_accounts(cfg, list(cfg.wechat.accounts))
            if p.kill:
                while updates[0] < total * 0.4 and not updated.is_set():
                    time.sleep(0.05)
                os.killpg(workers[0].pid, signal.SIGKILL)
                p.notes.append(f"killed worker 1 of {p.workers} after {updates[0]} of {total} drafts")
            if not updated.wait(args.timeout):
                p.notes.append(f"timed out after {args.timeout:.0f} s with {updates[0]} of {total} drafts updated")
            time.sleep(1.0 if not p.kill else args.redeliver)   # a straggler would show as a second update
            p.wall = done_at[0] - start
            p.duplicates, p.lost, p.twice = count(hub)
        finally:
            for w in workers:
                if w.poll() is None:
                    os.killpg(w.pid, signal.SIGTERM)
            for w in workers:
                try:
                    w.wait(60)
                except subprocess.TimeoutExpired:
                    os.killpg(w.pid, signal.SIGKILL)
            provider.stdin.close()
            provider.wait(30)
    p.throttled = sum(int(n) for line in provider.stderr.read().splitlines() if " throttled " in line
                      for n in re.findall(r"\w+=(\d+)", line))
    p.images = total
    return p


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=50)
    ap.add_argument("--drafts", type=int, default=10, help="drafts per account")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker processes, one pass each")
    ap.add_argument("--threads", type=int, default=8, help="jobs each worker runs at once")
    ap.add_argument("--latency", type=float, default=0.5, help="seconds the fake provider takes per image")
    ap.add_argument("--rate", type=float, default=8, help="requests per second the provider allows")
    ap.add_argument("--per-minute", type=float, default=600, help="requests per minute the provider allows")
    ap.add_argument("--in-flight", type=int, default=6, help="requests in flight the provider allows")
    ap.add_argument("--redeliver", type=float, default=8, help="broker.redeliver_after_s")
    ap.add_argument("--timeout", type=float, default=900, help="seconds a pass may take")
    ap.add_argument("--no-kill", dest="kill", action="store_false", help="skip the pass that kills a worker")
    ap.add_argument("--redis-url", help="a Redis to use (its database is emptied); default: start a redis-server")
    args = ap.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="peitu-fanout-redis-"))
    log = folder / "workers.log"
    server = None
    redis_url = args.redis_url
    if redis_url is None:
        server, redis_url = start_redis(folder)
    total = args.accounts * args.drafts
    bound = ideal_finish(total, args.rate, args.per_minute, args.in_flight, args.latency)
    print(f"{args.accounts} accounts × {args.drafts} drafts = {total} drafts (one image each) on one fake WeChat; "
          f"fake {PROVIDER}: {args.latency:g} s per image, {args.rate:g}/s, {args.per_minute:g}/min, "
          f"{args.in_flight} in flight; workers of {args.threads} threads")
    print(f"  lower bound                {bound:7.2f} s   (what the limits allow)", flush=True)
    plan = [Pass(n) for n in args.workers] + ([Pass(max(args.workers), kill=True)] if args.kill else [])
    passes = []
    try:
        for p in plan:
            passes.append(run(p, args, redis_url, log))
            what = f"{p.workers} worker{'s' if p.workers > 1 else ' '}" + (", one killed" if p.kill else "")
            print(f"  {what:<26} {p.wall:7.2f} s   ratio {bound / p.wall if p.wall else 0:.3f}   {p.duplicates} "
                  f"duplicate uploads, {p.lost} lost, {p.twice} updated twice, {p.throttled} throttled (429)"
                  + "".join(f"; {n}" for n in p.notes), flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
    if any(p.lost or p.twice or p.duplicates for p in passes):
        print(f"  worker logs: {log}")
    ratios = " ".join(f"ratio_{p.workers}w={bound / p.wall if p.wall else 0:.3f}" for p in passes if not p.kill)
    duplicates = sum(p.duplicates for p in passes)
    lost = sum(p.lost + p.twice for p in passes)
    print(f"{ratios} duplicates={duplicates} lost={lost}")
    return 0 if not (duplicates or lost) else 1


if __name__ == "__main__":
    sys.exit(main())
