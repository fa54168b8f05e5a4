"""The jobs workers run, and what the scheduler sends.

  list_account(account)              read the account's draft box; send one draft job per draft that has
                                     something to do (the walk of `peitu nightly`, without the work)
  illustrate_draft(account, media_id) the work on one draft: `Nightly.run_draft`, the per-draft code of
                                     `peitu nightly`, under the draft's lock; DraftBusy (another worker holds
                                     it) is retried with backoff

Each worker process keeps its config (loaded once, see pipeline.queue.worker) and one engine per account look
(style and templates), so accounts that look alike share the image pool and the provider limits' state.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..engine import Engine
from ..errors import ConfigError, WeChatError
from ..publish.wechat.errors import QUOTA

log = logging.getLogger(__name__)

LIST_ACTOR = "peitu.list_account"
DRAFT_ACTOR = "peitu.illustrate_draft"


@dataclass
class WorkerContext:
    """What a worker process's jobs share: its config, its broker, its engines."""

    cfg: Config
    broker: Any
    engines: dict[tuple[str, str], Engine] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def engine(self, account: str) -> Engine:
        """The engine for an account's look, made on first use and kept for the process's life."""
        from ..publish.wechat.client import account_config, account_settings

        _, acct = account_settings(self.cfg, account)
        key = (acct.style or "", str(acct.templates or ""))
        with self.lock:
            if key not in self.engines:
                self.engines[key] = Engine(account_config(self.cfg, account))
            return self.engines[key]


    def warm_up(self) -> None:
        """Load at boot what the first job would otherwise wait for (the word lists, templates, the engines)."""
        from ..engine import plan
        from ..ingest import parse_article
        from ..models import IllustrateOptions
        from ..publish.wechat.client import account_config

        for account in self.cfg.wechat.accounts:
            self.engine(account)
        text = "<title>预热</title><h2>准备</h2><p>今天的天气很好，适合出门散步。</p>"
        article = parse_article(text, self.cfg, fmt="html")
        plan(article, account_config(self.cfg, next(iter(self.cfg.wechat.accounts))), IllustrateOptions())


_context: WorkerContext | None = None


def set_context(ctx: WorkerContext | None) -> None:
    global _context
    _context = ctx


def context() -> WorkerContext:
    if _context is None:
        raise ConfigError("this process is no peitu worker (start workers with `peitu worker`)")
    return _context


def list_account(account: str) -> None:
    """Send a draft job for each draft of `account` that has something to do."""
    from ..nightly import Nightly

    ctx = context()
    nightly = Nightly(ctx.cfg, account)
    try:
        drafts = nightly.drafts()
    except WeChatError as err:
        if err.errcode != QUOTA:
            raise
        log.warning("nightly [%s]: the draft box could not be read: %s (the next night goes on)", account, err)
        return
    actor = ctx.broker.get_actor(DRAFT_ACTOR)
    sent = 0
    for media_id, items in drafts:
        if nightly.pending(media_id, items):
            actor.send(account, media_id)
            sent += 1
    log.info("nightly [%s]: %d drafts, %d sent to workers", account, len(drafts), sent)


def illustrate_draft(account: str, media_id: str) -> None:
    """Illustrate one draft, resuming whatever an earlier try recorded."""
    from ..nightly import Nightly

    ctx = context()
    report = Nightly(ctx.cfg, account, engine=ctx.engine(account)).run_draft(media_id)
    log.info("%s (draft %s)", report.line(), media_id)
    for line in report.errors:
        log.warning("nightly [%s] %s", account, line)


def enqueue_accounts(cfg: Config, accounts: list[str]) -> list[str]:
    """Send one account job per account (what `peitu schedule` does when a broker is configured) → message ids."""
    from .broker import make_broker

    broker = make_broker(cfg)
    try:
        actor = broker.get_actor(LIST_ACTOR)
        return [actor.send(name).message_id for name in accounts]
    finally:
        broker.close()
