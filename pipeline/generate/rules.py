"""What each kind of failure means to the router, in one table: whether the same provider is asked again
(after its Retry-After, else a jittered exponential backoff), and what the circuit breaker makes of it.
Everything that is not retried fails over to the next provider at once."""

from __future__ import annotations

import email.utils
import random
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    retry: bool                 # ask the same provider again, within max_retries and the image's deadline
    resend: bool = True         # … even a create that may already have run (False: a sent create fails over)
    breaker: str = "count"      # "ignore": not the provider's fault · "count": one more failure · "trip": rest it now


RULES: dict[str, Rule] = {
    "http_429": Rule(retry=True, breaker="ignore"),        # a request to wait (Retry-After), never a fault
    "http_5xx": Rule(retry=True),
    "timeout": Rule(retry=True, resend=False),             # polls and downloads are asked again; a create that
                                                           # may have run and been billed is not re-sent
    "unreachable": Rule(retry=False),                      # refused, unresolvable, dropped mid-answer
    "auth": Rule(retry=False, breaker="trip"),             # 401 402 403: will not mend during a run
    "not_found": Rule(retry=False, breaker="trip"),        # 404: the model or the base_url is wrong
    "http_4xx": Rule(retry=False),                         # 400 and the like: this request is refused
    "malformed": Rule(retry=False),                        # an answer peitu cannot read
    "empty": Rule(retry=False),                            # success, but no image in it
    "job_failed": Rule(retry=False),                       # the provider's job ran and failed
    "expired": Rule(retry=False),                          # the result URL is gone
    "bad_image": Rule(retry=False),                        # not a whole image
    "too_large": Rule(retry=False),
    "url_refused": Rule(retry=False),                      # the URL policy forbids where the answer points
    "drift": Rule(retry=False, breaker="trip"),            # the same picture for different prompts
    "deadline": Rule(retry=False),                         # the image's deadline passed mid-attempt
    "config": Rule(retry=False, breaker="ignore"),         # peitu's settings for it are wrong
    "local": Rule(retry=False, breaker="ignore"),          # the local provider could not draw
}


def category(status: int) -> str:
    """The table's key for an HTTP status."""
    if status == 429:
        return "http_429"
    if status in (401, 402, 403):
        return "auth"
    if status == 404:
        return "not_found"
    if status == 408:
        return "timeout"
    return "http_5xx" if status >= 500 else "http_4xx"


def backoff(retry: int, base: float, cap: float, rnd: random.Random | None = None) -> float:
    """Wait before retry number `retry` (1, 2, …): exponential with equal jitter — half of
    min(cap, base·2^(retry-1)) fixed, the other half random."""
    half = min(cap, base * 2 ** (retry - 1)) / 2
    return half + (rnd or random).uniform(0, half)


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds from Retry-After (seconds or an HTTP-date, against wall time `now`) or retry-after-ms."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - now)
