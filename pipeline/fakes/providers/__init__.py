"""Fake hosted providers, one module per protocol, for tests, benchmarks and `peitu sandbox`."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from ...config import Config
from ...providers import provider
from .base import FakeServer

FAKES: dict[str, str] = {
    "huggingface": "huggingface:FakeHuggingFace",
    "replicate": "replicate:FakeReplicate",
    "deepinfra": "deepinfra:FakeDeepInfra",
    "fal": "fal:FakeFal",
    "openai": "openai:FakeOpenAI",
    "siliconflow": "siliconflow:FakeSiliconFlow",
    "dashscope": "dashscope:FakeDashScope",
    "zhipu": "zhipu:FakeZhipu",
    "wizmodel": "wizmodel:FakeWizModel",
    "sdwebui": "sdwebui:FakeSDWebUI",
    "comfyui": "comfyui:FakeComfyUI",
    # 11a
    "seedream": "seedream:FakeSeedream",
    "qwen_image": "dashscope:FakeQwenImage",
    "minimax": "minimax:FakeMiniMax",
}


def fake(name: str, **knobs: Any) -> FakeServer:
    """A (not yet started) fake for the provider `name`; knobs as FakeServer takes them."""
    module, cls = FAKES[name].split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)(**knobs)


def settings_for(server: FakeServer, **extra: Any) -> dict[str, Any]:
    """providers.settings.<name> pointing peitu at a running fake (plain http on 127.0.0.1)."""
    return {"base_url": server.base_url, "allow_http": True, "timeout_s": 10, "poll_interval_s": 0.01, **extra}


def fake_config(root: Path, servers: dict[str, FakeServer], **providers: Any) -> Config:
    """A Config whose providers are the running `servers` (in that order), state and cache under `root`.
    `providers` sets other providers.* keys; `providers["settings"]` entries extend each fake's settings."""
    extra = providers.pop("settings", {})
    settings = {name: settings_for(server, **extra.get(name, {})) for name, server in servers.items()}
    block = {"order": list(servers), "last_resort": None, "backoff_base_s": 0.01, **providers,
             "settings": settings}
    return Config.model_validate({"root": root, "providers": block, "paths": {
        "state": root / "state.db", "cache": root / "cache", "output": root / "output"}})


def keys_for(servers: dict[str, FakeServer]) -> dict[str, str]:
    """Environment variables that give peitu each fake's key."""
    envs = {name: provider(name).key_env for name in servers}
    return {env: s.key for name, s in servers.items() if s.key and (env := envs[name])}
