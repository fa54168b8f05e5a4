"""`peitu illustrate ARTICLE --provider NAME` against each new provider's fake: the cover, its 1:1 crop and an
inline image are made by that provider (nothing by a fallback), at WeChat's sizes."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner
from PIL import Image

from pipeline.cli import cli
from pipeline.fakes.providers import fake, keys_for, settings_for

from .conftest import REPO, write_config

ARTICLE = REPO / "examples" / "articles" / "food-chaoshan-beef-hotpot.md"


@pytest.mark.parametrize("name", ["gemini", "hunyuan", "bfl", "stability", "kling"])
def test_illustrate_makes_a_cover_its_square_and_an_inline_image(tmp_path, monkeypatch, name):
    server = fake(name, key="fake-id:fake-secret-0123456789" if name in ("hunyuan", "kling") else "fake-key").start()
    try:
        for env, value in keys_for({name: server}).items():
            monkeypatch.setenv(env, value)
        config = write_config(tmp_path, providers={"order": [name], "last_resort": None, "cache": False,
                                                   "settings": {name: settings_for(server)}})
        out = tmp_path / "out"
        result = CliRunner().invoke(cli, ["--config", str(config), "illustrate", str(ARTICLE), "--provider", name,
                                          "--inline", "1", "--out", str(out)], standalone_mode=False)
    finally:
        server.stop()
    assert result.exception is None and result.return_value == 0, result.output
    [folder] = [p.parent for p in out.glob("*/manifest.json")]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert [(i["provider"], i["error"]) for i in manifest["images"]] == [(name, None), (name, None)]
    sizes = {f: Image.open(io.BytesIO((folder / f).read_bytes())).size
             for f in ("cover.jpg", "cover_1x1.jpg", "inline-1.jpg")}
    assert sizes["cover.jpg"] == (900, 383) and sizes["cover_1x1.jpg"] == (383, 383)
    assert sizes["inline-1.jpg"][0] <= 1080
    assert len(server.creates()) == 2
