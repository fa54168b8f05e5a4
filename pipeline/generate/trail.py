"""What happened to one image, provider by provider: the Attempts the manifest shows, and the final
error when no provider made it (the first real failure, and every provider tried)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError, PeituError, ProviderError, QuotaError
from ..models import Attempt, ImagePlan
from .errors import Failure, NotTried

REASON_CHARS = 240


@dataclass
class Trail:
    plan: ImagePlan
    attempts: list[Attempt] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def skipped(self, name: str, why: NotTried) -> None:
        self.attempts.append(Attempt(name, "skipped", why.reason[:REASON_CHARS], why.category))

    def failed(self, failure: Failure) -> None:
        self.attempts.append(Attempt(failure.provider, "failed", failure.message[:REASON_CHARS], failure.category))
        self.failures.append(failure)

    def retried(self, name: str, what: str, category: str) -> None:
        self.attempts.append(Attempt(name, "retried", what, category))

    def final(self) -> PeituError:
        """The error for an image no provider made."""
        tried = "; ".join(map(str, self.attempts)) or "no provider is configured"
        if self.failures:
            first = self.failures[0]
            message = f"no provider made image '{self.plan.key}'. First error: {first.message}\n  tried: {tried}"
            if first.category == "config":             # peitu's settings, not the provider, stopped it
                return ConfigError(message, hint=first.hint)
            return ProviderError(message, provider=first.provider, status=first.status, hint=first.hint)
        skips = [a for a in self.attempts if a.outcome == "skipped"]
        cls = QuotaError if skips and all(a.category == "quota" for a in skips) else ProviderError
        return cls(f"no provider could make image '{self.plan.key}'\n  tried: {tried}",
                   hint="set a provider's key (see .env.example), or keep local in providers.order / last_resort")
