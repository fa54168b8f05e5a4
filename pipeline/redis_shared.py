"""The Redis that peitu processes share, when one is configured: `wechat.redis_url_env`, else the broker's
(`broker.url_env`). Through it go the WeChat token, the account locks and the limits every worker shares
(provider rates, requests in flight, WeChat calls per AppID). None when neither names a set variable."""

from __future__ import annotations

import threading
from typing import Any

from .config import Config
from .errors import ConfigError
from .secrets import get_secret

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def redis_source(cfg: Config) -> tuple[str, str] | None:
    """(variable name, URL) of the shared Redis, or None."""
    for env in (cfg.wechat.redis_url_env, cfg.broker.url_env):
        url = get_secret(env)
        if env and url:
            return env, url
    return None


def shared_redis(cfg: Config) -> Any | None:
    """A Redis client (one per URL per process, thread-safe) for the shared Redis, or None."""
    source = redis_source(cfg)
    if source is None:
        return None
    env, url = source
    try:
        import redis
    except ImportError:
        raise ConfigError(f"{env} is set but the redis package is missing",
                          hint="pip install 'peitu[workers]' (or 'peitu[redis]'), or unset the variable") from None
    with _lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10,
                                                 health_check_interval=30)
        return _clients[url]
