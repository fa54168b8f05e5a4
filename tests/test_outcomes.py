"""Honest outcomes: what each provider did for an image (Attempt), whether a fallback made it, failures
counted by reason and shown by `peitu usage`, a job that never finishes abandoned at the deadline, and
`peitu illustrate` ending on time against a provider that drips."""

from __future__ import annotations

import logging
import time

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import load_config
from pipeline.errors import ProviderError
from pipeline.fakes.providers import FAKES, fake, fake_config, keys_for, settings_for
from pipeline.generate import generate_all
from pipeline.models import Attempt, GeneratedImage

from .conftest import REPO, inline_plans, write_config

KEY = "sk-outcomes-test-0123456789"
ASYNC = [n for n in FAKES if fake(n).is_async]


@pytest.fixture
def servers(monkeypatch):
    started = []

    def start(name: str, **knobs):
        server = fake(name, **({"key": None if name in ("sdwebui", "comfyui") else KEY, "retry_after": 0.05}
                               | knobs)).start()
        for env, value in keys_for({name: server}).items():
            monkeypatch.setenv(env, value)
        started.append(server)
        return server

    yield start
    for s in started:
        s.stop()


def test_attempt_lines_and_the_fallback_flag():
    assert str(Attempt("zhipu", "ok")) == "zhipu: ok"
    assert str(Attempt("fal", "cached")) == "fal: cached"
    assert str(Attempt("openai", "failed", "HTTP 500", "http_5xx")) == "openai: failed — HTTP 500"
    assert str(Attempt("openai", "retried", "HTTP 429, retry 1 in 0.4s", "http_429")) == "openai: HTTP 429, retry 1 in 0.4s"
    made = GeneratedImage(b"x", "local", "m", 1, 0.0)
    for before, fallback in [([], False),
                             ([Attempt("openai", "skipped", "no key: set OPENAI_API_KEY", "no_key")], False),
                             ([Attempt("openai", "skipped", "disabled", "disabled")], False),
                             ([Attempt("openai", "skipped", "quota used up", "quota")], True),
                             ([Attempt("openai", "skipped", "resting", "resting")], True),
                             ([Attempt("openai", "failed", "HTTP 500", "http_5xx")], True)]:
        made.attempts = [*before, Attempt("local", "ok")]
        assert made.fallback is fallback, before
    made.attempts = [Attempt("local", "retried", "timed out, retry 1", "timeout"), Attempt("local", "ok")]
    assert made.fallback is False                             # its own retry is no fallback


def test_local_filling_in_for_failing_providers_says_so(tmp_path, servers, caplog):
    a, b = servers("siliconflow"), servers("dashscope")
    cfg = fake_config(tmp_path, {"siliconflow": a, "dashscope": b}, max_retries=0, cache=False, last_resort="local")
    a.inject("500", "500")
    b.inject("jobfail", "jobfail")
    with caplog.at_level(logging.WARNING, logger="pipeline.generate.router"):
        out = generate_all(inline_plans(2), cfg)
    assert [o.provider for o in out] == ["local", "local"] and all(o.fallback for o in out)
    assert [(x.provider, x.outcome, x.category) for x in out[0].attempts] == [
        ("siliconflow", "failed", "http_5xx"), ("dashscope", "failed", "job_failed"), ("local", "ok", "")]
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and "made by local instead" in warned[0] and "siliconflow: failed" in warned[0]


def test_failures_are_counted_by_reason_and_shown_by_peitu_usage(tmp_path, servers, monkeypatch):
    a = servers("openai", hang_s=2)
    b = servers("zhipu")
    monkeypatch.setenv("COLUMNS", "160")
    path = write_config(tmp_path, providers={
        "order": ["openai", "zhipu"], "last_resort": None, "cache": False, "max_retries": 0,
        "settings": {"openai": settings_for(a, timeout_s=0.5), "zhipu": settings_for(b)}})
    a.inject("400", "timeout", "400")
    b.inject("cutjpeg")
    out = generate_all(inline_plans(4), load_config(path))
    assert sorted(o.provider if isinstance(o, GeneratedImage) else "error" for o in out) == [
        "error", "openai", "zhipu", "zhipu"]
    result = CliRunner().invoke(cli, ["--config", str(path), "usage"], standalone_mode=False)
    assert result.exit_code == 0, result.output
    reasons = {tuple(c.strip() for c in line.split("│")[1:-1]) for line in result.output.splitlines()
               if line.count("│") == 4}
    assert {("openai", "http_4xx", "2"), ("openai", "timeout", "1"), ("zhipu", "bad_image", "1")} <= reasons


@pytest.mark.parametrize("name", ASYNC)
def test_a_job_that_never_finishes_is_abandoned_at_the_deadline(tmp_path, servers, name):
    server = servers(name, latency=600)
    cfg = fake_config(tmp_path, {name: server}, cache=False, deadline_s=1.0)
    start = time.monotonic()
    [err] = generate_all(inline_plans(1), cfg)
    assert time.monotonic() - start < 4.0         # the deadline (the job runs 600 s) and room for load
    assert isinstance(err, ProviderError) and "ran out of time" in str(err), err   # polling, or held (replicate's wait)
    assert len(server.creates()) == 1


def test_illustrate_against_a_provider_that_drips_ends_on_time(tmp_path, servers):
    """`peitu illustrate` of a real article whose provider sends every answer a byte every 0.3 s: every
    image fails clearly at the deadline, and the run ends a few seconds after it."""
    server = servers("siliconflow", drip_s=0.3)
    path = write_config(tmp_path, providers={"order": ["siliconflow"], "last_resort": None, "deadline_s": 2,
                                             "cache": False, "settings": {"siliconflow": settings_for(server)}})
    article = REPO / "examples" / "articles" / "tech-edge-ai.md"

    def illustrate():
        return CliRunner().invoke(cli, ["--config", str(path), "illustrate", str(article), "--out",
                                        str(tmp_path / "out")], standalone_mode=False)

    assert illustrate().return_value == 0                    # warm: imports, dictionaries, fonts loaded
    made = len(server.creates())
    server.inject(*["drip"] * 20)
    start = time.monotonic()
    result = illustrate()
    elapsed = time.monotonic() - start
    assert elapsed < 2 + 3, elapsed
    assert result.exit_code == 1 or result.return_value == 1, result.output
    text = result.output + str(result.exception or "")
    assert "ran out of time" in text and "deadline" in text, text
    assert len(server.creates()) == 2 * made                 # each image asked once, not re-sent


def test_a_provider_peitu_cannot_ask_falls_over_and_names_its_setting(tmp_path, servers):
    """A bad option: nothing is sent to that provider, the next one makes the image, and the attempt says
    which setting to fix (alone, the image fails with a ConfigError: test_provider_protocols)."""
    a, b = servers("replicate"), servers("zhipu")
    cfg = fake_config(tmp_path, {"replicate": a, "zhipu": b}, cache=False,
                      settings={"replicate": {"options": {"wait": "soon"}}})
    [out] = generate_all(inline_plans(1), cfg)
    assert isinstance(out, GeneratedImage) and out.provider == "zhipu" and out.fallback
    assert out.attempts[0].category == "config" and "providers.settings.replicate.options.wait" in out.attempts[0].reason
    assert a.creates() == []
