"""Generate stage: turn ImagePlans into GeneratedImages (minimal offline version: local provider only)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from ..config import Config
from ..errors import PeituError
from ..models import GeneratedImage, ImagePlan

Outcome = GeneratedImage | PeituError


def generate_all(plans: Sequence[ImagePlan], cfg: Config, *, provider: str | None = None,
                 on_done: Callable[[ImagePlan, Outcome], None] | None = None) -> list[Outcome]:
    """Make every plan's image; one failure is returned in its slot and does not stop the rest."""
    from ..providers.local import render_local

    results: list[Outcome] = []
    for plan in plans:
        start = time.perf_counter()
        try:
            outcome: Outcome = GeneratedImage(data=render_local(plan, cfg), provider="local",
                                              model="peitu-typographic", seed=plan.seed,
                                              elapsed_s=time.perf_counter() - start)
        except PeituError as err:
            outcome = err
        results.append(outcome)
        if on_done:
            on_done(plan, outcome)
    return results
