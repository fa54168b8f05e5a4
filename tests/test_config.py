"""config.yaml validation: errors name the key and the problem; secrets are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError

from .conftest import REPO


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_repository_config_is_valid():
    cfg = load_config(REPO / "config.yaml")
    assert cfg.images.cover.width == 900 and cfg.images.cover.height == 383
    assert cfg.providers.order[-1] == "local" or cfg.providers.last_resort == "local"
    assert cfg.root == REPO


def test_missing_default_config_gives_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_config().style == "flat"


def test_explicit_missing_config_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")


def test_unknown_key_is_named(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, "images:\n  cover: {width: 900, height: 383}\n  colour: red\n"))
    assert "images.colour" in str(e.value) and "unknown key" in str(e.value)


def test_bad_value_names_key_and_reason(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, "images:\n  inline_max_width: 5000\n"))
    assert "images.inline_max_width" in str(e.value) and "1080" in str(e.value)


def test_bad_schedule_time(tmp_path):
    with pytest.raises(ConfigError, match="schedule.time.*25:00"):
        load_config(write(tmp_path, "schedule:\n  time: '25:00'\n"))


def test_yaml_syntax_error_points_at_line(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, "style: flat\nimages:\n  cover: {width: 900\n"))
    assert "config.yaml:" in str(e.value)


def test_secret_in_config_is_refused_without_echoing_it(tmp_path):
    text = "providers:\n  settings:\n    openai:\n      api_key: sk-THISISASECRETVALUE\n"
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, text))
    assert "environment" in str(e.value)
    assert "sk-THISISASECRETVALUE" not in str(e.value)


def test_paths_resolve_against_config_folder(tmp_path):
    cfg = load_config(write(tmp_path, "paths:\n  output: out\n"))
    assert cfg.path(cfg.paths.output) == tmp_path / "out"


def test_anchors_and_merge_keys_within_bounds_still_work(tmp_path):
    text = ("providers:\n  settings:\n    zhipu: &limits {max_in_flight: 2, rate_per_minute: 60}\n"
            "    fal: {<<: *limits, max_in_flight: 1}\n")
    cfg = load_config(write(tmp_path, text))
    assert cfg.providers.settings["fal"].max_in_flight == 1 and cfg.providers.settings["fal"].rate_per_minute == 60


def test_every_number_has_a_ceiling_and_true_is_not_a_number(tmp_path):
    for text, key in (("providers:\n  breaker_rest_s: 1e12\n", "providers.breaker_rest_s"),
                      ("library:\n  reuse_window_days: 99999999\n", "library.reuse_window_days"),
                      ("images:\n  jpeg_quality: true\n", "images.jpeg_quality")):
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            load_config(write(tmp_path, text))
