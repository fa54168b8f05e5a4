"""The module Dramatiq's worker processes load (`python -m dramatiq pipeline.queue.worker:setup`, started by
`peitu worker`): the config named by PEITU_CONFIG, the broker it configures, and peitu's logging (redacted)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

CONFIG_ENV = "PEITU_CONFIG"


def setup() -> None:
    """Load the config, declare the broker and actors, and make this process's jobs use them."""
    import dramatiq

    from ..config import load_config
    from ..errors import PeituError
    from ..secrets import RedactingFilter, load_dotenv
    from .broker import make_broker
    from .jobs import WorkerContext, set_context

    path = os.environ.get(CONFIG_ENV)
    cfg = load_config(Path(path) if path else None)
    load_dotenv(cfg.root)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())
    for name in ("pipeline.queue", "pipeline.nightly"):
        logging.getLogger(name).setLevel(logging.INFO)
    for noisy in ("jieba", "PIL", "urllib3", "filelock", "pyrate_limiter"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    broker = make_broker(cfg)
    dramatiq.set_broker(broker)
    ctx = WorkerContext(cfg, broker)
    try:
        ctx.warm_up()
    except PeituError as err:                     # the jobs will say it again, each for its own account
        logging.getLogger(__name__).warning("warming up: %s", err)
    set_context(ctx)
