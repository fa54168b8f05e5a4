"""Daily quotas and usage per provider, and failures by reason, persisted in the state file (so they hold
across runs). A day is a calendar day in the schedule's timezone, on the router's clock."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from ..store import Store
from .clock import SYSTEM, Clock

log = logging.getLogger(__name__)
WARN_AT = 0.8


class Usage:
    def __init__(self, store: Store, timezone: str = "Asia/Shanghai", clock: Clock = SYSTEM):
        self.store = store
        self.tz = ZoneInfo(timezone)
        self.clock = clock

    def _date(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.clock.time(), self.tz).date()

    def today(self) -> str:
        return self._date().isoformat()

    def used(self, provider: str) -> int:
        rows = self.store.query("SELECT calls FROM provider_usage WHERE day = ? AND provider = ?",
                                (self.today(), provider))
        return rows[0]["calls"] if rows else 0

    def _row(self, db: Store, day: str, provider: str) -> None:
        db.execute("INSERT INTO provider_usage (day, provider) VALUES (?, ?) ON CONFLICT DO NOTHING", (day, provider))

    def reserve(self, provider: str, quota: int | None) -> bool:
        """Count one paid call; False (and no count) when today's quota is already used up."""
        day = self.today()
        with self.store.tx() as db:
            self._row(db, day, provider)
            row = db.execute("SELECT calls FROM provider_usage WHERE day = ? AND provider = ?",
                             (day, provider)).fetchone()
            calls = row["calls"] if row else 0
            if quota is not None and calls >= quota:
                return False
            db.execute("UPDATE provider_usage SET calls = calls + 1 WHERE day = ? AND provider = ?", (day, provider))
        if quota and calls < WARN_AT * quota <= calls + 1:
            log.warning("%s: %d of today's quota of %d calls used (%d%%); it is skipped at 100%% "
                        "(providers.settings.%s.daily_quota)", provider, calls + 1, quota,
                        100 * (calls + 1) // quota, provider)
        return True

    def refund(self, provider: str) -> None:
        """Give back a call reserved but never made."""
        with self.store.tx() as db:
            db.execute("UPDATE provider_usage SET calls = calls - 1 WHERE day = ? AND provider = ? AND calls > 0",
                       (self.today(), provider))

    def made(self, provider: str) -> None:
        """Count one image `provider` made."""
        day = self.today()
        with self.store.tx() as db:
            self._row(db, day, provider)
            db.execute("UPDATE provider_usage SET images = images + 1 WHERE day = ? AND provider = ?", (day, provider))

    def failed(self, provider: str, reason: str) -> None:
        """Count one failure of `provider` for one image, by its category ("timeout", "http_5xx" …)."""
        day = self.today()
        with self.store.tx() as db:
            self._row(db, day, provider)
            db.execute("UPDATE provider_usage SET failures = failures + 1 WHERE day = ? AND provider = ?",
                       (day, provider))
            db.execute("INSERT INTO provider_failures (day, provider, reason, count) VALUES (?, ?, ?, 1) "
                       "ON CONFLICT (day, provider, reason) DO UPDATE SET count = provider_failures.count + 1",
                       (day, provider, reason))

    def _since(self, days: int) -> str:
        return (self._date() - dt.timedelta(days=days - 1)).isoformat()

    def report(self, days: int) -> list[dict]:
        """Calls, failures and images per provider over the last `days` days (today included)."""
        rows = self.store.query(
            "SELECT provider, SUM(calls) AS calls, SUM(failures) AS failures, SUM(images) AS images "
            "FROM provider_usage WHERE day >= ? GROUP BY provider ORDER BY provider", (self._since(days),))
        return [dict(r) for r in rows]

    def failure_reasons(self, days: int) -> list[dict]:
        """Failures per provider and reason over the last `days` days, most frequent first."""
        rows = self.store.query(
            "SELECT provider, reason, SUM(count) AS count FROM provider_failures WHERE day >= ? "
            "GROUP BY provider, reason ORDER BY provider, count DESC, reason", (self._since(days),))
        return [dict(r) for r in rows]
