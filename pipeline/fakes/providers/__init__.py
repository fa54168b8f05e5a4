"""Fake hosted providers, one module per protocol, for tests, benchmarks and `peitu sandbox`."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from ...config import Config
from ...providers import provider
from .base import ANY, FakeServer

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

    # Gemini, Hunyuan, Black Forest Labs, Stability, Kling
    "gemini": "gemini:FakeGemini",
    "hunyuan": "hunyuan:FakeHunyuan",
    "bfl": "bfl:FakeBFL",
    "stability": "stability:FakeStability",
    "kling": "kling:FakeKling",
}


def fake(name: str, **knobs: Any) -> FakeServer:
    """A (not yet started) fake for the provider `name`; knobs as FakeServer takes them."""
    module, cls = FAKES[name].split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)(**knobs)


def settings_for(server: FakeServer, **extra: Any) -> dict[str, Any]:
    """providers.settings.<name> pointing peitu at a running fake (plain http on 127.0.0.1; the fake's
    other origins its answers point to as result_origins)."""
    others = getattr(server, "result_origins", [])          # a test's canned server has none
    origins = {"result_origins": others} if others else {}
    return {"base_url": server.base_url, "allow_http": True, "timeout_s": 10, "poll_interval_s": 0.01,
            **origins, **extra}


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
    """Environment variables that give peitu each fake's key (a made-up one where the fake takes ANY).
    A key in two parts (key_env `ID_VAR+SECRET_VAR`) is written `id:secret`; a key without a colon
    stands for both parts."""
    found: dict[str, str] = {}
    for name, s in servers.items():
        env = provider(name).key_env
        if not s.key or not env:
            continue
        names = env.split("+")
        key = ":".join(f"any-{n.lower()}" for n in names) if s.key == ANY else s.key
        parts = key.split(":", len(names) - 1)
        found |= dict(zip(names, parts if len(parts) == len(names) else [key] * len(names), strict=True))
    return found
