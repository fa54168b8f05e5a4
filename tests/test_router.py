"""The router against real fake servers: fallback order, weighted balance, quotas, breaker, cache,
deadline, Retry-After, in-flight limits, the last resort, and secrets kept out of logs and errors."""

from __future__ import annotations

import datetime as dt
import logging
import random
import subprocess
import sys
import textwrap
from zoneinfo import ZoneInfo

import pytest

from pipeline.errors import ProviderError, QuotaError
from pipeline.fakes.providers import fake, fake_config, keys_for
from pipeline.generate import generate_all, router_for
from pipeline.generate.breaker import Breaker
from pipeline.generate.clock import ManualClock
from pipeline.generate.ratelimit import RateLimiter
from pipeline.generate.router import Router
from pipeline.generate.rules import RULES, backoff, category
from pipeline.models import GeneratedImage

from .conftest import inline_plans, lines

SECRET = "sk-live-7d3f9a1c2b4e6f8091a2b3c4"


@pytest.fixture
def servers(request):
    started = []

    def start(name: str, **knobs):
        server = fake(name, **({"retry_after": 0.05} | knobs)).start()
        started.append(server)
        return server

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def setup(tmp_path, monkeypatch, servers):
    """setup({name: fake}, **providers) → Config, with each fake's key in the environment."""
    def make(fakes, **providers):
        for env, value in keys_for(fakes).items():
            monkeypatch.setenv(env, value)
        return fake_config(tmp_path, fakes, **providers)
    return make


def test_fallback_tries_in_order_and_records_why(setup, servers, monkeypatch):
    a, b = servers("openai"), servers("zhipu")
    cfg = setup({"openai": a, "zhipu": b})
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-the-key-the-fake-wants")
    [out] = generate_all(inline_plans(1), cfg)
    assert isinstance(out, GeneratedImage) and out.provider == "zhipu"
    assert lines(out)[0].startswith("openai: failed — OpenAI Images (openai): the key was refused (HTTP 401)")
    assert lines(out)[-1] == "zhipu: ok"
    assert len(a.creates()) == 1 and len(b.creates()) == 1


def test_all_failing_keeps_the_first_real_error_and_lists_every_provider(setup, servers):
    a, b = servers("siliconflow"), servers("dashscope")
    cfg = setup({"siliconflow": a, "dashscope": b, "fal": servers("fal")}, max_retries=0)
    a.inject("403")
    b.inject("jobfail")
    cfg.providers.settings["fal"].key_env = "PEITU_TEST_UNSET_KEY"
    [err] = generate_all(inline_plans(1), cfg)
    assert isinstance(err, ProviderError)
    text = str(err)
    assert text.startswith("no provider made image 'inline-0'. First error: SiliconFlow 硅基流动 (siliconflow): "
                           "access denied (HTTP 403)")
    assert "dashscope: failed — " in text and "job failed" in text
    assert "fal: skipped — no key: set PEITU_TEST_UNSET_KEY" in text
    assert "real-name verification" in text                     # the first error's advice


def test_last_resort_local_when_no_keys(cfg, monkeypatch):
    for env in ("OPENAI_API_KEY", "REPLICATE_API_TOKEN"):
        monkeypatch.delenv(env, raising=False)
    cfg.providers.order = ["openai", "replicate"]
    cfg.providers.last_resort = "local"
    [out] = generate_all(inline_plans(1), cfg)
    assert isinstance(out, GeneratedImage) and out.provider == "local"
    assert lines(out) == ["openai: skipped — no key: set OPENAI_API_KEY in .env or the environment",
                            "replicate: skipped — no key: set REPLICATE_API_TOKEN in .env or the environment",
                            "local: ok"]


def test_forced_provider_is_the_only_one_tried(setup, servers):
    a = servers("openai")
    cfg = setup({"openai": a})
    [out] = generate_all(inline_plans(1), cfg, provider="local")
    assert isinstance(out, GeneratedImage) and out.provider == "local"
    assert a.creates() == []


def test_weighted_strategy_splits_by_weight(setup, servers):
    a, b = servers("openai"), servers("siliconflow")
    cfg = setup({"openai": a, "siliconflow": b}, strategy="weighted", cache=False,
                settings={"openai": {"weight": 3}, "siliconflow": {"weight": 1}})
    out = generate_all(inline_plans(40), cfg)
    assert all(isinstance(o, GeneratedImage) for o in out)
    assert [o.provider for o in out].count("openai") == 30
    assert len(a.creates()) == 30 and len(b.creates()) == 10


def test_daily_quota_warns_at_80_percent_skips_at_100_and_persists(setup, servers, caplog):
    a, b = servers("deepinfra"), servers("fal")
    cfg = setup({"deepinfra": a, "fal": b}, cache=False, settings={"deepinfra": {"daily_quota": 5, "max_in_flight": 1}})
    with caplog.at_level(logging.WARNING):
        out = generate_all(inline_plans(7), cfg)
    assert [o.provider for o in out].count("deepinfra") == 5
    assert len(a.creates()) == 5
    warnings = [r.getMessage() for r in caplog.records if r.name == "pipeline.generate.quota"]
    assert len(warnings) == 1 and "4 of today's quota of 5" in warnings[0]
    fresh = Router(cfg)                                      # another run the same day
    assert fresh.usage.used("deepinfra") == 5
    assert "quota" in (fresh.unusable("deepinfra") or "")
    assert fresh.usage.report(1)[0] == {"provider": "deepinfra", "calls": 5, "failures": 0, "images": 5}


def test_only_quota_left_gives_a_quota_error(setup, servers):
    a = servers("zhipu")
    cfg = setup({"zhipu": a}, settings={"zhipu": {"daily_quota": 0}})
    [err] = generate_all(inline_plans(1), cfg)
    assert isinstance(err, QuotaError) and "quota" in str(err)
    assert a.creates() == []


def test_breaker_rests_a_failing_provider(setup, servers):
    a, b = servers("replicate"), servers("openai")
    cfg = setup({"replicate": a, "openai": b}, max_retries=0, breaker_failures=2, breaker_rest_s=60, cache=False,
                settings={"replicate": {"max_in_flight": 1}})
    a.inject("500", "500", "500", "500")
    out = generate_all(inline_plans(4), cfg)
    assert all(isinstance(o, GeneratedImage) and o.provider == "openai" for o in out)
    assert len(a.creates()) == 2                             # then it rests
    rested = [o for o in out if lines(o)[0].startswith("replicate: skipped — resting after failures")]
    assert len(rested) == 2


def test_a_refused_key_rests_the_provider_at_once(setup, servers):
    a, b = servers("fal"), servers("zhipu")
    cfg = setup({"fal": a, "zhipu": b}, cache=False, settings={"fal": {"max_in_flight": 1}})
    a.key = "rotated"
    out = generate_all(inline_plans(3), cfg)
    assert all(o.provider == "zhipu" for o in out)
    assert len(a.creates()) == 1


def test_same_picture_for_different_prompts_rests_the_provider(setup, servers):
    a, b = servers("siliconflow", same_image=True), servers("dashscope")
    cfg = setup({"siliconflow": a, "dashscope": b}, cache=False)
    first, second, third = (generate_all([p], cfg)[0] for p in inline_plans(3))
    assert first.provider == "siliconflow"
    assert second.provider == "dashscope" and "same picture it made for a different prompt" in lines(second)[0]
    assert third.provider == "dashscope" and lines(third)[0].startswith("siliconflow: skipped — resting")
    assert len(a.creates()) == 2


def test_cache_gives_the_stored_image_without_a_call(setup, servers):
    a = servers("deepinfra")
    cfg = setup({"deepinfra": a})
    first = generate_all(inline_plans(2), cfg)
    again = generate_all(inline_plans(2), cfg)
    assert [o.cached for o in again] == [True, True]
    assert [o.data for o in again] == [o.data for o in first]
    assert len(a.creates()) == 2
    changed = generate_all(inline_plans(1, template_version="v2"), cfg)   # the template changed: no hit
    assert changed[0].cached is False and len(a.creates()) == 3
    files = list(cfg.path(cfg.paths.cache).rglob("*.img"))
    assert len(files) == 2          # named by content: the fake drew the v2 image byte for byte like v1


def test_retry_after_is_honoured_and_shared(setup, servers):
    """The router waits what Retry-After says (on its clock: no real sleep), and the pause is written where
    every process sharing the state folder sees it."""
    a = servers("openai", retry_after=0.4)
    cfg = setup({"openai": a})
    a.inject("429")
    clock = ManualClock()
    router = Router(cfg, clock)
    out = router.generate(inline_plans(1)[0])
    assert isinstance(out, GeneratedImage) and len(a.creates()) == 2
    assert clock.slept == [0.4]
    other = RateLimiter(router.limiter.path, ManualClock(start=ManualClock().time()))   # another process, then
    assert other.paused("openai") == pytest.approx(0.4)
    assert lines(out)[0] == "openai: HTTP 429, retry 1 in 0.4s"
    assert out.attempts[0].category == "http_429" and not out.fallback


def test_a_long_retry_after_fails_over_instead_of_waiting(setup, servers):
    a, b = servers("openai", retry_after=120), servers("zhipu")
    cfg = setup({"openai": a, "zhipu": b}, backoff_max_s=5)
    a.inject("429")
    [out] = generate_all(inline_plans(1), cfg)
    assert out.provider == "zhipu" and "asked to wait 120s" in lines(out)[0]
    assert len(a.creates()) == 1


def test_deadline_moves_on_to_the_last_resort(setup, servers):
    a = servers("dashscope", latency=5)
    cfg = setup({"dashscope": a}, deadline_s=0.5, last_resort="local")
    [out] = generate_all(inline_plans(1), cfg)
    assert out.provider == "local"
    assert "still running at the image's deadline" in lines(out)[0]


def test_batch_runs_concurrently_up_to_max_in_flight(setup, servers):
    a = servers("siliconflow", latency=0.15)
    cfg = setup({"siliconflow": a}, cache=False, settings={"siliconflow": {"max_in_flight": 3}})
    done = []
    out = generate_all(inline_plans(9), cfg, on_done=lambda p, o: done.append(p.key))
    assert [o.provider for o in out] == ["siliconflow"] * 9
    assert a.peak == 3                                       # concurrent, and never above the limit
    assert sorted(done) == sorted(p.key for p in inline_plans(9))
    assert len({o.data for o in out}) == 9                   # each result in its own plan's slot


def test_rate_limit_holds_across_processes(tmp_path):
    """Two processes share one state file: no one-second window holds more than the limit."""
    code = textwrap.dedent(f"""
        import pathlib, time
        from pipeline.config import Config
        from pipeline.generate.router import Router
        cfg = Config(root=pathlib.Path({str(tmp_path)!r}),
                     providers={{"order": ["openai"], "settings": {{"openai": {{"rate_per_second": 5}}}}}})
        r = Router(cfg)
        for _ in range(6):
            assert r.limiter.acquire("openai", r.slots["openai"].limits, time.monotonic() + 30)
            print(time.time())
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=60)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    times = sorted(float(t) for out in outs for t in out.split())
    assert len(times) == 12
    assert all(times[i + 5] - times[i] >= 0.99 for i in range(len(times) - 5))


def test_no_key_in_logs_or_errors(setup, servers, caplog):
    a = servers("replicate", key=SECRET)
    b = servers("siliconflow", key=SECRET[::-1])
    cfg = setup({"replicate": a, "siliconflow": b}, max_retries=1, cache=False)
    a.inject("429", "401")
    b.inject("malformed", "400")
    with caplog.at_level(logging.DEBUG):
        out = generate_all(inline_plans(3), cfg)
        checked = [router_for(cfg).check(n) for n in ("replicate", "siliconflow")]
    text = caplog.text + "\n".join(str(o) for o in out if not isinstance(o, GeneratedImage))
    text += "\n".join(line for o in out if isinstance(o, GeneratedImage) for line in lines(o))
    text += "\n".join(msg for _, msg in checked)
    assert "Authorization: ***" in caplog.text                # the debug log did show requests
    assert SECRET not in text and SECRET[::-1] not in text


def test_a_rested_provider_is_probed_again_after_its_rest(setup, servers):
    a, b = servers("deepinfra"), servers("zhipu")
    cfg = setup({"deepinfra": a, "zhipu": b}, max_retries=0, breaker_failures=1, breaker_rest_s=30, cache=False)
    clock = ManualClock()
    router = Router(cfg, clock)
    a.inject("503")
    first = router.generate(inline_plans(1)[0])
    rested = router.generate(inline_plans(1, prompt="second")[0])
    assert first.provider == rested.provider == "zhipu" and "resting" in lines(rested)[0]
    assert rested.fallback and rested.attempts[0].category == "resting"
    clock.advance(30)
    probe = router.generate(inline_plans(1, prompt="third")[0])
    assert probe.provider == "deepinfra" and len(a.creates()) == 2


def test_429s_never_rest_a_provider(setup, servers):
    """A 429 is a request to wait: even when it makes an image fail over, the breaker does not count it."""
    a, b = servers("siliconflow"), servers("zhipu")
    cfg = setup({"siliconflow": a, "zhipu": b}, max_retries=0, breaker_failures=1, cache=False)
    router = Router(cfg, ManualClock())
    a.inject("429", "429")
    first = router.generate(inline_plans(1)[0])
    second = router.generate(inline_plans(1, prompt="second")[0])
    third = router.generate(inline_plans(1, prompt="third")[0])
    assert [first.provider, second.provider, third.provider] == ["zhipu", "zhipu", "siliconflow"]
    assert [a.category for a in second.attempts[:1]] == ["http_429"]       # tried again, not resting
    assert router.breaker.resting("siliconflow") is None
    assert router.usage.failure_reasons(1) == [{"provider": "siliconflow", "reason": "http_429", "count": 2}]


def test_a_quota_day_ends_at_midnight_in_the_schedules_timezone(setup, servers):
    a, b = servers("deepinfra"), servers("zhipu")
    cfg = setup({"deepinfra": a, "zhipu": b}, cache=False, settings={"deepinfra": {"daily_quota": 1}})
    midnight = dt.datetime(2026, 11, 26, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    clock = ManualClock(start=midnight - 90)                 # 23:58:30 in Shanghai
    router = Router(cfg, clock)
    made = [router.generate(p).provider for p in inline_plans(2)]
    assert made == ["deepinfra", "zhipu"] and "quota" in (router.unusable("deepinfra") or "")
    clock.advance(120)                                       # 00:00:30: a new day
    assert router.unusable("deepinfra") is None
    assert router.generate(inline_plans(1, prompt="next day")[0]).provider == "deepinfra"


def test_the_breaker_rests_opens_half_way_and_closes_on_the_clock():
    clock = ManualClock()
    breaker = Breaker(2, 60, clock)
    breaker.failure("p", "HTTP 500")
    assert breaker.allow("p") and breaker.resting("p") is None
    breaker.failure("p", "HTTP 502")
    assert not breaker.allow("p") and breaker.resting("p") == "HTTP 502"
    clock.advance(59.9)
    assert not breaker.allow("p")
    clock.advance(0.2)
    assert breaker.allow("p") and not breaker.allow("p")      # one probe at a time
    breaker.release("p")
    assert breaker.allow("p")
    breaker.success("p")
    assert breaker.allow("p") and breaker.allow("p")
    breaker.failure("p", "HTTP 401", trip=True)               # at once
    assert breaker.resting("p") == "HTTP 401"


def test_a_provider_that_throttles_is_waited_for(setup, servers):
    a = servers("zhipu", rate_per_s=2)
    cfg = setup({"zhipu": a}, cache=False)                   # peitu was told no limit
    out = generate_all(inline_plans(4), cfg)
    assert [o.provider for o in out] == ["zhipu"] * 4
    assert a.throttles["rate"] >= 1                          # its Retry-After said when to come back
    assert any(line.startswith("zhipu: HTTP 429, retry 1 in") for o in out for line in lines(o))


def test_configured_rate_keeps_a_provider_from_throttling(setup, servers):
    a = servers("siliconflow", rate_per_s=4, max_concurrent=2)
    cfg = setup({"siliconflow": a}, cache=False, settings={"siliconflow": {"rate_per_second": 4, "max_in_flight": 2}})
    out = generate_all(inline_plans(10), cfg)
    assert [o.provider for o in out] == ["siliconflow"] * 10
    assert a.throttles == {"rate": 0, "concurrency": 0} and len(a.creates()) == 10


@pytest.mark.parametrize("status, kind, retried, breaker", [
    (429, "http_429", True, "ignore"), (500, "http_5xx", True, "count"), (503, "http_5xx", True, "count"),
    (408, "timeout", True, "count"), (400, "http_4xx", False, "count"), (422, "http_4xx", False, "count"),
    (401, "auth", False, "trip"), (402, "auth", False, "trip"), (403, "auth", False, "trip"),
    (404, "not_found", False, "trip"),
])
def test_the_retry_table_by_status(status, kind, retried, breaker):
    assert category(status) == kind
    assert (RULES[kind].retry, RULES[kind].breaker) == (retried, breaker)
    assert RULES["timeout"].resend is False                  # a create that may have run is not re-sent


def test_backoff_is_exponential_with_equal_jitter():
    rnd = random.Random(3)
    for n, full in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 30.0), (9, 30.0)]:
        waits = [backoff(n, 1.0, 30.0, rnd) for _ in range(200)]
        assert full / 2 <= min(waits) and max(waits) <= full and max(waits) - min(waits) > full / 4
