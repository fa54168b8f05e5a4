"""Fake hosted providers, one module per protocol, for tests, benchmarks and `peitu sandbox`."""

from __future__ import annotations

import importlib
from typing import Any

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
}


def fake(name: str, **knobs: Any) -> FakeServer:
    """A (not yet started) fake for the provider `name`; knobs as FakeServer takes them."""
    module, cls = FAKES[name].split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)(**knobs)


def settings_for(server: FakeServer, **extra: Any) -> dict[str, Any]:
    """providers.settings.<name> pointing peitu at a running fake (plain http on 127.0.0.1)."""
    return {"base_url": server.base_url, "allow_http": True, "timeout_s": 10, "poll_interval_s": 0.01, **extra}
