"""Generate stage: turn ImagePlans into GeneratedImages through the provider router, concurrently."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from ..config import Config
from ..errors import PeituError
from ..models import GeneratedImage, ImagePlan
from .router import Router

Outcome = GeneratedImage | PeituError

_routers: list[tuple[Config, str, Router]] = []
_lock = threading.Lock()


def router_for(cfg: Config) -> Router:
    """The router for this config, kept across calls so breakers and in-flight limits persist."""
    fingerprint = cfg.model_dump_json(include={"paths", "providers", "schedule", "planner"})
    with _lock:
        for known, print_, router in _routers:
            if known is cfg and print_ == fingerprint:
                return router
        router = Router(cfg)
        _routers.append((cfg, fingerprint, router))
        del _routers[:-4]
        return router


def generate_all(plans: Sequence[ImagePlan], cfg: Config, *, provider: str | None = None,
                 on_done: Callable[[ImagePlan, Outcome], None] | None = None) -> list[Outcome]:
    """Make every plan's image concurrently (up to the providers' limits); results in plan order.
    A failure is returned in its slot as a PeituError and does not stop the rest."""
    if not plans:
        return []
    router = router_for(cfg)
    results: list[Outcome | None] = [None] * len(plans)
    with ThreadPoolExecutor(router.workers(provider, len(plans)), thread_name_prefix="peitu-gen") as pool:
        futures = {pool.submit(router.outcome, plan, provider): i for i, plan in enumerate(plans)}
        for future in as_completed(futures):
            i = futures[future]
            results[i] = outcome = future.result()
            if on_done:
                on_done(plans[i], outcome)
    return [r for r in results if r is not None]
