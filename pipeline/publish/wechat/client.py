"""A wechatpy 1.8.18 client built from config and the environment, with the traps of 1.8.18 closed.

- The token comes from `base_url` (stable_token by default), not the hard-coded Tencent URL, with a timeout.
- The token is shared across processes (SQLite in the state file, or Redis when configured) and kept
  only while it is valid; 40001/40014/42001 refresh it once, never in a loop.
- Busy (-1) and per-minute limits (45011) are retried with backoff, a bounded number of times.
- Calls per AppID keep to `wechat.call_limits` (every process sharing the limits; see generate.ratelimit).
- Uploads are re-sent from bytes: a file object is read once, so a retry never sends 0 bytes.
- Every failure is a WeChatError with a redacted, actionable message.
- With `relay_url` set, a RelayedClient calls WeChat through `peitu relay`: it signs each request with the
  key it shares with the relay and never fetches or holds an access token.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from ...config import Account, Config
from ...errors import ConfigError, WeChatError
from ...netutil import is_loopback
from ...secrets import get_secret, redact
from ...store import Store
from .draft import WeChatDraft
from .errors import BUSY, TOKEN_INVALID, from_errcode, from_exception
from .upload import image_filename

log = logging.getLogger(__name__)

BASE_URL_ENV = "PEITU_WECHAT_BASE_URL"     # overrides every account's base_url (a proxy, the sandbox)
# Calls whose effect the caller looks up after an unclear answer: WeChat may answer -1 (busy) after doing
# the work, so -1 is never re-sent blindly here; the caller reconciles (upload ledger, draft ledger).
RECONCILED = frozenset({"material/add_material", "draft/add"})

class StoreTokenStorage(SessionStorage):
    """wechatpy session storage in the state store (`wechat_tokens`): shared by every process, honours the TTL.

    A token is handed out only until `ttl - margin` has passed (margin: up to 5 minutes, the window in
    which WeChat already issues the next token), so no process starts a call with a dying token."""

    def __init__(self, store: Store, scope: str):
        self.store = store
        self.scope = scope

    def get(self, key: str, default: Any = None) -> Any:
        rows = self.store.query("SELECT value, expires_at FROM wechat_tokens WHERE scope = ? AND key = ?",
                                (self.scope, key))
        if not rows or (rows[0]["expires_at"] is not None and rows[0]["expires_at"] <= time.time()):
            return default
        return json.loads(rows[0]["value"])

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        if value is None:
            return
        expires = time.time() + ttl - min(300, ttl // 2) if ttl else None
        self.store.execute("INSERT INTO wechat_tokens (scope, key, value, expires_at) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, "
                           "expires_at = excluded.expires_at", (self.scope, key, json.dumps(value), expires))

    def delete(self, key: str) -> None:
        self.store.execute("DELETE FROM wechat_tokens WHERE scope = ? AND key = ?", (self.scope, key))


class PeituClient(WeChatClient):
    """WeChatClient pointed at `base_url`, with the draft API and bounded, redacted error handling."""

    draft = WeChatDraft()

    def __init__(self, appid: str, secret: str, *, base_url: str = "https://api.weixin.qq.com",
                 session: SessionStorage | None = None, timeout: float = 30.0, token_api: str = "stable_token",
                 busy_retries: int = 3, backoff_s: float = 1.0, rate_wait_s: float = 60.0,
                 names: dict[str, str] | None = None, throttle: Callable[[], None] | None = None):
        super().__init__(appid, secret, session=session, timeout=timeout, auto_retry=False)
        self.base_url = base_url.rstrip("/")
        self.API_BASE_URL = self.base_url + "/cgi-bin/"
        self.token_api = token_api
        self.busy_retries = busy_retries
        self.backoff_s = backoff_s
        self.rate_wait_s = rate_wait_s
        self.names = names or {}        # env var names for messages: appid_env, secret_env
        self.throttle = throttle or (lambda: None)    # waits for a slot of this AppID's call rate

    @property
    def scope(self) -> str:
        """One account on one server ("base URL|AppID"): what ledgers and locks are keyed by."""
        return f"{self.base_url}|{self.appid}"

    def fetch_access_token(self) -> dict:
        """Get a token from `base_url` (stable_token: the same token for every caller until it nears
        expiry, so processes do not invalidate each other), with a timeout, and store it in the session."""
        log.debug("→ WeChat %s (fetching an access token from %s)", self.token_api, self.base_url)
        try:
            if self.token_api == "stable_token":
                res = self._http.post(self.API_BASE_URL + "stable_token", timeout=self.timeout, json={
                    "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
            else:
                res = self._http.get(self.API_BASE_URL + "token", timeout=self.timeout, params={
                    "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
            res.raise_for_status()
            result = res.json()
        except ValueError:
            raise WeChatError("the token endpoint did not answer JSON", where=f"WeChat {self.token_api}",
                              hint=f"check that {self.base_url} is the WeChat API or a proxy for it") from None
        except Exception as exc:  # requests errors carry the URL (and for /token, the secret)
            raise from_exception(exc, api=self.token_api, base_url=self.base_url, **self.names) from None
        if result.get("errcode"):
            raise from_errcode(int(result["errcode"]), str(result.get("errmsg", "")), api=self.token_api,
                               **self.names)
        if not result.get("access_token"):
            raise WeChatError("the token endpoint answered without an access_token",
                              where=f"WeChat {self.token_api}")
        expires_in = int(result.get("expires_in") or 7200)
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return {"expires_in": expires_in}

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        """One API call: refresh the token at most once, retry busy answers with backoff, and raise
        WeChatError (redacted) for everything else."""
        api = url_or_endpoint.removeprefix(self.API_BASE_URL).split("?")[0]
        kwargs["files"] = _as_bytes(kwargs.get("files"))
        refreshed = False
        busy = 0
        while True:
            attempt = dict(kwargs, params=dict(kwargs.get("params") or {}))
            shown = {k: v for k, v in attempt["params"].items() if k != "access_token"}
            log.debug("→ WeChat %s %s%s", method.upper(), api, f" {shown}" if shown else "")
            self.throttle()
            try:
                return super()._request(method, url_or_endpoint, **attempt)
            except WeChatClientException as exc:
                if exc.errcode in TOKEN_INVALID and not refreshed:
                    refreshed = True
                    self.refresh_token(attempt["params"].get("access_token"))
                    kwargs["params"] = {k: v for k, v in (kwargs.get("params") or {}).items()
                                        if k != "access_token"}
                    continue
                if exc.errcode in BUSY and busy < self.busy_retries and not (exc.errcode == -1 and api in RECONCILED):
                    wait = self.rate_wait_s if exc.errcode == 45011 else self.backoff_s * 2 ** busy
                    busy += 1
                    log.info("WeChat %s answered %s; retry %d/%d in %.1f s", api, exc.errcode, busy,
                             self.busy_retries, wait)
                    time.sleep(wait)
                    continue
                raise from_exception(exc, api=api, base_url=self.base_url, **self.names) from None
            except WeChatError:
                raise
            except Exception as exc:
                raise from_exception(exc, api=api, base_url=self.base_url, **self.names) from None

    def refresh_token(self, rejected: str | None) -> None:
        """Replace a token WeChat rejected: take another process's newer one if there is one."""
        current = self.session.get(self.access_token_key)
        if current and current != rejected:
            return
        log.info("WeChat rejected the access token; fetching a new one")
        self.session.delete(self.access_token_key)
        self.fetch_access_token()


class RelayBusy(WeChatError):
    """The relay answered 429: nothing was forwarded; send the call again after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float, **kw: Any):
        self.retry_after = retry_after
        super().__init__(message, **kw)


class RelayedClient(PeituClient):
    """A client that calls WeChat through `peitu relay` at `relay_url`: every request is signed with the
    key shared with the relay (see pipeline.relay.signing); the relay adds its own access token."""

    def __init__(self, relay_url: str, key: str, client: str, *, timeout: float = 30.0, busy_retries: int = 3,
                 names: dict[str, str] | None = None, **options: Any):
        super().__init__(f"relay:{client}", "", base_url=relay_url, timeout=timeout, busy_retries=busy_retries,
                         names=names, **options)
        from ...relay.signing import RelayAuth

        self._http.auth = RelayAuth(key, client)
        self._http.hooks["response"].append(self._refused)

    @property
    def access_token(self) -> str:
        """None here: the relay holds the token."""
        return ""

    def fetch_access_token(self) -> dict:
        return {}

    def refresh_token(self, rejected: str | None) -> None:
        """The relay refreshes its token itself; the call is only sent once more."""

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        """One call; a 429 from the relay (refused before it forwarded anything) waits and is sent again."""
        tries = 0
        while True:
            try:
                return super()._request(method, url_or_endpoint, **kwargs)
            except RelayBusy as err:
                tries += 1
                if tries > self.busy_retries:
                    raise
                log.info("the relay is rate-limiting this client; retry in %.0f s", err.retry_after)
                time.sleep(err.retry_after)

    def _refused(self, res: requests.Response, *args: Any, **kwargs: Any) -> None:
        """A relay refusal (HTTP 4xx/5xx with {"error"}) as a WeChatError that says what the relay said."""
        if res.status_code < 400:
            return
        try:
            said = res.json()
        except ValueError:
            said = {}
        message = str(said.get("error") or f"HTTP {res.status_code}") if isinstance(said, dict) else ""
        errcode = said.get("errcode") if isinstance(said, dict) and isinstance(said.get("errcode"), int) else None
        hint = {401: f"check that {self.names.get('relay_key_env', 'the relay key variable')} holds the key the "
                     "relay has for this client (relay.clients on the relay), and both clocks",
                403: "peitu relays only the WeChat calls it makes itself",
                413: "the relay's relay.max_body_bytes is too small for this image",
                429: "wait a minute, or raise relay.rate_per_minute on the relay"}.get(res.status_code,
                                                                                      "check the relay's log")
        api = urlsplit(res.url).path.partition("/cgi-bin/")[2]
        if res.status_code == 429:
            retry = res.headers.get("Retry-After", "")
            raise RelayBusy(f"the relay at {self.base_url} is rate-limiting this client: {redact(message)}",
                            where=f"WeChat {api} via relay", hint=hint,
                            retry_after=min(float(retry) if retry.isdigit() else 1.0, self.rate_wait_s))
        raise WeChatError(f"the relay at {self.base_url} refused the call ({res.status_code}): {redact(message)}",
                          where=f"WeChat {api} via relay", hint=hint, errcode=errcode)


def _as_bytes(files: dict | None) -> dict | None:
    """Read file objects once into (name, bytes, mime) tuples, so a retry re-sends the same bytes."""
    if not files:
        return files
    out = {}
    for field, value in files.items():
        if hasattr(value, "read"):
            data = value.read()
            name = Path(getattr(value, "name", "") or "").name
            value = (image_filename(data, name), data, None)
        out[field] = value
    return out


def account_settings(cfg: Config, name: str | None = None) -> tuple[str, Account]:
    """The account called `name` (default: the only one, or "default")."""
    accounts = cfg.wechat.accounts
    if name is None:
        name = "default" if "default" in accounts or len(accounts) != 1 else next(iter(accounts))
    if name not in accounts:
        raise ConfigError(f"no WeChat account named '{name}' in config (have: {', '.join(accounts) or 'none'})",
                          hint="add it under wechat.accounts in config.yaml")
    return name, accounts[name]


def account_config(cfg: Config, name: str | None = None) -> Config:
    """The config as this account sees it: its style, theme, template folder and schedule override the top level."""
    _, acct = account_settings(cfg, name)
    update: dict[str, Any] = {}
    if acct.style:
        update["style"] = acct.style
    if acct.theme:
        update["theme"] = acct.theme
    if acct.templates:
        update["paths"] = cfg.paths.model_copy(update={"templates": acct.templates})
    if "schedule" in acct.model_fields_set:
        update["schedule"] = acct.schedule
    return cfg.model_copy(update=update)


def base_url_for(acct: Account) -> str:
    """The account's API base URL (env override first); plain http only to this machine."""
    url = (os.environ.get(BASE_URL_ENV) or acct.base_url).rstrip("/")
    return _checked_url(url, "base_url", f"set wechat.accounts.*.base_url or {BASE_URL_ENV}, "
                                          "e.g. https://api.weixin.qq.com", "the AppSecret")


def _checked_url(url: str, key: str, example: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"WeChat {key} '{url}' is not an http(s) URL", hint=example)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(f"WeChat {key} '{url}' is plain http to another machine: {what} would "
                          f"travel unencrypted", hint="use https (plain http is allowed for 127.0.0.1 only)")
    return url


def redis_client(cfg: Config) -> Any | None:
    """The shared Redis (wechat.redis_url_env, else broker.url_env; see pipeline.redis_shared), else None."""
    from ...redis_shared import shared_redis

    return shared_redis(cfg)


def token_storage(cfg: Config, scope: str) -> SessionStorage:
    """Redis when wechat.redis_url_env names a set variable, else the state store."""
    client = redis_client(cfg)
    if client is not None:
        from wechatpy.session.redisstorage import RedisStorage

        return RedisStorage(client, prefix=f"peitu:{scope}")
    return StoreTokenStorage(Store.for_config(cfg), scope)


def build_client(cfg: Config, account: str | None = None, **overrides: Any) -> PeituClient:
    """A client for one configured account; AppID and AppSecret come from the environment (or, with
    relay_url, the key shared with the relay)."""
    name, acct = account_settings(cfg, account)
    if acct.relay_url:
        return relayed_client(name, acct, **overrides)
    appid, secret = get_secret(acct.appid_env), get_secret(acct.secret_env)
    missing = [env for env, value in ((acct.appid_env, appid), (acct.secret_env, secret)) if not value]
    if missing or not appid or not secret:
        raise ConfigError(f"WeChat account '{name}' needs {' and '.join(missing)}",
                          hint="set them in the environment or .env (see .env.example); "
                               "find them in 公众号后台 → 设置与开发 → 基本配置")
    from ...generate.ratelimit import wechat_throttle

    base_url = base_url_for(acct)
    options: dict[str, Any] = {"base_url": base_url, "session": token_storage(cfg, base_url),
                               "timeout": acct.timeout_s, "token_api": acct.token_api,
                               "names": {"appid_env": acct.appid_env, "secret_env": acct.secret_env},
                               "throttle": wechat_throttle(cfg, appid)}
    options.update(overrides)
    return PeituClient(appid, secret, **options)


def relayed_client(name: str, acct: Account, **overrides: Any) -> RelayedClient:
    """The account's client through `peitu relay` (relay_url), signing with the key in relay_key_env."""
    from ...relay.signing import MIN_KEY_CHARS, NEW_KEY_HINT

    url = _checked_url(acct.relay_url.rstrip("/") if acct.relay_url else "", "relay_url",
                       f"set wechat.accounts.{name}.relay_url to the relay's https URL", "the relay's answers")
    key = get_secret(acct.relay_key_env)
    if not key or len(key) < MIN_KEY_CHARS:
        raise ConfigError(f"WeChat account '{name}' calls the relay at {url} and needs the key shared with it in "
                          f"{acct.relay_key_env}" + (f" (at least {MIN_KEY_CHARS} characters)" if key else ""),
                          hint=f"set it in the environment or .env to the key relay.clients.{acct.relay_client} "
                               f"names on the relay ({NEW_KEY_HINT})")
    options: dict[str, Any] = {"timeout": acct.timeout_s, "names": {"relay_key_env": acct.relay_key_env}}
    options.update(overrides)
    return RelayedClient(url, key, acct.relay_client, **options)
