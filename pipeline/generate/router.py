"""The router: which provider makes each image. For one image it reads as a story — the cache first, then
each provider in turn (the configured order, or one picked by weight, then the last resort): passed over
when it cannot be tried now, else asked to make the image; the first that does wins, and every turn is
recorded. The policy around a call (limits, retries, breaker, deadline, URLs) lives in the modules beside
this one: attempt, rules, breaker, ratelimit, inflight, quota, policy, transport."""

from __future__ import annotations

import logging
import threading

from ..config import Config
from ..errors import ConfigError, PeituError
from ..models import Attempt, GeneratedImage, ImagePlan
from ..providers import HOSTED, LOCAL, NAMES
from ..store import Store
from .breaker import Breaker
from .cache import Cache, cache_key
from .candidates import Candidate, Hosted, Local, Shared
from .chat import ChatEndpoint
from .clock import SYSTEM, Clock
from .errors import Failure, NotTried
from .quota import Usage
from .ratelimit import Limits, rate_limiter
from .trail import Trail
from .transport import Transport

log = logging.getLogger(__name__)
MAX_WORKERS = 64


class Router:
    def __init__(self, cfg: Config, clock: Clock = SYSTEM):
        self.cfg = cfg
        p = cfg.providers
        for where, names in (("providers.order", p.order), ("providers.settings", list(p.settings)),
                             ("providers.last_resort", [p.last_resort] if p.last_resort else [])):
            for name in names:
                if name not in NAMES:
                    raise ConfigError(f"{where}: unknown provider '{name}' (known: {', '.join(NAMES)})")
        state = cfg.path(cfg.paths.state)
        self.store = Store.for_config(cfg)
        self.clock = clock
        self.shared = Shared(cfg, clock, Transport(), rate_limiter(cfg, state.parent / "ratelimit.sqlite", clock),
                             Usage(self.store, cfg.schedule.timezone, clock),
                             Breaker(p.breaker_failures, p.breaker_rest_s, clock), state.parent)
        self.cache = Cache(self.store, cfg.path(cfg.paths.cache))
        self.slots = {name: Hosted(name, self.shared) for name in HOSTED}
        self.local = Local(self.shared)
        self._current = dict.fromkeys(HOSTED, 0.0)
        self._lock = threading.Lock()
        self._told: set[frozenset[tuple[str, str]]] = set()
        self._chat: ChatEndpoint | None = None

    def chat(self) -> ChatEndpoint:
        """The chat planner's endpoint (config `planner:`), sharing this router's limits, breaker and quotas."""
        with self._lock:
            if self._chat is None:
                self._chat = ChatEndpoint(self.shared)
            return self._chat

    @property
    def usage(self) -> Usage:
        return self.shared.usage

    @property
    def limiter(self) -> Limits:
        return self.shared.limiter

    @property
    def breaker(self) -> Breaker:
        return self.shared.breaker

    def candidate(self, name: str) -> Candidate:
        return self.local if name == LOCAL else self.slots[name]

    # ── choosing providers ─────────────────────────────────────────────────────────────

    def unusable(self, name: str) -> str | None:
        """Why `name` cannot be tried now, or None."""
        why = self.candidate(name).unusable()
        return why.reason if why else None

    def order(self, pick: bool = True) -> list[str]:
        """Providers to try for the next image: the configured order (weighted: one picked first by
        smooth weighted round-robin among those usable now), then the last resort."""
        p = self.cfg.providers
        names = list(dict.fromkeys(p.order))
        if p.strategy == "weighted" and pick:
            usable = [n for n in names if self.candidate(n).weight > 0 and self.candidate(n).unusable() is None]
            if usable:
                first = self._pick(usable)
                names.remove(first)
                names.insert(0, first)
        if p.last_resort and p.last_resort not in names:
            names.append(p.last_resort)
        return names

    def _pick(self, names: list[str]) -> str:
        with self._lock:
            total = 0.0
            for n in names:
                self._current[n] += self.candidate(n).weight
                total += self.candidate(n).weight
            best = max(names, key=lambda n: self._current[n])
            self._current[best] -= total
            return best

    def workers(self, forced: str | None, count: int) -> int:
        """Threads for a batch: enough to keep every usable provider's in-flight limit full."""
        names = [forced] if forced else self.order(pick=False)
        room = sum(c.capacity() for c in map(self.candidate, names) if c.unusable() is None)
        return max(1, min(count, room, MAX_WORKERS))

    # ── one image ──────────────────────────────────────────────────────────────────────

    def outcome(self, plan: ImagePlan, forced: str | None = None) -> GeneratedImage | PeituError:
        try:
            return self.generate(plan, forced)
        except PeituError as err:
            return err

    def generate(self, plan: ImagePlan, forced: str | None = None) -> GeneratedImage:
        """Make one image: the cache, then each provider in turn; raise the trail's error if none could."""
        if forced is not None and forced not in NAMES:
            raise ConfigError(f"unknown provider '{forced}' (known: {', '.join(NAMES)})")
        start = self.clock.monotonic()
        deadline = start + self.cfg.providers.deadline_s
        candidates = [self.candidate(n) for n in ([forced] if forced else self.order())]
        key = cache_key(plan, forced) if self.cfg.providers.cache and any(c.cacheable for c in candidates) else None
        if key and (hit := self.cache.get(key)):
            return hit
        trail = Trail(plan)
        for c in candidates:
            image = self._turn(c, plan, trail, deadline)
            if image is None:
                continue
            image.attempts = [*trail.attempts, Attempt(c.name, "ok")]
            image.elapsed_s = self.clock.monotonic() - start
            if key and c.cacheable:
                self.cache.put(key, image)
            if image.fallback:
                self._tell_fallback(plan, image)
            return image
        raise trail.final()

    def _tell_fallback(self, plan: ImagePlan, image: GeneratedImage) -> None:
        """Say when an image came from a provider further down the list, and why: a warning the first
        time a set of providers is passed over for the same reasons, then at INFO."""
        passed = [a for a in image.attempts if a.outcome in ("failed", "skipped")]
        why = frozenset((a.provider, a.category) for a in passed)
        with self._lock:
            first = why not in self._told
            self._told.add(why)
        log.log(logging.WARNING if first else logging.INFO, "%s: made by %s instead — %s", plan.key,
                image.provider, "; ".join(map(str, passed)))

    def _turn(self, c: Candidate, plan: ImagePlan, trail: Trail, deadline: float) -> GeneratedImage | None:
        """One provider's turn at the image: its image, or None with the reason on the trail."""
        try:
            why = c.unusable()
            if why is None and c.bounded and self.clock.monotonic() >= deadline:
                why = NotTried("deadline", f"the image's deadline passed (providers.deadline_s = "
                                           f"{self.cfg.providers.deadline_s:g}s)")
            if why:
                raise why
            image = c.make(plan, trail, deadline)
        except NotTried as why:
            self.breaker.release(c.name)                  # a half-open probe it was granted goes unused
            trail.skipped(c.name, why)
            return None
        except Failure as failure:                       # already counted where it happened
            trail.failed(failure)
            return None
        self.shared.succeeded(c.name)
        return image

    # ── `peitu providers check` ────────────────────────────────────────────────────────

    def check(self, name: str) -> tuple[bool, str]:
        """One cheap authenticated call: (ok, what to tell the user)."""
        return self.slots[name].check()
