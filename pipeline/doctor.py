"""`peitu doctor`: is this machine ready? Config, state, font, templates, providers, WeChat, schedule, and
(when configured) the broker: reachable, queue depth, worker heartbeats.

Each check gives ok / warn / fail, what it found, and what to do about it. Nothing here changes state
except opening the state file (which creates or migrates it), fetching a WeChat access token (shared
with every other peitu process) and one draft/count.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .config import Config, load_config
from .errors import PeituError, WeChatError
from .secrets import get_secret, redact

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass
class Check:
    area: str
    status: str          # ok | warn | fail
    found: str
    fix: str = ""


def check_config(path: Path | None) -> tuple[Config | None, Check]:
    try:
        cfg = load_config(path)
    except PeituError as err:
        return None, Check("config", FAIL, redact(err.message), err.hint or f"fix {err.where or 'config.yaml'}")
    source = str(path or "config.yaml") if (path or Path("config.yaml").exists()) else "built-in defaults"
    return cfg, Check("config", OK, f"{source} is valid")


def check_state(cfg: Config) -> Iterator[Check]:
    """The state database: which backend, reachable, its schema version and the migrations that were pending
    (opening it applies them), and for SQLite whether the file is private."""
    from .store import MIGRATIONS, SQLiteStore, Store

    try:
        started = time.monotonic()
        store = Store.for_config(cfg)
        with store.tx():                             # a write: the database is usable, not only readable
            version = store.version()
        took_ms = (time.monotonic() - started) * 1000
    except PeituError as err:
        yield Check("state", FAIL, err.message + (f" ({err.where})" if err.where else ""), err.hint or "")
        return
    pending = version - store.migrated_from
    found = (f"schema {version} of {len(MIGRATIONS)}"
             + (f", {pending} pending migration{'s' if pending > 1 else ''} applied now" if pending else ""))
    if not isinstance(store, SQLiteStore):
        yield Check("state", OK, f"PostgreSQL {store.where}: reachable ({took_ms:.0f} ms), {found}; "
                                 f"files in {store.folder}")
        return
    found = f"SQLite {store.path} ({found})"
    loose = [f"{p} is {stat.S_IMODE(p.stat().st_mode):o}" for p, mode in ((store.folder, 0o700), (store.path, 0o600))
             if stat.S_IMODE(p.stat().st_mode) & ~mode]
    if loose:
        yield Check("state", WARN, f"{found}; others may read it: {', '.join(loose)}",
                    f"chmod 700 {store.folder}; chmod 600 {store.path} (it holds the WeChat access token)")
    else:
        yield Check("state", OK, f"{found}, private to you")


def check_font(cfg: Config) -> Iterator[Check]:
    from .fonts import find_font

    try:
        path, _ = find_font(cfg.paths.font and cfg.path(cfg.paths.font))
        yield Check("font", OK, f"CJK font {Path(path).name}")
    except PeituError as err:
        yield Check("font", FAIL, err.message, err.hint or "")


def check_templates(cfg: Config) -> Iterator[Check]:
    from .prompts.lint import lint_templates

    folder = cfg.path(cfg.paths.templates)
    if not folder.is_dir():
        yield Check("templates", FAIL, f"{folder} does not exist", "set paths.templates in config.yaml")
        return
    try:
        findings = lint_templates(folder, cfg)
    except PeituError as err:
        yield Check("templates", FAIL, err.message, err.hint or "")
        return
    errors = [f for f in findings if f.level == "error"]
    if errors:
        yield Check("templates", FAIL, f"{len(errors)} problem(s), first: {errors[0]}", "run: peitu templates lint")
    else:
        yield Check("templates", OK, f"{len(list(folder.glob('*.j2')))} templates in {folder}"
                                     + (f", {len(findings)} warning(s)" if findings else ""))


def check_providers(cfg: Config, offline: bool) -> Iterator[Check]:
    from .generate import router_for
    from .providers import LOCAL

    last = [cfg.providers.last_resort] if cfg.providers.last_resort else []
    order = list(dict.fromkeys([*cfg.providers.order, *last]))
    hosted = [n for n in order if n != LOCAL]
    if LOCAL in order:
        yield Check("provider local", OK, "draws offline (always available)")
    elif not hosted:
        yield Check("providers", FAIL, "no provider in providers.order", "add local to providers.order")
    if not hosted:
        return
    try:
        router = router_for(cfg)
    except PeituError as err:
        yield Check("providers", FAIL, err.message, err.hint or "fix providers in config.yaml")
        return
    for name in hosted:
        why = router.unusable(name)
        if why:
            yield Check(f"provider {name}", WARN, why, "peitu falls back to the next provider meanwhile")
        elif offline:
            yield Check(f"provider {name}", OK, "key set (not contacted: --offline)")
        else:
            ok, text = router.check(name)
            yield Check(f"provider {name}", OK if ok else WARN, redact(text),
                        "" if ok else "peitu falls back to the next provider meanwhile")


def check_wechat(cfg: Config, offline: bool) -> Iterator[Check]:
    from .publish.wechat.client import base_url_for, build_client

    for name, acct in cfg.wechat.accounts.items():
        area = f"wechat {name}"
        needed = [acct.relay_key_env] if acct.relay_url else [acct.appid_env, acct.secret_env]
        missing = [env for env in needed if not get_secret(env)]
        if missing:
            yield Check(area, WARN, f"{' and '.join(missing)} not set (needed for --upload, nightly, schedule)",
                        "put it in .env: the key the relay has for this client" if acct.relay_url else
                        "put them in .env (see .env.example); 公众号后台 → 设置与开发 → 基本配置")
            continue
        try:
            url = acct.relay_url or base_url_for(acct)
            if offline:
                yield Check(area, OK, f"credentials set; {url} (not contacted: --offline)")
                continue
            client = build_client(cfg, name, busy_retries=0)
            client.fetch_access_token()
            total = client.draft.count()
        except WeChatError as err:
            status = FAIL if err.errcode in (40164, 40013, 40125, 40001, 48001, 40243, 50007) else WARN
            yield Check(area, status, err.message, _advice(err, acct.relay_url))
            continue
        except PeituError as err:
            yield Check(area, FAIL, err.message, err.hint or "")
            continue
        via = (f"through the relay at {acct.relay_url}" if acct.relay_url
               else "token OK (this server's IP is whitelisted)")
        yield Check(area, OK, f"{via}, draft box reachable: {total} drafts")


def _advice(err: WeChatError, relay_url: str | None) -> str:
    """What to do; for 40164 (IP not whitelisted) without a fixed IP here, the relay too."""
    hint = err.hint or ""
    if err.errcode != 40164:
        return hint
    if relay_url:
        return f"{hint} (the IP is the relay host's: whitelist it there)"
    return (f"{hint}; or, when this machine has no fixed IP (a laptop, CI, a cloud function), run `peitu relay` "
            "on a host that has one and set wechat.accounts.*.relay_url here (README: peitu relay)")


def check_schedule(cfg: Config) -> Iterator[Check]:
    from .publish.wechat.client import account_config

    for name in cfg.wechat.accounts:
        sched = account_config(cfg, name).schedule
        try:
            tz = ZoneInfo(sched.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            yield Check(f"schedule {name}", FAIL, f"unknown timezone '{sched.timezone}'",
                        "use an IANA name such as Asia/Shanghai")
            continue
        now = datetime.now(tz).strftime("%H:%M")
        yield Check(f"schedule {name}", OK, f"nightly at {sched.time} {sched.timezone} (now {now} there), "
                                             f"misfire grace {sched.misfire_grace_s} s")


def check_broker(cfg: Config, offline: bool) -> Iterator[Check]:
    """The broker (when configured): reachable, the queue's depth, the workers' heartbeats."""
    import time

    from .queue.broker import QUEUE, broker_source
    from .queue.health import queue_status

    if not cfg.broker.url_env:
        return
    source = broker_source(cfg)
    if source is None:
        yield Check("broker", FAIL, f"{cfg.broker.url_env} is not set (broker.url_env names it)",
                    "set it to redis://… in the environment or .env, or remove broker.url_env to run in one process")
        return
    if offline:
        yield Check("broker", OK, f"{cfg.broker.url_env} set (not contacted: --offline)")
        return
    try:
        import redis

        client = redis.Redis.from_url(source[1], socket_timeout=10, socket_connect_timeout=10)
        client.ping()
        status = queue_status(client, cfg.broker.namespace, QUEUE)
    except ImportError:
        yield Check("broker", FAIL, "a broker is configured but the redis package is missing",
                    "pip install 'peitu[workers]'")
        return
    except Exception as err:                 # redis errors name the host and port, never the password
        yield Check("broker", FAIL, f"cannot reach the broker in {cfg.broker.url_env} ({type(err).__name__})",
                    "check that Redis runs and the URL in that variable")
        return
    yield Check("broker", OK, f"Redis in {cfg.broker.url_env} reachable; queue '{QUEUE}': {status.waiting} waiting, "
                              f"{status.running} running, {status.delayed} to retry, {status.dead} failed for good")
    now = time.time()
    if not status.workers:
        yield Check("workers", WARN if status.waiting or status.delayed else OK, "no worker is running",
                    "start some: peitu worker (jobs wait in the queue meanwhile)")
        return
    listed = ", ".join(f"{w['host']}/{w['pid']} ({w['threads']} threads, {w['done']} done, {w['failed']} failed, "
                       f"beat {now - w['beat']:.0f} s ago)" for w in status.workers[:8])
    more = f" and {len(status.workers) - 8} more" if len(status.workers) > 8 else ""
    yield Check("workers", OK, f"{len(status.workers)} worker process(es): {listed}{more}")


def run_checks(config_path: Path | None, *, offline: bool = False,
               on_check: Callable[[Check], None] | None = None) -> list[Check]:
    """Every check in order; a check that cannot run because config failed is skipped."""
    from .secrets import load_dotenv

    checks: list[Check] = []

    def add(check: Check) -> None:
        checks.append(check)
        if on_check:
            on_check(check)

    cfg, first = check_config(config_path)
    add(first)
    if cfg is None:
        return checks
    load_dotenv(cfg.root)
    if os.environ.get("PEITU_WECHAT_BASE_URL"):
        add(Check("wechat base URL", WARN, f"PEITU_WECHAT_BASE_URL={os.environ['PEITU_WECHAT_BASE_URL']} "
                                           "overrides every account's base_url", "unset it to reach WeChat itself"))
    for group in (check_state(cfg), check_font(cfg), check_templates(cfg), check_providers(cfg, offline),
                  check_wechat(cfg, offline), check_schedule(cfg), check_broker(cfg, offline)):
        try:
            for check in group:
                add(check)
        except PeituError as err:
            add(Check("doctor", FAIL, err.message, err.hint or ""))
    return checks
