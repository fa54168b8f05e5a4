"""The Dramatiq broker on Redis, built from `broker:` in config.yaml, with peitu's two actors declared on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..config import Config
from ..errors import ConfigError
from ..secrets import get_secret

if TYPE_CHECKING:
    from dramatiq.brokers.redis import RedisBroker

QUEUE = "nightly"
# Dramatiq's Redis broker moves the unacknowledged messages of a worker silent for heartbeat_timeout back to
# the queue during "maintenance", which runs on this many commands in a million (its default, 1000, can leave
# a dead worker's jobs waiting for minutes after the timeout on a quiet queue).
MAINTENANCE_CHANCE = 50_000
MAX_BACKOFF_MS = 3_600_000


def broker_source(cfg: Config) -> tuple[str, str] | None:
    """(variable name, redis:// URL) when a broker is configured and its variable set, else None."""
    env = cfg.broker.url_env
    url = get_secret(env)
    return (env, url) if env and url else None


def configured(cfg: Config) -> bool:
    return broker_source(cfg) is not None


def make_broker(cfg: Config) -> RedisBroker:
    """A RedisBroker for the configured URL, with the worker heartbeats and both actors declared."""
    source = broker_source(cfg)
    if source is None:
        raise ConfigError("no broker is configured" if not cfg.broker.url_env else
                          f"{cfg.broker.url_env} is not set (broker.url_env names it)",
                          hint="set broker.url_env in config.yaml to a variable holding redis://…, and set it "
                               "in the environment or .env")
    try:
        from dramatiq.brokers.redis import RedisBroker
    except ImportError:
        raise ConfigError("a broker is configured but Dramatiq is not installed",
                          hint="pip install 'peitu[workers]'") from None
    from .heartbeat import Heartbeats

    b = cfg.broker
    broker = RedisBroker(url=source[1], namespace=b.namespace, heartbeat_timeout=int(b.redeliver_after_s * 1000),
                         maintenance_chance=MAINTENANCE_CHANCE)
    broker.add_middleware(Heartbeats(b.namespace))
    declare(broker, cfg)
    return broker


def declare(broker: Any, cfg: Config) -> None:
    """Declare the account and draft actors on `broker` (what workers run and the scheduler sends)."""
    import dramatiq

    from .jobs import DRAFT_ACTOR, LIST_ACTOR, illustrate_draft, list_account

    b = cfg.broker

    def retry(retries: int, err: BaseException) -> bool:
        return retries < b.max_retries

    options: dict[str, Any] = {"queue_name": QUEUE, "broker": broker, "retry_when": retry,
                               "max_backoff": MAX_BACKOFF_MS}
    dramatiq.actor(actor_name=LIST_ACTOR, time_limit=600_000, **options)(list_account)
    dramatiq.actor(actor_name=DRAFT_ACTOR, time_limit=int(b.job_time_limit_s * 1000),
                   min_backoff=int(b.lease_s * 1000), **options)(illustrate_draft)
