"""The one YAML loader for every file a user edits (config.yaml, styles, the glossary, front matter).

A safe loader alone still lets a small file hang or exhaust a process: an alias bomb ("billion laughs")
expands nine anchors into 10⁹ values as soon as anything walks them, and deep nesting overflows the
stack. So the text is first scanned as a stream of events (libyaml, no recursion), which enforces a
size limit, a depth limit, a bound on alias references and on the values they expand to, and refuses
an alias to a collection that contains it; only then is it built into Python values. Every error
names the file and line.
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import InputError, PeituError

Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_BYTES = 1_000_000          # config, styles, front matter: a few kB in practice
MAX_DEPTH = 32                 # nested mappings/lists
MAX_ALIASES = 100              # `*name` references in one file
MAX_EXPANSION = 10_000         # values aliases may add on top of the file's own


def load_yaml(text: str, where: str, *, error: type[PeituError] = InputError, what: str = "",
              first_line: int = 1, aliases: bool = True, max_bytes: int = MAX_BYTES) -> Any:
    """Parse one YAML document from `text` safely; problems raise `error` at `where:line`.

    `what` names the text in messages when it is part of a file ("front matter"); `first_line` is the file
    line the text starts on; `aliases=False` refuses `&anchor`/`*alias` altogether (for files with no use for them)."""
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise error(_said(what, f"too large: {size / 1e6:.1f} MB (limit {max_bytes / 1e6:g} MB)"), where=where,
                    hint="split it up, or remove what does not belong in it")
    try:
        _scan(text, where, error, what, first_line, aliases)
        loader = Loader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        at = f"{where}:{mark.line + first_line}" if mark else where
        problem = e.problem or e.context or str(e).splitlines()[0]
        if "nesting depth" in problem:             # libyaml's own limit, met while scanning ahead
            raise error(_said(what, f"nested too deeply (more than {MAX_DEPTH} levels)"), where=at) from None
        raise error(_said(what, f"not valid YAML: {problem}"), where=at,
                    hint="check indentation, and quote values that contain ': ' or start with [ { * & !") from None
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as e:
        raise error(_said(what, f"not valid YAML: {e}"), where=where) from None


def _said(what: str, problem: str) -> str:
    """"front matter is nested too deeply", or just "nested too deeply" when `where` is the whole file."""
    return f"{what} is {problem}" if what else problem


def _scan(text: str, where: str, error: type[PeituError], what: str, first_line: int, aliases: bool) -> None:
    """Walk the event stream and enforce the limits, without building anything."""
    loader = Loader(text)
    sizes: dict[str, int] = {}            # anchor → values it stands for, once its node is complete
    open_: list[tuple[str | None, int]] = []   # collections being read: (anchor, values before them)
    total = own = references = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            at = f"{where}:{event.start_mark.line + first_line}"
            if isinstance(event, yaml.AliasEvent):
                if not aliases:
                    raise error(f"aliases (*name) are not allowed in {what or 'this file'}", where=at,
                                hint="write the value out instead of *name")
                references += 1
                if any(anchor == event.anchor for anchor, _ in open_):
                    raise error(f"alias *{event.anchor} refers to a collection that contains it",
                                where=at, hint="an alias may only repeat a value that is complete")
                if references > MAX_ALIASES:
                    raise error(f"more than {MAX_ALIASES} aliases (*name)", where=at,
                                hint="write the values out; aliases this many look like an alias bomb")
                total += sizes.get(str(event.anchor), 0)   # an undefined alias fails when composed
                if total - own > MAX_EXPANSION:
                    raise error(f"aliases expand to more than {MAX_EXPANSION:,} values (an alias bomb?)",
                                where=at, hint="write the values out instead of nesting aliases")
            elif isinstance(event, yaml.CollectionStartEvent):
                if len(open_) >= MAX_DEPTH:
                    raise error(_said(what, f"nested too deeply (more than {MAX_DEPTH} levels)"), where=at)
                open_.append((event.anchor, total))
                total, own = total + 1, own + 1
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, before = open_.pop()
                if anchor is not None:
                    sizes[anchor] = total - before
            elif isinstance(event, yaml.ScalarEvent):
                total, own = total + 1, own + 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
    finally:
        loader.dispose()
