"""The prompt template library: sandboxed Jinja templates (one per article type), styles and glossary.

Files are re-read only when they change on disk (mtime and size), and compiled templates are kept
per process, so planning an article costs a few stats and a render.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.loaders import split_template_path

from ..config import Config
from ..errors import InputError, PeituError, TemplateError
from .glossary import Glossary
from .sandbox import MAX_OUTPUT, TIME_LIMIT, BoundedSandbox, RenderLimit, RenderTimeout, time_limit
from .styles import Style, parse_style

log = logging.getLogger(__name__)

REQUIRED_BLOCKS = ("cover_prompt", "inline_prompt", "negative")
OPTIONAL_BLOCKS = ("label", "marker_prompt")
# every variable a template may use (see templates/prompts/README.md)
CONTEXT_VARS = ("title", "keywords", "keywords_zh", "section", "image", "type", "type_label", "style",
                "account", "role", "prompt")
SUFFIX = ".j2"

Signature = tuple[int, int]
SourceKey = tuple[tuple[str, str], ...]
# templates (by the content of every file they use) that ran past the time limit, with the file name,
# line and error: later renders fail at once instead of spending the limit again, until a file changes
_runaway: dict[SourceKey, tuple[str, int, TemplateError]] = {}
RUNAWAY_KEPT = 256


class TemplateLibrary:
    """Templates from `templates_dir` (when given) override those in the configured folder."""

    context_vars: tuple[str, ...] = CONTEXT_VARS     # what its templates may use (error hints)
    blocks: tuple[str, ...] = (*REQUIRED_BLOCKS, *OPTIONAL_BLOCKS)   # rendered when none are named

    def __init__(self, cfg: Config, templates_dir: Path | None = None):
        self.cfg = cfg
        dirs = [Path(templates_dir)] if templates_dir else []
        dirs.append(cfg.path(cfg.paths.templates))
        self.dirs = list(dict.fromkeys(d.resolve() for d in dirs))
        self.styles_dir = cfg.path(cfg.paths.styles).resolve()
        self.glossary_path = cfg.path(cfg.paths.glossary).resolve()
        self._files: dict[Path, tuple[Signature, str, str]] = {}
        self._styles: dict[Path, tuple[str, Style]] = {}
        self._glossary: tuple[str, Glossary] | None = None
        self._refs: dict[str, list[str]] = {}
        self.env = BoundedSandbox(
            loader=_Loader(self), undefined=jinja2.StrictUndefined, autoescape=False,
            trim_blocks=True, lstrip_blocks=True, auto_reload=True)
        self.env.filters["glossary"] = lambda value: self.glossary().jinja_filter(value)

    # ---- files -------------------------------------------------------------------------------

    def read(self, path: Path) -> tuple[str, str]:
        """(text, sha256) of a file, re-read only when its mtime or size changed."""
        try:
            st = path.stat()
        except FileNotFoundError:
            self._files.pop(path, None)
            raise
        sig = (st.st_mtime_ns, st.st_size)
        hit = self._files.get(path)
        if hit and hit[0] == sig:
            return hit[1], hit[2]
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TemplateError("must be UTF-8 text", where=self.display(path)) from None
        self._files[path] = (sig, text, hashlib.sha256(raw).hexdigest())
        return text, self._files[path][2]

    def display(self, path: str | Path) -> str:
        """A path as the user knows it: relative to the config folder where possible."""
        path = Path(path)
        try:
            return str(path.relative_to(self.cfg.root.resolve()))
        except ValueError:
            return str(path)

    def find(self, filename: str) -> Path | None:
        for d in self.dirs:
            p = d / filename
            if p.is_file():
                return p
        return None

    # ---- templates ---------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Template names (article type ids); files starting with _ are partials, not types."""
        found = {p.stem for d in self.dirs if d.is_dir() for p in d.glob("*" + SUFFIX)
                 if not p.name.startswith("_")}
        return sorted(found)

    def has(self, name: str) -> bool:
        return not name.startswith("_") and self.find(name + SUFFIX) is not None

    def path(self, name: str) -> Path:
        p = self.find(name + SUFFIX) if _valid_name(name) else None
        if p is None:
            raise TemplateError(f"no template '{name}'", where=self.display(self.dirs[0]),
                                hint=f"templates: {', '.join(self.names()) or '(none)'}")
        return p

    def source(self, name: str) -> str:
        return self.read(self.path(name))[0]

    def template(self, name: str) -> jinja2.Template:
        """The compiled template (cached; recompiled when the file changes)."""
        self.path(name)
        try:
            return self.env.get_template(name + SUFFIX)
        except jinja2.TemplateError as err:
            raise self._error(err) from None

    def label(self, name: str) -> str:
        """The type's Chinese label: config's article_types rule, else the template's label block."""
        rule = self.cfg.article_types.rules.get(name)
        if rule:
            return rule.label
        try:
            return self.render(name, {}, blocks=("label",)).get("label") or name
        except TemplateError:
            return name

    def version(self, name: str, style: str) -> str:
        """12 hex digits over the template (and partials it uses), the style file and the glossary."""
        h = hashlib.sha256()
        for filename, sha in self._source_key(name):
            h.update(filename.encode() + b"\0" + sha.encode() + b"\0")
        h.update(self._style_entry(style)[0].encode() + b"\0")
        h.update(self._glossary_entry()[0].encode())
        return h.hexdigest()[:12]

    def _source_key(self, name: str) -> SourceKey:
        """(file name, sha256) of the template and every template it uses."""
        found = ((f, self.find(f)) for f in self._closure(name + SUFFIX))
        return tuple((f, self.read(p)[1] if p else "-") for f, p in found)

    def _closure(self, filename: str) -> list[str]:
        """The template file and every template it extends, includes or imports (literal names)."""
        out, todo = [], [filename]
        while todo:
            f = todo.pop()
            if f in out:
                continue
            out.append(f)
            p = self.find(f)
            if p is None:
                continue
            text, sha = self.read(p)
            if sha not in self._refs:
                try:
                    self._refs[sha] = [r for r in meta.find_referenced_templates(self.env.parse(text)) if r]
                except jinja2.TemplateSyntaxError:
                    self._refs[sha] = []
            todo.extend(self._refs[sha])
        return out

    def render(self, name: str, context: dict[str, Any],
               blocks: Iterable[str] | None = None) -> dict[str, str]:
        """Render blocks (default: every required and optional block present) to tidy one-line text,
        within TIME_LIMIT seconds and MAX_OUTPUT characters (see .sandbox)."""
        if _runaway and (known := _runaway.get(self._source_key(name))):
            filename, at, seen = known                  # seen in another folder, maybe: name this one
            where = self.display(self.find(filename) or self.path(name)) + (f":{at}" if at else "")
            raise TemplateError(seen.message, where=where, hint=seen.hint)
        started = time.thread_time()
        try:
            with time_limit():
                return self._render(name, context, blocks)
        except RenderTimeout as timeout:
            err = self._error(timeout, self.path(name))
            if time.thread_time() - started >= TIME_LIMIT / 10:    # its own work, not a stalled process
                if len(_runaway) >= RUNAWAY_KEPT:
                    _runaway.pop(next(iter(_runaway)))
                file, _, line = (err.where or "").rpartition(":")
                file, line = (file, line) if line.isdigit() else (err.where or "", "0")
                _runaway[self._source_key(name)] = (Path(file).name, int(line), err)
            raise err from None

    def _render(self, name: str, context: dict[str, Any], blocks: Iterable[str] | None) -> dict[str, str]:
        tmpl = self.template(name)
        out: dict[str, str] = {}
        printed = [0]
        try:
            try:
                ctx = tmpl.new_context({**self.empty(), **context})
                ctx.blocks = _SetupBlocks(ctx.blocks)
                self.env.render_bounded(tmpl.root_render_func(ctx), printed)   # extends, top-level set, macros
                ctx.blocks = dict(ctx.blocks)
                for block in blocks or self.blocks:
                    if block in ctx.blocks:
                        out[block] = self.finish(self.env.render_bounded(ctx.blocks[block][0](ctx), printed))
            except PeituError:
                raise
            except (Exception, RenderTimeout):
                self.env.handle_exception()   # re-raises with the traceback in template lines
        except PeituError:
            raise
        except Exception as err:  # whatever a template raises stops this item only
            raise self._error(err, self.path(name)) from None
        return out

    def _error(self, err: BaseException, default: Path | None = None) -> TemplateError:
        """A TemplateError naming the template file and line of `err` (else the file `default`)."""
        if isinstance(err, jinja2.TemplateSyntaxError):
            filename, line, message = err.filename, err.lineno, err.message or str(err)
        else:
            filename, line = None, 0
            tb = err.__traceback__
            while tb is not None:
                f = tb.tb_frame.f_code.co_filename
                if f.endswith(SUFFIX):
                    filename, line = f, tb.tb_lineno
                tb = tb.tb_next
            message = str(err) if isinstance(err, jinja2.TemplateError) else f"{type(err).__name__}: {err}"
        if isinstance(err, RenderTimeout):
            message = f"rendering took longer than {TIME_LIMIT:g} s: a loop that never ends, or far too much work"
        elif isinstance(err, RecursionError):
            message = "macros call each other too deeply (a macro that calls itself without end?)"
        filename = filename or (str(default) if default else None)
        if isinstance(err, jinja2.TemplateNotFound):
            message = f"template '{err.name}' not found"
        where = self.display(filename) if filename else None
        if where and line:
            where = f"{where}:{line}"
        hint = None
        if isinstance(err, (RenderTimeout, RenderLimit)):
            hint = (f"a prompt needs a few hundred characters; keep loops small (a render may take "
                    f"{TIME_LIMIT:g} s and print {MAX_OUTPUT:,} characters)")
        elif isinstance(err, jinja2.UndefinedError):
            hint = "templates can use: " + ", ".join(self.context_vars) + " (see the README.md beside them)"
        return TemplateError(message, where=where, hint=hint)

    def empty(self) -> dict[str, Any]:
        """Every variable, empty: what a render's context starts from."""
        return _EMPTY

    def finish(self, text: str) -> str:
        """A rendered block as it is used: one tidy line."""
        return tidy(text)

    # ---- styles and glossary -----------------------------------------------------------------

    def style_names(self) -> list[str]:
        return sorted(p.stem for p in self.styles_dir.glob("*.yaml")) if self.styles_dir.is_dir() else []

    def style(self, name: str) -> Style:
        return self._style_entry(name)[1]

    def _style_entry(self, name: str) -> tuple[str, Style]:
        p = self.styles_dir / f"{name}.yaml"
        if not _valid_name(name) or not p.is_file():
            raise InputError(f"unknown style '{name}'", where=self.display(self.styles_dir),
                             hint=f"styles: {', '.join(self.style_names()) or '(none)'}")
        text, sha = self.read(p)
        hit = self._styles.get(p)
        if not hit or hit[0] != sha:
            hit = self._styles[p] = (sha, parse_style(Path(self.display(p)), text))
        return hit

    def glossary(self) -> Glossary:
        return self._glossary_entry()[1]

    def _glossary_entry(self) -> tuple[str, Glossary]:
        try:
            text, sha = self.read(self.glossary_path)
        except FileNotFoundError:
            if self._glossary is None or self._glossary[0] != "-":
                log.warning("glossary %s not found: prompts get no English for Chinese keywords",
                            self.display(self.glossary_path))
                self._glossary = ("-", Glossary({}))
            return self._glossary
        if self._glossary is None or self._glossary[0] != sha:
            self._glossary = (sha, Glossary.parse(Path(self.display(self.glossary_path)), text))
        return self._glossary


class _Loader(jinja2.BaseLoader):
    """Finds templates in the library's folders; a template is up to date while its file is."""

    def __init__(self, lib: TemplateLibrary):
        self.lib = lib

    def get_source(self, environment: jinja2.Environment,
                   template: str) -> tuple[str, str, Callable[[], bool]]:
        filename = "/".join(split_template_path(template))
        p = self.lib.find(filename)
        if p is None:
            raise jinja2.TemplateNotFound(template)
        text, sha = self.lib.read(p)

        def uptodate() -> bool:
            try:
                return self.lib.read(p)[1] == sha
            except (OSError, TemplateError):
                return False
        return text, str(p), uptodate


class _SetupBlocks(dict):
    """The block table while the template body runs: every block the body would print is skipped,
    so only the blocks asked for are rendered (and a cover render never touches inline_prompt)."""

    def __getitem__(self, key: str) -> list:
        return [_no_output]


def _no_output(context: Any) -> Iterator[str]:
    return iter(())


_EMPTY: dict[str, Any] = {
    "title": "", "keywords": [], "keywords_zh": [], "type": "", "type_label": "", "role": "",
    "prompt": "", "account": {"name": "", "author": ""}, "style": {},
    "section": {"heading": "", "keywords": [], "keywords_zh": [], "index": None, "number": 0},
    "image": {"kind": "", "purpose": "", "prompt": "", "subjects": [], "subjects_zh": []},
}
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _valid_name(name: str) -> bool:
    return bool(NAME.match(name))


def tidy(text: str) -> str:
    """One line: collapse whitespace, drop empty comma items and stray separators at the ends."""
    text = " ".join(text.split())
    text = re.sub(r"\s+([,.;])", r"\1", text)
    text = re.sub(r"([,;])(\s*[,;])+", r"\1", text)
    return text.strip(" ,;")
