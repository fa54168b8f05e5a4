"""Shared fixtures: a Config from the repository's config.yaml whose state, cache and output
live in a per-test temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

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
