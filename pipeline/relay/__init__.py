"""`peitu relay`: WeChat API calls from peitu clients, forwarded from a host whose IP is whitelisted.

    relay = build_relay(cfg)          # the account's AppID/AppSecret and each client's key from the environment
    AsgiServer(relay.app, host, port).serve_forever()

Clients set `wechat.accounts.<name>.relay_url` (and the key in `relay_key_env`); see signing.py for the
signature and server.py for what the relay accepts.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..config import Config
from ..errors import ConfigError
from ..secrets import get_secret
from .server import ALLOWED, Relay
from .signing import MIN_KEY_CHARS, NEW_KEY_HINT

__all__ = ["ALLOWED", "Relay", "build_relay"]


def build_relay(cfg: Config, *, clock: Callable[[], float] = time.time) -> Relay:
    """The relay for `relay.account`, with each client's key read from the variable relay.clients names."""
    from ..publish.wechat.client import account_settings, build_client

    settings = cfg.relay
    name, acct = account_settings(cfg, settings.account)
    if acct.relay_url:
        raise ConfigError(f"wechat.accounts.{name}.relay_url is set on the relay itself",
                          hint="on the relay host the account calls WeChat directly: remove relay_url there")
    keys: dict[str, str] = {}
    for client, env in settings.clients.items():
        key = get_secret(env)
        if not key or len(key) < MIN_KEY_CHARS:
            raise ConfigError(f"relay client '{client}' needs a key of at least {MIN_KEY_CHARS} characters in {env}",
                              hint=f"{NEW_KEY_HINT}; set it in the environment or .env here and on the client")
        keys[client] = key
    if len(set(keys.values())) < len(keys):
        raise ConfigError("two relay clients share one key", hint="give each client its own key (relay.clients)")
    return Relay(build_client(cfg, name), keys, window_s=settings.window_s, rate_per_minute=settings.rate_per_minute,
                 burst=settings.burst, max_body_bytes=settings.max_body_bytes, clock=clock)
