"""The router: which provider makes each image, and all policy around a call — rate and in-flight
limits, daily quotas, retries with backoff and Retry-After, circuit breaker, deadline, failover, cache."""

from __future__ import annotations

import email.utils
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

import tenacity
from pyrate_limiter import Rate

from ..config import Config, ProviderSettings
from ..errors import ConfigError, PeituError, ProviderError, QuotaError
from ..models import GeneratedImage, ImagePlan
from ..providers import HOSTED, LOCAL, NAMES, provider
from ..providers.base import Answer, Call, Endpoint, Fault, Malformed, Provider, Reply
from ..secrets import get_secret, redact
from . import http
from .breaker import Breaker
from .cache import Cache, cache_key
from .quota import Usage
from .ratelimit import RateLimiter, rates
from ..store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
JSON_CAP = 50_000_000                    # API answers may carry base64 images
LOCAL_MODEL = "peitu-typographic"

# status → (what happened, what to do); {n} provider name, {key} key variable, {model}, {base}, {label}
ADVICE = {
    401: ("the key was refused", "check {key} in .env or the environment (检查密钥)"),
    402: ("payment required", "top up the {label} account (账户余额不足)"),
    403: ("access denied", "check the {label} account: balance, real-name verification or access to "
                           "model '{model}' (providers.settings.{n}.model) (检查账户权限)"),
    404: ("not found", "check providers.settings.{n}.model ('{model}') and base_url ({base}) (检查模型名和地址)"),
    400: ("the request was refused", "check the parameters: providers.settings.{n}.model / options, the image "
                                     "size, or the prompt's content (检查参数)"),
    429: ("rate-limited", "back off: lower providers.settings.{n}.rate_per_minute or max_in_flight, "
                          "or wait and retry (请求过于频繁)"),
    500: ("server error", "{label} is having trouble; retry later (服务端错误，稍后重试)"),
}


class _Skip(ProviderError):
    """Not a failure of the provider: it was not tried (no free slot before the deadline)."""


@dataclass
class Slot:
    """A hosted provider as configured."""

    name: str
    proto: Provider
    ep: Endpoint
    st: ProviderSettings
    key_env: str | None
    limits: list[Rate]
    inflight: threading.BoundedSemaphore

    @property
    def words(self) -> dict[str, str]:
        return {"n": self.name, "key": self.key_env or "(no key variable)", "model": self.ep.model,
                "base": self.ep.base_url, "label": self.proto.label}


@dataclass
class Trail:
    """What happened to one image, provider by provider; the first real error is kept."""

    plan: ImagePlan
    lines: list[str] = field(default_factory=list)
    errors: list[ProviderError | PeituError] = field(default_factory=list)
    quota_only: bool = True

    def final(self) -> PeituError:
        tried = "; ".join(self.lines) or "no provider is configured"
        if self.errors:
            first = self.errors[0]
            return ProviderError(f"no provider made image '{self.plan.key}'. First error: {first.message}\n"
                                 f"  tried: {tried}", provider=getattr(first, "provider", ""),
                                 status=getattr(first, "status", None), hint=first.hint)
        cls = QuotaError if self.quota_only and self.lines else ProviderError
        return cls(f"no provider could make image '{self.plan.key}'\n  tried: {tried}",
                   hint="set a provider's key (see .env.example), or keep local in providers.order / last_resort")


def retry_after(answer: Answer) -> float | None:
    """Seconds from Retry-After (seconds or HTTP-date) or retry-after-ms, if the answer has one."""
    ms = answer.headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = answer.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, when.timestamp() - time.time()) if when else None


class Router:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        p = cfg.providers
        for where, names in (("providers.order", p.order), ("providers.settings", list(p.settings)),
                             ("providers.last_resort", [p.last_resort] if p.last_resort else [])):
            for name in names:
                if name not in NAMES:
                    raise ConfigError(f"{where}: unknown provider '{name}' (known: {', '.join(NAMES)})")
        self.store = Store.for_config(cfg)
        self.limiter = RateLimiter(cfg.path(cfg.paths.state).parent / "ratelimit.sqlite")
        self.usage = Usage(self.store, cfg.schedule.timezone)
        self.cache = Cache(self.store, cfg.path(cfg.paths.cache))
        self.breaker = Breaker(p.breaker_failures, p.breaker_rest_s)
        self.slots = {name: self._slot(name) for name in HOSTED}
        self._current = {name: 0.0 for name in HOSTED}
        self._lock = threading.Lock()

    def _slot(self, name: str) -> Slot:
        st = self.cfg.providers.settings.get(name) or ProviderSettings()
        proto = provider(name)
        key_env = st.key_env or proto.key_env
        ep = Endpoint(name, st.base_url or proto.base_url, st.model or proto.model,
                      get_secret(key_env), dict(st.options))
        return Slot(name, proto, ep, st, key_env, rates(st), threading.BoundedSemaphore(st.max_in_flight))

    # ── choosing providers ─────────────────────────────────────────────────────────────

    def unusable(self, name: str) -> str | None:
        """Why `name` cannot be tried now, or None."""
        if name == LOCAL:
            return None
        s = self.slots[name]
        if not s.st.enabled:
            return f"disabled (providers.settings.{name}.enabled)"
        if s.proto.key_required and not s.ep.key:
            return f"no key: set {s.key_env} in .env or the environment"
        if (why := self.breaker.resting(name)) is not None:
            return f"resting after failures ({why[:80]})"
        if s.st.daily_quota is not None and self.usage.used(name) >= s.st.daily_quota:
            return f"today's quota of {s.st.daily_quota} calls is used up (providers.settings.{name}.daily_quota)"
        return None

    def order(self, pick: bool = True) -> list[str]:
        """Providers to try for the next image: the configured order (weighted: one picked first by
        smooth weighted round-robin among those usable now), then the last resort."""
        p = self.cfg.providers
        names = list(dict.fromkeys(p.order))
        if p.strategy == "weighted" and pick:
            usable = [n for n in names if n != LOCAL and self.slots[n].st.weight > 0 and self.unusable(n) is None]
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
                self._current[n] += self.slots[n].st.weight
                total += self.slots[n].st.weight
            best = max(names, key=lambda n: self._current[n])
            self._current[best] -= total
            return best

    def workers(self, forced: str | None, count: int) -> int:
        """Threads for a batch: enough to keep every usable provider's in-flight limit full."""
        names = [forced] if forced else self.order(pick=False)
        slots = sum(self.slots[n].st.max_in_flight for n in names if n != LOCAL and self.unusable(n) is None)
        local = (os.cpu_count() or 2) if LOCAL in names else 0
        return max(1, min(count, slots + local, 64))

    # ── one image ──────────────────────────────────────────────────────────────────────

    def outcome(self, plan: ImagePlan, forced: str | None = None) -> GeneratedImage | PeituError:
        try:
            return self.generate(plan, forced)
        except PeituError as err:
            return err

    def generate(self, plan: ImagePlan, forced: str | None = None) -> GeneratedImage:
        """Make one image: cache, then each provider in turn; raise the trail's error if none could."""
        if forced is not None and forced not in NAMES:
            raise ConfigError(f"unknown provider '{forced}' (known: {', '.join(NAMES)})")
        start = time.monotonic()
        deadline = start + self.cfg.providers.deadline_s
        names = [forced] if forced else self.order()
        key = cache_key(plan, forced) if self.cfg.providers.cache and names != [LOCAL] else None
        if key and (hit := self.cache.get(key)):
            return hit
        trail = Trail(plan)
        for name in names:
            if name == LOCAL:
                try:
                    image = self._local(plan)
                except PeituError as err:
                    trail.lines.append(f"local: failed ({err.message[:100]})")
                    trail.errors.append(err)
                    continue
                image.attempts = [*trail.lines, "local: ok"]
                image.elapsed_s = time.monotonic() - start
                return image
            why = self.unusable(name)
            if why is None and time.monotonic() >= deadline:
                why = f"the image's deadline passed (providers.deadline_s = {self.cfg.providers.deadline_s:g}s)"
            if why:
                trail.lines.append(f"{name}: skipped — {why}")
                trail.quota_only &= "quota" in why
                continue
            try:
                image = self._attempt(self.slots[name], plan, deadline, trail)
            except (QuotaError, _Skip) as err:
                trail.lines.append(f"{name}: skipped — {err.message[:160]}")
                trail.quota_only &= isinstance(err, QuotaError)
                continue
            except ProviderError as err:
                trail.lines.append(f"{name}: failed — {err.message[:160]}")
                trail.quota_only = False
                trail.errors.append(err)
                continue
            image.attempts = [*trail.lines, f"{name}: ok"]
            image.elapsed_s = time.monotonic() - start
            if key:
                self.cache.put(key, image)
            return image
        raise trail.final()

    def _local(self, plan: ImagePlan) -> GeneratedImage:
        from ..providers.local import render_local

        start = time.monotonic()
        self.usage.reserve(LOCAL, None)
        data = render_local(plan, self.cfg)
        self.usage.record(LOCAL, images=1)
        return GeneratedImage(data=data, provider=LOCAL, model=LOCAL_MODEL, seed=plan.seed,
                              elapsed_s=time.monotonic() - start)

    def _attempt(self, s: Slot, plan: ImagePlan, deadline: float, trail: Trail) -> GeneratedImage:
        """One provider for one image: its in-flight slot is held while the provider works on it,
        not while we download and check the result."""
        if not s.inflight.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise _Skip(f"all {s.st.max_in_flight} in-flight slots stayed busy until the deadline", provider=s.name)
        try:
            if not self.breaker.allow(s.name):              # it may have failed while this image waited
                raise _Skip(f"resting after failures ({(self.breaker.resting(s.name) or 'probing')[:80]})",
                            provider=s.name)
            reply = self._guarded(s, lambda: self._run(s, plan, deadline, trail))
        finally:
            s.inflight.release()                            # after the breaker knows how it went
        image = self._guarded(s, lambda: self._finish(s, plan, reply, deadline, trail))
        self.usage.record(s.name, images=1)
        self.breaker.success(s.name)
        return image

    def _guarded(self, s: Slot, step: Callable[[], T]) -> T:
        """Run a step; a provider failure is counted (usage, breaker) before it propagates."""
        try:
            return step()
        except (QuotaError, _Skip):
            self.breaker.release(s.name)
            raise
        except ProviderError as err:
            self.usage.record(s.name, failures=1)
            self.breaker.failure(s.name, err.message, trip=err.status in (401, 402, 403, 404))
            raise

    def _run(self, s: Slot, plan: ImagePlan, deadline: float, trail: Trail) -> Reply:
        """Create and poll until done, each step retried as `_retrying` allows, within the deadline."""
        call = s.proto.create(plan, s.ep)
        if not self.usage.reserve(s.name, s.st.daily_quota):
            raise QuotaError(f"{s.proto.label}: today's quota of {s.st.daily_quota} calls is used up",
                             provider=s.name, hint=f"raise providers.settings.{s.name}.daily_quota "
                                                   f"or wait until tomorrow")
        sent = False

        def step(call: Call) -> Reply:
            nonlocal sent
            if call.step == "create":                        # every create, retries too, takes a rate slot
                if not self.limiter.acquire(s.name, s.limits, deadline):
                    if not sent:
                        self.usage.refund(s.name)            # the call was never made
                    raise _Skip("its rate limit leaves no slot before the deadline", provider=s.name)
                sent = True
            return self._step(s, call, deadline)

        while True:
            reply = self._retrying(s, deadline, trail)(step, call)
            if reply.error:
                raise self._error(s, None, f"the job failed: {reply.error}")
            if reply.next is None:
                return reply
            call = reply.next
            time.sleep(max(0.0, min(s.st.poll_interval_s, deadline - time.monotonic())))
            if time.monotonic() >= deadline:
                raise self._error(s, None, "the job was still running at the image's deadline "
                                           f"(providers.deadline_s = {self.cfg.providers.deadline_s:g}s)")

    def _step(self, s: Slot, call: Call, deadline: float) -> Reply:
        """One HTTP call and its reading: a Reply, or a ProviderError saying whether to retry."""
        timeout = max(0.05, min(s.st.timeout_s, deadline - time.monotonic()))
        try:
            answer = http.send(call, timeout=timeout, allow_http=s.st.allow_http, max_bytes=JSON_CAP)
        except http.NetError as e:
            if call.step == "create" and e.sent:
                raise self._error(s, None, f"{e} — the request may have run and been billed, so it is not "
                                           f"re-sent", timeout=e.timeout, retryable=False) from None
            raise self._error(s, None, str(e), timeout=e.timeout, retryable=e.timeout) from None
        except http.BadImage as e:
            raise self._error(s, None, str(e), retryable=False) from None
        if answer.status >= 300:
            fault = s.proto.fault(answer)
            wait = fault.retry_after if fault.retry_after is not None else retry_after(answer)
            if wait is not None and wait > self.cfg.providers.backoff_max_s:
                raise self._error(s, fault.status, f"{fault.message} (asked to wait {wait:g}s: trying the next "
                                                   f"provider instead)", retryable=False)
            raise self._error(s, fault.status, fault.message, retry_after=wait)
        try:
            return s.proto.parse(answer, call, s.ep)
        except Malformed as e:
            raise self._error(s, None, f"answered in a form peitu does not understand: {e}",
                              retryable=False) from None

    def _finish(self, s: Slot, plan: ImagePlan, reply: Reply, deadline: float, trail: Trail) -> GeneratedImage:
        data = reply.images[0] if reply.images else (self._download(s, reply.urls[0], deadline, trail) if reply.urls else None)
        if not data:
            raise self._error(s, None, "answered success but with no image")
        if len(data) > self.cfg.providers.max_download_bytes:
            raise self._error(s, None, f"image is {len(data):,} bytes, over the "
                                       f"{self.cfg.providers.max_download_bytes:,}-byte cap (providers.max_download_bytes)")
        try:
            http.check_image(data, self.cfg.images.max_pixels)
        except http.BadImage as e:
            raise self._error(s, None, str(e)) from None
        digest = hashlib.sha256(data).hexdigest()
        if self.breaker.same_image(s.name, digest, f"{plan.prompt}\0{plan.seed}"):
            self.breaker.failure(s.name, "same image for different prompts", trip=True)
            raise self._error(s, None, "returned the same picture it made for a different prompt — its API may "
                                       "have changed; resting it", retryable=False)
        seed = reply.seed if reply.seed is not None else (plan.seed if s.proto.seeds else None)
        return GeneratedImage(data=data, provider=s.name, model=s.ep.model, seed=seed, elapsed_s=0.0)

    def _download(self, s: Slot, url: str, deadline: float, trail: Trail) -> bytes:
        """GET a result URL (with the provider's auth only on the provider's own host), retrying 5xx."""
        same_host = urlsplit(url).netloc == urlsplit(s.ep.base_url).netloc
        call = Call("GET", url, s.proto.headers(s.ep) if same_host else {}, step="download")
        cap = self.cfg.providers.max_download_bytes

        def get() -> bytes:
            timeout = max(0.05, min(s.st.timeout_s, deadline - time.monotonic()))
            try:
                answer = http.send(call, timeout=timeout, allow_http=s.st.allow_http, max_bytes=cap)
            except http.BadImage as e:
                raise self._error(s, None, f"result image refused: {e}") from None
            except http.NetError as e:
                raise self._error(s, None, f"downloading the result: {e}", timeout=e.timeout) from None
            if answer.status == 200:
                return answer.body
            if answer.status in (401, 403, 404, 410):
                raise self._error(s, None, f"the result URL answered HTTP {answer.status}: it expired or was "
                                           f"refused (providers keep results from minutes to a day)")
            raise self._error(s, answer.status, f"downloading the result: HTTP {answer.status}")

        return self._retrying(s, deadline, trail, api=False)(get)

    # ── errors and waiting ─────────────────────────────────────────────────────────────

    def _error(self, s: Slot, status: int | None, detail: str, *, timeout: bool = False,
               retryable: bool | None = None, retry_after: float | None = None) -> ProviderError:
        """An actionable error: which provider, what happened, which setting to look at."""
        if timeout:
            what = "timed out"
            hint = (f"raise providers.settings.{s.name}.timeout_s (now {s.st.timeout_s:g}s) or retry later (超时)")
        elif status is None:
            what, hint = "failed", f"{s.proto.label} answered wrongly; retry later or try another provider (服务异常)"
        else:
            what, hint = ADVICE.get(status, ADVICE[500] if status >= 500 else ADVICE[400])
            hint = hint.format(**s.words)
        if retryable is None:
            retryable = timeout or status in (408, 429) or (status is not None and status >= 500)
        head = f"{s.proto.label} ({s.name}): {what}" + (f" (HTTP {status})" if status else "")
        return ProviderError(redact(f"{head}: {detail}"), provider=s.name, retryable=retryable,
                             retry_after=retry_after, status=status, hint=redact(hint))

    @staticmethod
    def _short(err: ProviderError) -> str:
        return f"HTTP {err.status}" if err.status else err.message.split(": ", 1)[-1][:60]

    def _retrying(self, s: Slot, deadline: float, trail: Trail, *, api: bool = True) -> tenacity.Retrying:
        """Retries of one step: what the error allows, up to max_retries, never past the deadline; waits are
        the provider's Retry-After, else exponential backoff with equal jitter (half fixed, half random).
        A 429 from the provider's API (not from a result download) holds every thread for the wait."""
        p = self.cfg.providers
        backoff = (tenacity.wait_exponential(multiplier=p.backoff_base_s / 2, max=p.backoff_max_s / 2)
                   + tenacity.wait_random_exponential(multiplier=p.backoff_base_s / 2, max=p.backoff_max_s / 2))

        def wait(state: tenacity.RetryCallState) -> float:
            after = state.outcome.exception().retry_after
            return after if after is not None else backoff(state)

        def before_sleep(state: tenacity.RetryCallState) -> None:
            err, delay = state.outcome.exception(), state.upcoming_sleep
            if err.status == 429 and api:
                self.limiter.pause(s.name, delay)
            trail.lines.append(f"{s.name}: {self._short(err)}, retry {state.attempt_number} in {delay:.1f}s")

        return tenacity.Retrying(
            retry=tenacity.retry_if_exception(lambda e: isinstance(e, ProviderError) and e.retryable),
            stop=tenacity.stop_after_attempt(p.max_retries + 1)
            | tenacity.stop_before_delay(max(0.0, deadline - time.monotonic())),
            wait=wait, before_sleep=before_sleep, reraise=True)

    # ── `peitu providers check` ────────────────────────────────────────────────────────

    def check(self, name: str) -> tuple[bool, str]:
        """One cheap authenticated call: (ok, what to tell the user)."""
        s = self.slots[name]
        if s.proto.key_required and not s.ep.key:
            return False, f"no key: set {s.key_env} in .env or the environment"
        try:
            answer = http.send(s.proto.check(s.ep), timeout=min(s.st.timeout_s, 30.0),
                               allow_http=s.st.allow_http, max_bytes=5_000_000)
        except (http.NetError, http.BadImage) as e:
            err = self._error(s, None, str(e), timeout=isinstance(e, http.NetError) and e.timeout)
            return False, str(err)
        if answer.status in s.proto.check_ok:
            how = "" if answer.status == 200 else f", HTTP {answer.status} to a probe that makes no image"
            return True, f"OK: reachable, key accepted ({s.ep.base_url}{how})"
        fault: Fault = s.proto.fault(answer)
        return False, str(self._error(s, fault.status, fault.message))
