"""`peitu providers` shows what each configured model takes, and `peitu illustrate --provider NAME` makes a
cover, its 1:1 share crop and an inline image through every hosted provider, each against its fake."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

from pipeline.cli import cli
from pipeline.fakes.providers import fake, keys_for, settings_for
from pipeline.providers import HOSTED, provider

from .conftest import REPO, write_config

ARTICLE = REPO / "examples" / "articles" / "tech-edge-ai.md"


def peitu(path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(path), *args], standalone_mode=False)


@pytest.fixture
def served(tmp_path, monkeypatch):
    """serve(name, **settings) → a config.yaml using only that provider's fake, its key in the environment."""
    running = []

    def serve(name: str, **settings):
        server = fake(name, key=None if name in ("sdwebui", "comfyui") else "fake-key").start()
        running.append(server)
        for env, value in keys_for({name: server}).items():
            monkeypatch.setenv(env, value)
        block = {"order": [name], "last_resort": None, "cache": False, "backoff_base_s": 0.01,
                 "settings": {name: settings_for(server, **settings)}}
        return server, write_config(tmp_path, providers=block)

    yield serve
    for server in running:
        server.stop()


@pytest.mark.parametrize("name", list(HOSTED))
def test_illustrate_through_each_hosted_provider(served, tmp_path, name):
    server, path = served(name)
    out = tmp_path / "out"
    result = peitu(path, "illustrate", str(ARTICLE), "--provider", name, "--inline", "1", "--out", str(out))
    assert result.return_value == 0, result.output + str(result.exception or "")
    [manifest] = out.glob("*/manifest.json")
    images = json.loads(manifest.read_text(encoding="utf-8"))["images"]
    assert {i["key"] for i in images} >= {"cover", "inline-1"} and all(i["error"] is None for i in images), images
    assert all(i["provider"] == name and i["model"] == (provider(name).model or "") for i in images), images
    folder = manifest.parent
    with Image.open(folder / "cover.jpg") as cover, Image.open(folder / "cover_1x1.jpg") as share:
        assert cover.size == (900, 383) and share.size == (383, 383)
    assert (folder / "inline-1.jpg").is_file()
    assert len(server.creates()) == 2


def test_providers_shows_what_each_configured_model_takes(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "240")
    monkeypatch.setenv("ARK_API_KEY", "sk-ark-secret-0123")
    config = {"providers": {"order": ["seedream", "zhipu", "minimax", "local"],
                            "settings": {"zhipu": {"model": "glm-image"}}},
              "paths": {"state": str(tmp_path / "state.db"), "cache": str(tmp_path / "cache")}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = peitu(path, "providers")
    assert result.exit_code == 0, result.output
    status, _, models_table = result.output.partition("models — what each takes")
    rows = {line.split("│")[1].strip(): line for line in status.splitlines() if line.count("│") > 3}
    models = [line for line in models_table.splitlines() if line.count("│") > 3]
    assert "✓ ARK_API_KEY" in rows["seedream"] and "✗ MINIMAX_API_KEY" in rows["minimax"]
    assert any("seedream" in line and "3.69–16.78 MP" in line and "no seed" in line for line in models), models
    assert any("zhipu" in line and "sides ×32" in line and "watermark_enabled=false" in line for line in models)
    assert any("minimax" in line and "sides ×8" in line and "aigc_watermark=false" in line for line in models)
    assert "sk-ark-secret-0123" not in result.output
