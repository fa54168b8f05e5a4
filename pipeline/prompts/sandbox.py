"""Jinja's immutable sandbox, bounded: a template an editor wrote can neither run forever nor build a
value that exhausts memory.

- Time: `time_limit()` arms a watchdog thread that raises RenderTimeout in the rendering thread when a
  render runs past its limit (nested loops over range, recursion through macros, loops over big lists).
  The exception is raised between bytecodes, so only Python-level work is interrupted: hence
- Size: every value the template makes with an operator (`*`, `+`, `**`, `%`, `~`), a filter, a call,
  an attribute or an item, and every value it prints, is checked against MAX_VALUE before any large
  allocation (string multiplication, join, replace, padding, format widths), and a render's whole
  output against MAX_OUTPUT. A breach raises RenderLimit (a jinja2 runtime error, so it carries the
  template's file and line).
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import jinja2
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import Concat
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

TIME_LIMIT = 1.0            # seconds per render; a normal prompt renders in well under a millisecond
MAX_VALUE = 100_000         # characters of a string or items of a collection a template may make
MAX_OUTPUT = 100_000        # characters one render may print, over all its blocks
MAX_POWER_BITS = 10_000     # `a ** b` with a result larger than this many bits is refused

_FORMAT_WIDTH = re.compile(r"\d{6,}")                                # a width or precision ≥ 100000
_STR_WIDTH_METHODS = {"center", "ljust", "rjust", "zfill", "expandtabs"}


class RenderLimit(jinja2.TemplateRuntimeError):
    """A template made, or asked for, a value or output over the limits."""


class RenderTimeout(BaseException):
    """Raised inside a render that ran past its time limit. A BaseException, so that no
    `except Exception` in a template's call chain can swallow it."""


# ---- sizes -------------------------------------------------------------------------------------

def size(value: Any, limit: int = MAX_VALUE) -> int:
    """Characters (strings) or items (collections, counted through nesting) in `value`, counted only
    up to just past `limit`; other values count the length of their text, or 1 when that is costly."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, dict):
        value = itertools.chain.from_iterable(value.items())
    elif not isinstance(value, (list, tuple, set, frozenset)):
        return 1
    total = 0
    stack: list[Iterator[Any]] = [iter(value)]
    while stack and total <= limit:
        for item in stack[-1]:
            if isinstance(item, (list, tuple, set, frozenset, dict)):
                total += 1
                stack.append(iter(item.items() if isinstance(item, dict) else item))
                break
            total += len(item) if isinstance(item, (str, bytes)) else 1
            if total > limit:
                break
        else:
            stack.pop()
    return total


def bounded(value: Any, what: str = "a value") -> Any:
    """`value`, or RenderLimit when it is over MAX_VALUE."""
    if size(value) > MAX_VALUE:
        raise RenderLimit(f"{what} of more than {MAX_VALUE:,} characters or items (a runaway template?)")
    return value


def _widths(fmt: str, args: Iterable[Any]) -> None:
    """Refuse a format string whose padding would be huge: `%999999999s`, `{:>999999999}`, `%*d`."""
    if _FORMAT_WIDTH.search(fmt) or any(isinstance(a, int) and not isinstance(a, bool) and a > MAX_VALUE
                                        and ("*" in fmt or "{" in fmt) for a in args):
        raise RenderLimit(f"a format width over {MAX_VALUE:,}")


def _ints(args: Iterable[Any], what: str) -> None:
    for a in args:
        if isinstance(a, int) and not isinstance(a, bool) and abs(a) > MAX_VALUE:
            raise RenderLimit(f"{what}: {a} is over {MAX_VALUE:,}")


def _materialized(items: Any, what: str) -> Any:
    """A sized sequence of `items` (a generator is read, but never past MAX_VALUE + 1 items)."""
    if isinstance(items, (str, list, tuple)):
        return items
    taken = list(itertools.islice(items, MAX_VALUE + 1))
    if len(taken) > MAX_VALUE:
        raise RenderLimit(f"{what} over more than {MAX_VALUE:,} items")
    return taken


def _replaced_size(value: str, old: str, new: str, count: int = -1) -> int:
    hits = len(value) + 1 if old == "" else value.count(old)
    if count >= 0:
        hits = min(hits, count)
    return len(value) + hits * (len(new) - len(old))


# ---- the environment -----------------------------------------------------------------------------

class _CodeGenerator(CodeGenerator):
    """`a ~ b ~ c` joins through the environment, so its size is checked before the join."""

    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        self.write("environment.joined((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """ImmutableSandboxedEnvironment whose operators, filters, calls, lookups and output are size-checked."""

    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset({"*", "+", "**", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, finalize=lambda value: bounded(value, "printed value"), **kwargs)
        self.filters = _BoundedFilters(self.filters)

    def joined(self, parts: tuple[Any, ...]) -> str:
        if sum(size(p) for p in parts) > MAX_VALUE:
            raise RenderLimit(f"joining (~) text of more than {MAX_VALUE:,} characters")
        return "".join(map(str, parts))

    def call_binop(self, context: Context, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "*":
            if isinstance(left, int) and isinstance(right, int) and \
                    left.bit_length() + right.bit_length() > MAX_POWER_BITS:
                raise RenderLimit("multiplying makes too large a number")
            seq, n = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int) and size(seq) * max(n, 0) > MAX_VALUE:
                raise RenderLimit(f"repeating (*) makes more than {MAX_VALUE:,} characters or items")
        elif operator_ == "+" and isinstance(left, (str, bytes, list, tuple)) and size(left) + size(right) > MAX_VALUE:
            raise RenderLimit(f"adding (+) makes more than {MAX_VALUE:,} characters or items")
        elif operator_ == "**" and isinstance(left, int) and isinstance(right, (int, float)) and abs(left) > 1 \
                and right > 0 and right * math.log2(abs(left)) > MAX_POWER_BITS:
            raise RenderLimit(f"{left} ** {right} is too large a number")
        elif operator_ == "%" and isinstance(left, str):
            _widths(left, right if isinstance(right, tuple) else (right,))
        return self.binop_table[operator_](left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        for a in itertools.chain(args, kwargs.values()):
            bounded(a, "an argument")
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            name = getattr(__obj, "__name__", "")
            if name in _STR_WIDTH_METHODS:
                _ints(itertools.chain(args, kwargs.values()), f"'…'.{name}()")
            elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
                if _replaced_size(owner, args[0], args[1], args[2] if len(args) > 2 else -1) > MAX_VALUE:
                    raise RenderLimit(f"replace() makes more than {MAX_VALUE:,} characters")
            elif name == "join" and args:
                items = _materialized(args[0], "join()")
                if size(items) + len(owner) * len(items) > MAX_VALUE:
                    raise RenderLimit(f"join() makes more than {MAX_VALUE:,} characters")
                args = (items, *args[1:])
        return bounded(super().call(__context, __obj, *args, **kwargs), "a call's result")

    def getattr(self, obj: Any, attribute: str) -> Any:
        return bounded(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return bounded(super().getitem(obj, argument))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        fmt = value.__self__

        @functools.wraps(wrapper)
        def checked(*args: Any, **kwargs: Any) -> str:
            _widths(fmt, itertools.chain(args, kwargs.values()))
            return bounded(wrapper(*args, **kwargs), "format()")
        return checked

    def render_bounded(self, chunks: Iterable[str], consumed: list[int]) -> str:
        """Join a render's output, counting into `consumed[0]` and stopping past MAX_OUTPUT."""
        out = []
        for chunk in chunks:
            consumed[0] += len(chunk)
            if consumed[0] > MAX_OUTPUT:
                raise RenderLimit(f"the template printed more than {MAX_OUTPUT:,} characters")
            out.append(chunk)
        return "".join(out)


class _BoundedFilters(dict):
    """The filter table, each filter wrapped: arguments and result size-checked, counts and widths
    (center(n), indent(n), batch(n), …) at most MAX_VALUE, and join/replace/format pre-checked."""

    def __init__(self, filters: dict[str, Callable[..., Any]]):
        super().__init__({name: _bounded_filter(name, fn) for name, fn in filters.items()})

    def __setitem__(self, name: str, fn: Callable[..., Any]) -> None:
        super().__setitem__(name, _bounded_filter(name, fn))


def _bounded_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    skip = 1 if getattr(fn, "jinja_pass_arg", None) is not None else 0   # the context / environment

    @functools.wraps(fn)
    def filtered(*args: Any, **kwargs: Any) -> Any:
        given = args[skip:]
        for a in itertools.chain(given, kwargs.values()):
            bounded(a, f"the value given to |{name}")
        _ints(itertools.chain(given[1:], kwargs.values()), f"|{name}")
        value = given[0] if given else None
        if name == "join" and value is not None:
            items = _materialized(value, "|join")
            sep = str(given[1] if len(given) > 1 else kwargs.get("d", ""))
            if size(items) + len(sep) * len(items) > MAX_VALUE:
                raise RenderLimit(f"|join makes more than {MAX_VALUE:,} characters")
            args = (*args[:skip], items, *given[1:])
        elif name == "replace" and isinstance(value, str) and len(given) >= 3:
            count = given[3] if len(given) > 3 and isinstance(given[3], int) else -1
            if _replaced_size(value, str(given[1]), str(given[2]), count) > MAX_VALUE:
                raise RenderLimit(f"|replace makes more than {MAX_VALUE:,} characters")
        elif name == "format" and isinstance(value, str):
            _widths(value, itertools.chain(given[1:], kwargs.values()))
        return bounded(fn(*args, **kwargs), f"|{name}")
    return filtered


# ---- time --------------------------------------------------------------------------------------

_set_async_exc = getattr(getattr(ctypes, "pythonapi", None), "PyThreadState_SetAsyncExc", None)


class _Watchdog:
    """One daemon thread that raises RenderTimeout in threads whose render ran past its deadline.
    Arming costs a lock and a dict entry; the thread is woken only when it must wake sooner."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._armed: dict[int, tuple[float, int]] = {}      # token → (deadline, thread id)
        self._tokens = itertools.count()
        self._wake = math.inf                                # when the thread wakes next
        self._thread: threading.Thread | None = None
        self._local = threading.local()

    @contextmanager
    def limit(self, seconds: float) -> Iterator[None]:
        if _set_async_exc is None or getattr(self._local, "active", False):
            yield                                            # no CPython API, or already limited
            return
        token, tid = next(self._tokens), threading.get_ident()
        deadline = time.monotonic() + seconds
        self._local.active = True
        try:
            with self._cond:
                self._armed[token] = (deadline, tid)
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="peitu-render-watchdog", daemon=True)
                    self._thread.start()
                if deadline < self._wake:
                    self._cond.notify()
            yield
        finally:
            self._local.active = False
            with self._cond:
                fired = self._armed.pop(token, None) is None
            if fired:                                        # raised already, or pending: clear it
                _set_async_exc(ctypes.c_ulong(tid), None)

    def _run(self) -> None:
        assert _set_async_exc is not None                    # limit() starts this thread only then
        with self._cond:
            while True:
                now = time.monotonic()
                for token, (deadline, tid) in list(self._armed.items()):
                    if deadline <= now:
                        del self._armed[token]
                        _set_async_exc(ctypes.c_ulong(tid), ctypes.py_object(RenderTimeout))
                self._wake = min((d for d, _ in self._armed.values()), default=math.inf)
                self._cond.wait(None if self._wake == math.inf else self._wake - now)


_watchdog = _Watchdog()


def time_limit(seconds: float = TIME_LIMIT) -> AbstractContextManager[None]:
    """Raise RenderTimeout in this thread if the block runs longer than `seconds` (not nestable:
    an inner limit inside an outer one is ignored)."""
    return _watchdog.limit(seconds)

