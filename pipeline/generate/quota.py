"""Daily quotas and usage per provider, persisted in the state file (so they hold across runs)."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from ..store import Store

log = logging.getLogger(__name__)
WARN_AT = 0.8


class Usage:
    def __init__(self, store: Store, timezone: str = "Asia/Shanghai"):
        self.store = store
        self.tz = ZoneInfo(timezone)

    def today(self) -> str:
        return dt.datetime.now(self.tz).date().isoformat()

    def used(self, provider: str) -> int:
        rows = self.store.query("SELECT calls FROM provider_usage WHERE day = ? AND provider = ?",
                                (self.today(), provider))
        return rows[0]["calls"] if rows else 0

    def reserve(self, provider: str, quota: int | None) -> bool:
        """Count one paid call; False (and no count) when today's quota is already used up."""
        day = self.today()
        with self.store.tx() as db:
            db.execute("INSERT INTO provider_usage (day, provider) VALUES (?, ?) ON CONFLICT DO NOTHING",
                       (day, provider))
            calls = db.execute("SELECT calls FROM provider_usage WHERE day = ? AND provider = ?",
                               (day, provider)).fetchone()["calls"]
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

    def record(self, provider: str, *, images: int = 0, failures: int = 0) -> None:
        day = self.today()
        with self.store.tx() as db:
            db.execute("INSERT INTO provider_usage (day, provider) VALUES (?, ?) ON CONFLICT DO NOTHING",
                       (day, provider))
            db.execute("UPDATE provider_usage SET images = images + ?, failures = failures + ? "
                       "WHERE day = ? AND provider = ?", (images, failures, day, provider))

    def report(self, days: int) -> list[dict]:
        """Calls, failures and images per provider over the last `days` days (today included)."""
        since = (dt.datetime.now(self.tz).date() - dt.timedelta(days=days - 1)).isoformat()
        rows = self.store.query(
            "SELECT provider, SUM(calls) AS calls, SUM(failures) AS failures, SUM(images) AS images "
            "FROM provider_usage WHERE day >= ? GROUP BY provider ORDER BY provider", (since,))
        return [dict(r) for r in rows]
