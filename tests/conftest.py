"""Shared fixtures: a Config from the repository's config.yaml whose state, cache and output
live in a per-test temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.config import Config, load_config

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    """The repository's config, with everything it writes redirected under tmp_path."""
    config = load_config(REPO / "config.yaml")
    config.paths.state = tmp_path / "state.db"
    config.paths.cache = tmp_path / "cache"
    config.paths.output = tmp_path / "output"
    return config


def write_config(folder: Path, **sections: dict) -> Path:
    """A config.yaml in `folder` like the repository's (templates and word lists from the repository),
    whose state, cache and output live in `folder`; `sections` update top-level sections."""
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    for key in ("templates", "styles", "glossary", "userdict", "stopwords"):
        data["paths"][key] = str(REPO / data["paths"][key])
    data["paths"].update(state=str(folder / "state.db"), cache=str(folder / "cache"), output=str(folder / "out"))
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# ── generate: the router, the transport and the fake providers ────────────────────────────────────────

def lines(image) -> list[str]:
    """A GeneratedImage's attempts as the manifest shows them ("zhipu: ok", "openai: failed — …")."""
    return [str(a) for a in image.attempts]
