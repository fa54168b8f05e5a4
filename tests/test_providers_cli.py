"""`peitu providers`, `peitu providers check` and `peitu usage` against fake providers."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import load_config
from pipeline.fakes.providers import fake, settings_for
from pipeline.generate import generate_all
from pipeline.models import ImagePlan

KEY = "sk-cli-test-5c1e0f9a7b"


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A config.yaml naming two fakes (openai with quota, zhipu without a key) before local."""
    server = fake("openai", key=KEY).start()
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("ZHIPUAI_API_KEY", raising=False)
    monkeypatch.setenv("COLUMNS", "160")                # rich tables: one line per row
    config = {"providers": {"order": ["openai", "zhipu", "local"],
                            "settings": {"openai": settings_for(server, rate_per_minute=30, daily_quota=10),
                                         "zhipu": {"max_in_flight": 2}}},
              "paths": {"state": str(tmp_path / "state.db"), "cache": str(tmp_path / "cache")}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    yield path, server
    server.stop()


def peitu(path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(path), *args], standalone_mode=False)


def test_providers_lists_configuration_keys_and_limits(world):
    path, server = world
    result = peitu(path, "providers")
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 3}
    assert "✓ OPENAI_API_KEY" in lines["openai"] and "30/min" in lines["openai"] and "0/10" in lines["openai"]
    assert "✗ ZHIPUAI_API_KEY" in lines["zhipu"] and "no key" in lines["zhipu"]
    assert "ready" in lines["local"]
    assert "Also available: huggingface" in result.output
    assert KEY not in result.output


def test_providers_check_makes_one_call_and_reports(world, monkeypatch):
    path, server = world
    result = peitu(path, "providers", "check", "openai")
    assert result.exit_code == 0 and result.return_value == 0
    assert "✓ openai: OK" in result.output and [r.path for r in server.seen] == ["/v1/models"]
    everything = peitu(path, "providers", "check")                 # each hosted provider in order
    assert everything.return_value == 1
    assert "✗ zhipu: no key: set ZHIPUAI_API_KEY" in everything.output
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-123456")
    refused = peitu(path, "providers", "check", "openai")
    assert refused.return_value == 1 and "HTTP 401" in refused.output and "OPENAI_API_KEY" in refused.output
    assert "sk-wrong-key-123456" not in refused.output and KEY not in refused.output


def test_usage_counts_calls_failures_images_and_quota_left(world):
    path, server = world
    cfg = load_config(path)
    plan = dict(role="inline", negative_prompt="", style="flat", width=1024, height=576, template="t",
                template_version="v")
    server.inject("400")
    outs = generate_all([ImagePlan(key=f"i{i}", prompt=f"p{i}", seed=i, **plan) for i in range(3)], cfg)
    assert sorted(o.provider for o in outs) == ["local", "openai", "openai"]
    result = peitu(path, "usage", "--days", "7")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "│ openai" in line)
    assert [c.strip() for c in row.split("│")[1:-1]] == ["openai", "3", "1", "2", "7 of 10"]
    assert "zhipu" in result.output                              # configured, no use yet


def test_check_of_an_unknown_provider_is_a_config_error(world):
    path, _ = world
    result = peitu(path, "providers", "check", "midjourney")
    assert "not a hosted provider" in str(result.exception)


def test_offline_only_shows_the_local_provider_and_no_empty_models_table(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"paths": {"state": str(tmp_path / "state.db")}}), encoding="utf-8")
    result = peitu(path, "providers")
    assert result.exit_code == 0, result.output
    assert "Fluent Emoji" in result.output and "what each takes" not in result.output
    with_openai = tmp_path / "hosted.yaml"
    with_openai.write_text(yaml.safe_dump({"paths": {"state": str(tmp_path / "state.db")},
                                           "providers": {"order": ["openai", "local"]}}), encoding="utf-8")
    assert "what each takes" in peitu(with_openai, "providers").output
