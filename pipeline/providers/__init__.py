"""Text-to-image providers: one module each, pure protocol (see base.Provider).

`local` (pipeline.providers.local) draws on this machine and is not an HTTP provider."""

from __future__ import annotations

import importlib

from .base import Provider

HOSTED: dict[str, str] = {
    "huggingface": "huggingface:HuggingFace",
    "replicate": "replicate:Replicate",
    "deepinfra": "deepinfra:DeepInfra",
    "fal": "fal:Fal",
    "openai": "openai_images:OpenAIImages",
    "siliconflow": "siliconflow:SiliconFlow",
    "dashscope": "dashscope:DashScope",
    "zhipu": "zhipu:Zhipu",
    "wizmodel": "wizmodel:WizModel",
    "sdwebui": "sdwebui:SDWebUI",
    "comfyui": "comfyui:ComfyUI",
    # 11a: Volcengine Ark Seedream, DashScope multimodal (Qwen-Image, wan2.6), MiniMax
    "seedream": "seedream:Seedream",
    "qwen_image": "qwen_image:QwenImage",
    "minimax": "minimax:MiniMax",

    # Gemini, Hunyuan, Black Forest Labs, Stability, Kling
    "gemini": "gemini:Gemini",
    "hunyuan": "hunyuan:Hunyuan",
    "bfl": "bfl:BFL",
    "stability": "stability:Stability",
    "kling": "kling:Kling",
}
LOCAL = "local"
NAMES = [*HOSTED, LOCAL]


def provider(name: str) -> Provider:
    """The protocol object of a hosted provider by its config name."""
    module, cls = HOSTED[name].split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)()
