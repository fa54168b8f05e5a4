"""Prompts stage: Article → ImagePlans, from a template per article type and a style preset.

    plans = plan_images(article, cfg)                 # cover + best sections + author markers
"""

from .planner import plan_images

__all__ = ["plan_images"]
