"""Per-second and per-minute limits as pyrate-limiter Rates: never looser than configured."""

from __future__ import annotations

import time

import pytest

from pipeline.config import ProviderSettings
from pipeline.generate.clock import ManualClock
from pipeline.generate.ratelimit import SLACK_MS, RateLimiter, rates


def limits(**kw) -> list[tuple[int, int]]:
    return [(r.limit, r.interval) for r in rates(ProviderSettings(**kw))]


def test_single_limits_and_slow_rates():
    assert limits(rate_per_second=5) == [(5, 1000 + SLACK_MS)]
    assert limits(rate_per_minute=30) == [(30, 60000 + SLACK_MS)]
    assert limits(rate_per_second=0.5) == [(1, 2000 + SLACK_MS)]          # one request per two seconds
    assert limits() == []


@pytest.mark.parametrize("per_s, per_min", [(5, 289), (5, 600), (2, 30), (10, 100), (1, 120)])
def test_combined_limits_allow_no_more_than_either(per_s, per_min):
    out = limits(rate_per_second=per_s, rate_per_minute=per_min)
    for n, ms in out:                                     # no window allows more than configured
        assert n / ms <= max(per_s / 1000, per_min / 60000) + 1e-9
    per_minute = min(n * -(-60000 // ms) for n, ms in out)
    per_second_max = min(n * -(-1000 // ms) if ms <= 1000 + SLACK_MS else n for n, ms in out)
    assert per_minute <= per_min and per_second_max <= per_s


def test_a_limit_the_other_implies_is_dropped():
    assert limits(rate_per_second=1, rate_per_minute=600) == [(1, 1000 + SLACK_MS)]
    assert limits(rate_per_second=50, rate_per_minute=20) == [(20, 60000 + SLACK_MS)]


def test_slots_are_counted_and_pause_holds_every_thread(tmp_path):
    limiter = RateLimiter(tmp_path / "ratelimit.sqlite")
    window = rates(ProviderSettings(rate_per_second=3))
    deadline = time.monotonic() + 0.05
    assert [limiter.acquire("p", window, deadline) for _ in range(4)] == [True, True, True, False]
    limiter.pause("q", 5)
    assert limiter.wait_time("q", []) > 4


def test_a_pause_is_seen_by_every_limiter_on_the_file_and_waited_on_the_clock(tmp_path):
    """A 429's pause goes into ratelimit.sqlite: another limiter on the same file (another process) holds
    its requests too; the wait runs on the injected clock, and gives up when it would pass the deadline."""
    clock = ManualClock()
    ours, theirs = RateLimiter(tmp_path / "ratelimit.sqlite", clock), RateLimiter(tmp_path / "ratelimit.sqlite", clock)
    ours.pause("p", 5)
    assert theirs.paused("p") == pytest.approx(5)
    assert not theirs.acquire("p", [], clock.monotonic() + 4)        # it would wait past the deadline
    assert clock.slept == []
    assert theirs.acquire("p", [], clock.monotonic() + 10)
    assert clock.slept == [pytest.approx(5.001)]
    ours.pause("p", 1)                                                 # a shorter pause never cuts a longer one
    theirs.pause("p", 3)
    assert ours.paused("p") == pytest.approx(3)
