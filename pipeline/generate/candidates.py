"""The providers a router chooses from, behind one interface: each says whether it can be tried now
(`unusable`) and makes one image for a plan (`make`), raising Failure (it failed) or NotTried (it was
passed over). A hosted provider makes it through a Generation (create → poll → download → check); the
local one draws it on this machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from pyrate_limiter import Rate

from ..config import Config, ProviderSettings
from ..errors import ConfigError, PeituError
from ..models import GeneratedImage, ImagePlan
from ..providers import LOCAL, provider
from ..providers.base import Answer, Endpoint, Fault, Provider
from ..secrets import get_secret, redact
from .attempt import Generation
from .breaker import Breaker
from .clock import Clock
from .errors import Failure, NotTried, TimedOut, TransportError, UrlRefused
from .inflight import in_flight
from .policy import UrlPolicy
from .quota import Usage
from .ratelimit import Limits, rates
from .rules import RULES, category
from .trail import Trail
from .transport import Transport

LOCAL_MODEL = "peitu-typographic"
CHECK_S = 30.0

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


@dataclass
class Shared:
    """What every provider's attempts share."""

    cfg: Config
    clock: Clock
    transport: Transport
    limiter: Limits
    usage: Usage
    breaker: Breaker
    folder: Path                     # the state folder (in-flight slot files live under it)

    def failed(self, failure: Failure) -> None:
        """Count a failure: by reason for `peitu usage`, and for the breaker as the rules table says."""
        name, rule = failure.provider, RULES[failure.category]
        self.usage.failed(name, failure.category)
        if rule.breaker == "ignore":
            self.breaker.release(name)
        else:
            self.breaker.failure(name, failure.message.split(": ", 1)[-1], trip=rule.breaker == "trip")

    def succeeded(self, name: str) -> None:
        self.usage.made(name)
        self.breaker.success(name)


class Candidate(Protocol):
    name: str
    cacheable: bool                  # its images go to the cache
    bounded: bool                    # not tried once the image's deadline has passed

    @property
    def weight(self) -> float:
        """Its share under the weighted strategy (0: never picked first)."""

    def capacity(self) -> int: ...

    def unusable(self) -> NotTried | None: ...

    def make(self, plan: ImagePlan, trail: Trail, deadline: float) -> GeneratedImage: ...


class Hosted:
    """A hosted provider as configured: protocol, endpoint, settings, limits, in-flight slots, URL policy."""

    cacheable = True
    bounded = True

    def __init__(self, name: str, shared: Shared):
        self.name = name
        self.shared = shared
        self.st = st = shared.cfg.providers.settings.get(name) or ProviderSettings.model_validate({})
        self.proto: Provider = provider(name)
        self.key_env = st.key_env or self.proto.key_env
        self.ep = Endpoint(name, st.base_url or self.proto.base_url, st.model or self.proto.model,
                           get_secret(self.key_env), dict(st.options))
        self.limits: list[Rate] = rates(st)
        self.inflight = in_flight(shared.cfg, shared.folder / "inflight", name, st.max_in_flight, shared.clock)
        try:
            self.policy = UrlPolicy.build(name, self.ep.base_url, allow_http=st.allow_http, key=self.ep.key,
                                          keyed=self.proto.headers(self.ep),
                                          keyless=self.proto.headers(replace(self.ep, key=None)),
                                          also=st.result_origins)
        except UrlRefused as err:
            raise ConfigError(f"providers.settings.{name}.base_url / result_origins: {err.message}") from None

    @property
    def weight(self) -> float:
        return self.st.weight

    def capacity(self) -> int:
        return self.st.max_in_flight

    def unusable(self) -> NotTried | None:
        if not self.st.enabled:
            return NotTried("disabled", f"disabled (providers.settings.{self.name}.enabled)")
        if self.proto.key_required and not self.ep.key:
            return NotTried("no_key", f"no key: set {self.key_env} in .env or the environment")
        if (why := self.shared.breaker.resting(self.name)) is not None:
            return NotTried("resting", f"resting after failures ({why[:80]})")
        quota = self.st.daily_quota
        if quota is not None and self.shared.usage.used(self.name) >= quota:
            return NotTried("quota", f"today's quota of {quota} calls is used up "
                                     f"(providers.settings.{self.name}.daily_quota)")
        return None

    def make(self, plan: ImagePlan, trail: Trail, deadline: float) -> GeneratedImage:
        return Generation(self, plan, trail, deadline).run()

    def failure(self, category: str, detail: str, *, status: int | None = None, step: str = "",
                sent: bool = False, retry_after: float | None = None, hint: str | None = None) -> Failure:
        """An actionable failure: which provider, what happened, which setting to look at."""
        n, st = self.name, self.st
        if category == "config":
            what, hint = "cannot be asked", hint or f"fix providers.settings.{n} in config.yaml (配置错误)"
        elif category == "timeout":
            what = "timed out"
            hint = f"raise providers.settings.{n}.timeout_s (now {st.timeout_s:g}s) or retry later (超时)"
        elif category == "deadline":
            what = "ran out of time"
            hint = (f"raise providers.deadline_s (now {self.shared.cfg.providers.deadline_s:g}s) or put a faster "
                    f"provider first in providers.order (超时)")
        elif category == "url_refused":
            what, hint = "URL refused", (
                f"if {n} keeps its images on your own network, list that origin in "
                f"providers.settings.{n}.result_origins; otherwise its API may have changed (地址被拒绝)")
        elif status is None:
            what = "failed"
            hint = f"{self.proto.label} answered wrongly; retry later or try another provider (服务异常)"
        else:
            what, hint = ADVICE.get(status, ADVICE[500] if status >= 500 else ADVICE[400])
            hint = hint.format(n=n, key=self.key_env or "(no key variable)", model=self.ep.model,
                               base=self.ep.base_url, label=self.proto.label)
        head = f"{self.proto.label} ({n}): {what}" + (f" (HTTP {status})" if status else "")
        return Failure(redact(f"{head}: {detail}"), provider=n, category=category, step=step, sent=sent,
                       status=status, retry_after=retry_after, hint=redact(hint))

    def check(self) -> tuple[bool, str]:
        """One cheap authenticated call: (ok, what to tell the user)."""
        if self.proto.key_required and not self.ep.key:
            return False, f"no key: set {self.key_env} in .env or the environment"
        try:
            call = self.proto.check(self.ep)
            answer = self.shared.transport.send(call, self.policy.trusting(call.url), max_bytes=5_000_000,
                                                timeout_s=min(self.st.timeout_s, CHECK_S), left_s=CHECK_S)
        except TransportError as err:
            kind = ("timeout" if isinstance(err, TimedOut) else "url_refused" if isinstance(err, UrlRefused)
                    else "unreachable")
            return False, str(self.failure(kind, err.message))
        except Exception as err:                 # the provider could not build its probe from the settings
            detail = err.message if isinstance(err, PeituError) else f"{type(err).__name__}: {err}"
            return False, str(self.failure("config", f"could not build its probe: {detail}"))
        status = self.fault(answer).status if self.refuses(answer) else answer.status
        if status in self.proto.check_ok:
            how = "" if status == 200 else f", HTTP {status} to a probe that makes no image"
            return True, f"OK: reachable, key accepted ({self.ep.base_url}{how})"
        fault = self.fault(answer)
        return False, str(self.failure(category(fault.status), fault.message, status=fault.status))

    def fault(self, answer: Answer) -> Fault:
        """The provider's reading of an error answer; a generic one if its reader fails on it."""
        try:
            return self.proto.fault(answer)
        except Exception:                 # a reader bug must not hide the status
            return Fault(f"HTTP {answer.status}", answer.status)

    def refuses(self, answer: Answer) -> bool:
        """True when a 2xx answer is an error in the provider's own envelope (see Provider.refuses)."""
        try:
            return 200 <= answer.status < 300 and self.proto.refuses(answer)
        except Exception:                 # a reader bug: let `parse` judge the answer
            return False


class Local:
    """The embedded provider: draws on this machine in a moment, needs no key, and is never cached."""

    name = LOCAL
    cacheable = False
    bounded = False                  # the last resort draws even past the deadline: an image beats none
    weight = 0.0                     # never picked first by weight

    def __init__(self, shared: Shared):
        self.shared = shared

    def capacity(self) -> int:
        return os.cpu_count() or 2

    def unusable(self) -> NotTried | None:
        return None

    def make(self, plan: ImagePlan, trail: Trail, deadline: float) -> GeneratedImage:
        from ..providers.local import draw_local

        start = self.shared.clock.monotonic()
        self.shared.usage.reserve(LOCAL, None)
        try:
            drawn = draw_local(plan, self.shared.cfg)
        except PeituError as err:
            failure = Failure(err.message, provider=LOCAL, category="local", hint=err.hint)
            self.shared.failed(failure)
            raise failure from None
        return GeneratedImage(data=drawn.data, provider=LOCAL, model=LOCAL_MODEL, seed=plan.seed,
                              elapsed_s=self.shared.clock.monotonic() - start, depicts=drawn.depicts,
                              depicts_reason=drawn.reason)
