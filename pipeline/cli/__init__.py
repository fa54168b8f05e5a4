"""The `peitu` command: a thin click group whose subcommands load lazily from their own modules."""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from ..config import Config, load_config
from ..errors import PeituError
from ..secrets import RedactingFilter, load_dotenv, redact

M_ARENA_MAX = -8                                # glibc's mallopt parameter

# name → "module:attribute"; each stage's commands live beside nothing else
COMMANDS: dict[str, str] = {
    "illustrate": "pipeline.cli.illustrate:illustrate",
    "plan": "pipeline.cli.plan:plan",
    "providers": "pipeline.cli.providers:providers",
    "usage": "pipeline.cli.providers:usage",
    "check": "pipeline.cli.check:check",
    "gallery": "pipeline.cli.gallery:gallery",
    "library": "pipeline.cli.library:library",
    "serve": "pipeline.cli.serve:serve",
    "web": "pipeline.cli.serve:serve",          # the editors' page is part of peitu serve
    "mcp": "pipeline.cli.mcp:mcp",
    "relay": "pipeline.cli.relay:relay",
    "templates": "pipeline.cli.templates:templates",
    "nightly": "pipeline.cli.nightly:nightly",
    "schedule": "pipeline.cli.schedule:schedule",
    "worker": "pipeline.cli.worker:worker",
    "sandbox": "pipeline.cli.sandbox:sandbox",
    "doctor": "pipeline.cli.doctor:doctor",
}


class LazyGroup(click.Group):
    """Imports a subcommand's module only when it runs, so `peitu --help` stays fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module), attr)


@dataclass
class App:
    """What every subcommand gets: the validated config (loaded on first use) and flags."""

    config_path: Path | None
    debug: bool
    _config: Config | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
            load_dotenv(self._config.root)
        return self._config


pass_app = click.make_pass_decorator(App)


def _setup_logging(debug: bool, verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING)
    for noisy in ("jieba", "PIL", "urllib3", "apscheduler.executors", "filelock", "pyrate_limiter"):
        logging.getLogger(noisy).setLevel(logging.WARNING if not debug else logging.INFO)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="config file (default: ./config.yaml, or built-in defaults when absent)")
@click.option("--debug", is_flag=True, help="log requests (secrets redacted) and show tracebacks")
@click.option("-v", "--verbose", is_flag=True, help="log each step")
@click.version_option(package_name="peitu")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, debug: bool, verbose: bool) -> None:
    """peitu (配图): illustrate 公众号 articles — cover, share crop and inline images.

    \b
    Quick start (offline, no keys):
      peitu illustrate examples/articles/*.md     # images + preview.html in output/
    Keys for hosted providers and WeChat go in the environment or .env (see .env.example).
    """
    load_dotenv()
    _setup_logging(debug, verbose)
    ctx.obj = App(config_path=config_path, debug=debug)


def _fewer_malloc_arenas() -> None:
    """glibc gives each thread its own malloc arena and returns little of it to the system; with the
    engine's pools that adds ~50 MB of peak memory for nothing. Two arenas, as MALLOC_ARENA_MAX=2 would
    (set before any thread starts; a no-op off glibc or when the variable is set)."""
    if sys.platform != "linux" or "MALLOC_ARENA_MAX" in os.environ:
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, 2)


def main() -> None:
    """Entry point: run the CLI, turning errors into a short redacted message (exit 2); --debug adds
    the traceback, redacted too (a URL in an exception may carry WeChat's access_token)."""
    _fewer_malloc_arenas()
    debug = "--debug" in sys.argv
    try:
        rc = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except Exception as err:  # the last line of defence: never a raw traceback
        if debug:
            import traceback
            click.echo(redact(traceback.format_exc()), err=True)
        if isinstance(err, PeituError):
            click.secho(f"错误 error: {redact(str(err))}", fg="red", err=True)
        elif isinstance(err, OSError) and err.filename:       # a file or folder peitu could not use
            click.secho(f"错误 error: {redact(str(err.filename))}: {err.strerror or err}", fg="red", err=True)
            click.echo("  → check the paths in config.yaml (paths.*) and on the command line: each must be a file "
                       "or folder as named there, that this user can read and write", err=True)
        else:
            click.secho(f"内部错误 internal error: {type(err).__name__}: {redact(str(err))}", fg="red", err=True)
            if not debug:
                click.echo("  → run again with --debug for the details, and report it", err=True)
        sys.exit(2)
    sys.exit(rc if isinstance(rc, int) else 0)
