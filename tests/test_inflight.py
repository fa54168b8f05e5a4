"""Requests in flight per provider, across processes: slots shared through the state folder, freed when a
holder is killed, and two `peitu` runs on one state folder never over-admit a provider."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from pipeline.fakes.providers import fake
from pipeline.generate.inflight import InFlight

HOLD = textwrap.dedent("""
    import pathlib, sys, time
    from pipeline.generate.inflight import InFlight
    slots = InFlight(pathlib.Path(sys.argv[1]), "p", 2)
    with slots.slot(time.monotonic() + 5) as a, slots.slot(time.monotonic() + 5) as b:
        print("held" if a and b else "not held", flush=True)
        time.sleep(60)
""")

BATCH = textwrap.dedent("""
    import pathlib, sys
    from pipeline.config import Config
    from pipeline.generate import generate_all
    from pipeline.models import GeneratedImage, ImagePlan
    root, url, who = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    cfg = Config.model_validate({"root": root, "paths": {"state": root / "state.db", "cache": root / "cache"},
        "providers": {"order": ["siliconflow"], "last_resort": None, "cache": False, "backoff_base_s": 0.01,
                      "settings": {"siliconflow": {"base_url": url, "allow_http": True, "max_in_flight": 3}}}})
    plans = [ImagePlan(key=f"{who}-{i}", role="inline", prompt=f"{who} harbour {i}", negative_prompt="",
                       style="flat", width=1024, height=1024, seed=i, template="t", template_version="v")
             for i in range(6)]
    print("ready", flush=True)
    sys.stdin.readline()
    out = generate_all(plans, cfg)
    print(sum(isinstance(o, GeneratedImage) for o in out), flush=True)
""")


def test_a_slot_is_shared_across_processes_and_freed_when_its_holder_is_killed(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        slots = InFlight(tmp_path, "p", 2)
        start = time.monotonic()
        with slots.slot(start + 0.3) as got:
            assert not got and time.monotonic() - start >= 0.3      # both taken by the other process
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        start = time.monotonic()
        with slots.slot(start + 5) as first, slots.slot(start + 5) as second:
            assert first and second and time.monotonic() - start < 1  # the kernel freed them
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_threads_of_one_process_share_the_slots(tmp_path):
    slots = InFlight(tmp_path, "p", 1)
    with slots.slot(time.monotonic() + 1) as held:
        assert held
        with InFlight(tmp_path, "p", 1).slot(time.monotonic() + 0.1) as again:
            assert not again
    with slots.slot(time.monotonic() + 0.1) as free:
        assert free


def test_two_runs_on_one_state_folder_never_exceed_max_in_flight(tmp_path, monkeypatch):
    """Two processes, each allowed 3 in flight, against a provider that throttles its 4th request at once:
    the provider never sees more than 3, never throttles, and every image is made."""
    server = fake("siliconflow", key="sk-two-runs-0123456789", latency=0.6, max_concurrent=3,
                  retry_after=0.05).start()
    env = os.environ | {"SILICONFLOW_API_KEY": server.key}
    runs = [subprocess.Popen([sys.executable, "-c", BATCH, str(tmp_path), server.base_url, who], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for who in ("a", "b")]
    try:
        assert [r.stdout.readline().strip() for r in runs] == ["ready", "ready"]
        for r in runs:                                     # start both batches together
            r.stdin.write("go\n")
            r.stdin.flush()
        made = [int(r.communicate(timeout=120)[0].strip()) for r in runs]
    finally:
        for r in runs:
            r.kill()
        server.stop()
    assert made == [6, 6] and len(server.creates()) == 12
    assert server.peak_busy == 3 and server.throttles == {"rate": 0, "concurrency": 0}
