"""Files a user edits can never make peitu work forever, exhaust memory or crash: one table, every case.

Each case puts one hostile file into a project (a copy of the shipped templates and config), runs one
surface a user has (a CLI command through click, or the web editor over real HTTP), and asserts a clear
error that names the file (and line) or the config key, a PeituError (never "internal error"), within
a few seconds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import load_config
from pipeline.errors import ConfigError, PeituError
from pipeline.web import WebServer

from .conftest import REPO

WITHIN_S = 10.0                # every case ends within this on a busy CI machine (a runaway render stops after 1 s;
                               # a hang would run for minutes)
ARTICLE = """---
title: 成都火锅地图
peitu: {type: food, inline: 1}
---

周末和朋友去成都吃了十家火锅老店，这篇把锅底、菜品和排队都写清楚。

## 牛油锅底的秘密

一锅好的牛油锅底要炒够四十分钟，辣椒和花椒的比例决定了香味。老店的锅底更厚重，入口先香后辣。
"""
TEMPLATE = "templates/prompts/food.j2"
BLOCK = "{% block cover_prompt %}"

# ---- hostile YAML: (text, the problem as the error says it, whether it has a line) ----------------
LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True))
BOMBS: dict[str, tuple[str, str, bool]] = {
    "billion-laughs": (LAUGHS, "alias bomb", True),
    "self-reference": ("a: &a [1, *a]\n", "refers to a collection that contains it", True),
    "many-aliases": ("a: &a x\nb: [" + ", ".join(["*a"] * 150) + "]\n", "more than 100 aliases", True),
    "deep-flow": ("a: " + "[" * 200 + "]" * 200 + "\n", "nested too deeply", True),
    "deep-block": ("".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v\n", "nested too deeply", True),
    "huge-scalar": ("a: " + "x" * 6_000_000 + "\n", "too large", False),
}
NO_ALIASES = "aliases (*name) are not allowed in front matter"     # front matter refuses every alias

# ---- runaway templates: (code put at the start of the cover prompt, the problem, whether it has a line)
RUNAWAYS: dict[str, tuple[str, str, bool]] = {
    "nested-range": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                     "longer than 1 s", True),
    "string-multiplication": ("{{ 'x' * 1000000000 }}", "repeating (*)", True),
    # deep recursion is cut by Python's limit, or by the time limit first on a busy machine: either is bounded
    "macro-recursion": ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
                        "call each other too deeply|longer than 1 s", True),
    "macro-fan-out": ("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
                      "longer than 1 s", True),
    "big-list-output": ("{% for i in range(100000) %}{% for k in keywords %}{{ k }} {{ i }} {% endfor %}{% endfor %}",
                        "printed more than 100,000 characters", False),
    "doubling": ("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
                 "{% endfor %}{{ ns.s|length }}", "more than 100,000 characters", True),
    "join-bomb": ("{% set s = 'x' * 100000 %}{{ [s, s, s]|join }}", "|join of more than 100,000", True),
    "format-width": ("{{ '%999999999s' % title }}", "format width", True),
    "bytes-multiplication": ("{{ ('x' * 100000).encode() * 100000 }}", "repeating (*)", True),
}

# ---- config.yaml shapes: (text, what the error must say) -------------------------------------------
SECTIONS = ("paths", "images", "providers", "article_types", "schedule", "wechat", "library")
SHAPES = {"list": "[1, 2]", "number": "3", "null": "null", "text": "'x'"}
CONFIGS: dict[str, tuple[str, tuple[str, ...]]] = {
    **{f"{sec}-as-{kind}": (f"{sec}: {value}\n", (f"{sec}: must be a block",))
       for sec in SECTIONS for kind, value in SHAPES.items()},
    **{f"style-as-{kind}": (f"style: {value}\n", ("style: must be text",)) for kind, value in SHAPES.items()
       if kind != "text"},
    **{f"provider-settings-as-{kind}": (f"providers:\n  settings:\n    local: {value}\n",
                                        ("providers.settings.local: must be a block",))
       for kind, value in SHAPES.items()},
    "provider-settings-block-as-list": ("providers:\n  settings: [local]\n", ("providers.settings: must be a block",)),
    **{f"account-as-{kind}": (f"wechat:\n  accounts:\n    main: {value}\n", ("wechat.accounts.main: must be a block",))
       for kind, value in SHAPES.items()},
    "accounts-as-list": ("wechat:\n  accounts: [main]\n", ("wechat.accounts: must be a block",)),
    "account-name-a-path": ("wechat:\n  accounts:\n    ../x: {}\n", ("wechat.accounts", "cannot be a file name")),
    "type-rule-as-null": ("article_types:\n  rules:\n    food:\n", ("article_types.rules.food: must be a block",)),
    "keywords-as-list": ("article_types:\n  rules:\n    food: {label: 美食, keywords: [火锅]}\n",
                         ("article_types.rules.food.keywords: must be a block",)),
    "order-as-text": ("providers:\n  order: local\n", ("providers.order: must be a list",)),
    "time-as-number": ("schedule:\n  time: 200\n", ("schedule.time: must be text",)),
    "unknown-timezone": ("schedule:\n  timezone: Mars/Olympus\n",
                         ("schedule.timezone", "Mars/Olympus", "Asia/Shanghai")),
    "account-timezone": ("wechat:\n  accounts:\n    main:\n      schedule: {timezone: Asia/Beijing}\n",
                         ("wechat.accounts.main.schedule.timezone", "Asia/Shanghai")),
    "huge-number": ("images:\n  inline_count: 99999999999999999999999999\n", ("images.inline_count", "20")),
    "huge-quota": ("providers:\n  settings:\n    local: {daily_quota: 1e30}\n",
                   ("providers.settings.local.daily_quota",)),
    "huge-timeout": ("providers:\n  deadline_s: 1e300\n", ("providers.deadline_s", "86400")),
    "infinite": ("providers:\n  backoff_max_s: .inf\n", ("providers.backoff_max_s", "finite")),
    "not-a-number": ("library:\n  reuse_threshold: .nan\n", ("library.reuse_threshold", "finite")),
    "negative": ("providers:\n  settings:\n    local: {max_in_flight: -1}\n",
                 ("providers.settings.local.max_in_flight",)),
    "bool-as-number": ("images:\n  inline_count: yes\n", ("images.inline_count",)),
    "unicode-key": ("图片:\n  数量: 3\n", ("图片: unknown key",)),
    "integer-key": ("1: 2\n", ("1:",)),
    "unicode-provider-option-secret": ("providers:\n  settings:\n    硅基:\n      api_key: sk-SECRETVALUE\n",
                                       ("providers.settings.硅基.api_key", "environment")),
    "top-level-list": ("- style\n", ("top level must be a mapping",)),
    "bad-date": ("style: 2024-13-45\n", ("config.yaml", "not valid YAML")),
    "style-without-file": ("style: nosuch\n", ("style: style 'nosuch' has no file", "flat")),
    "account-style-without-file": ("wechat:\n  accounts:\n    main: {style: nosuch}\n",
                                   ("wechat.accounts.main.style", "nosuch")),
    "missing-font": ("paths:\n  font: fonts/none.otf\n", ("paths.font", "none.otf")),
    "missing-account-templates": ("wechat:\n  accounts:\n    main: {templates: nowhere}\n",
                                  ("wechat.accounts.main.templates", "nowhere")),
    "state-under-a-file": ("paths:\n  state: a-file/state.db\n", ("paths.state", "a-file is a file")),
    "state-is-a-folder": ("paths:\n  state: templates\n", ("paths.state", "is a folder")),
    "output-under-a-file": ("paths:\n  output: a-file/out\n", ("paths.output", "a-file is a file")),
    "cache-is-a-file": ("paths:\n  cache: a-file\n", ("paths.cache", "is a file, not a folder")),
    "glossary-is-a-folder": ("paths:\n  glossary: templates\n", ("paths.glossary", "is not a file")),
    "templates-is-a-file": ("paths:\n  templates: a-file\n", ("paths.templates", "is not a folder")),
    "path-with-nul": ('paths:\n  output: "out\\0put"\n', ("paths.output", "NUL")),
    "path-as-list": ("paths:\n  output: [a, b]\n", ("paths.output: must be a path",)),
    "empty-placeholder": ("wechat:\n  placeholder: ''\n", ("wechat.placeholder",)),
}
NOT_ROOT = pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")


@dataclass(frozen=True)
class Case:
    file: str                  # the hostile file, relative to the project
    text: str | Callable[[str], str]   # its content, or a function of the shipped content
    surface: str               # how the user meets it: load, check, preview, lint, illustrate, web-preview, web-save
    expect: tuple[str, ...]    # fragments the error must contain ("a|b": either)
    line: bool = False         # whether the error must give file:line


def _yaml_cases() -> list:
    out = []
    files = {"config.yaml": ("load",), "templates/glossary.yaml": ("preview", "lint", "web-preview"),
             "templates/styles/flat.yaml": ("preview", "lint", "illustrate"), "article.md": ("check", "illustrate")}
    for name, (text, problem, line) in BOMBS.items():
        for file, surfaces in files.items():
            if file == "article.md":                 # a huge front matter in an article under the 5 MB file limit
                body = f"---\n{text[:200_000].rstrip()}\n---\n\n正文。\n"
                says = "too large" if name == "huge-scalar" else NO_ALIASES if "*" in text else problem
                out += [pytest.param(Case(file, body, s, (file, says), line), id=f"{name}-front-matter-{s}")
                        for s in surfaces]
            else:
                out += [pytest.param(Case(file, text, s, (file, problem), line), id=f"{name}-{Path(file).name}-{s}")
                        for s in surfaces]
    return out


def _template_cases() -> list:
    out = []
    for name, (code, problem, line) in RUNAWAYS.items():
        poison = (lambda shipped, code=code, name=name: shipped.replace(BLOCK, BLOCK + f"{{# {name} #}}{code}", 1))
        out += [pytest.param(Case(TEMPLATE, poison, s, (TEMPLATE, problem), line), id=f"{name}-{s}")
                for s in ("preview", "lint", "illustrate", "web-preview", "web-save")]
    return out


def _config_cases() -> list:
    out = [pytest.param(Case("config.yaml", text, "load", ("config.yaml", *expect)), id=f"config-{name}")
           for name, (text, expect) in CONFIGS.items()]
    out.append(pytest.param(Case("config.yaml", "paths:\n  output: locked/out\n", "load",
                                 ("paths.output", "no permission")), id="config-output-without-permission",
                            marks=NOT_ROOT))
    return out


CASES = _yaml_cases() + _template_cases() + _config_cases()


# ---- the project and the surfaces ------------------------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def warm(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Load jieba, fonts and templates once per process, so each case's time is the case's own."""
    folder = tmp_path_factory.mktemp("warm")
    shutil.copytree(REPO / "templates", folder / "templates")
    shutil.copy(REPO / "config.yaml", folder / "config.yaml")
    (folder / "article.md").write_text(ARTICLE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(folder / "config.yaml"), "illustrate", str(folder / "article.md"),
                                      "--out", str(folder / "out"), "--inline", "0"], standalone_mode=False)
    assert result.return_value == 0, result.output


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the shipped templates and config, an article typed food, a plain file and a locked folder."""
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    (tmp_path / "article.md").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    (tmp_path / "locked").mkdir(mode=0o500)
    return tmp_path


def _cli(project: Path, *args: str) -> str:
    """Run `peitu ARGS`; the error a user sees. A non-peitu exception is the "internal error" we forbid."""
    result = CliRunner().invoke(cli, ["--config", str(project / "config.yaml"), *args], standalone_mode=False)
    if result.exception is not None:
        assert isinstance(result.exception, PeituError), f"internal error: {result.exception!r}\n{result.output}"
        return str(result.exception)
    assert result.return_value == 1, f"no error from {args}:\n{result.output}"      # what main() exits with
    return result.output


def _web(project: Path, case: Case) -> str:
    """Preview (or save) food.j2 in the editor, as the page does (the text is sent; the file on disk is the
    shipped one). For a hostile template, then show the editor is still free: a clean preview and a clean
    save answer at once, and the hostile text was never saved."""
    shipped = (REPO / TEMPLATE).read_text(encoding="utf-8")
    sent = (project / TEMPLATE).read_text(encoding="utf-8")
    (project / TEMPLATE).write_text(shipped, encoding="utf-8")
    save = case.surface == "web-save"
    with WebServer(load_config(project / "config.yaml"), "127.0.0.1", 0, article_dirs=[project]).start() as srv:
        def post(path: str, body: dict) -> requests.Response:
            return requests.post(srv.url.rstrip("/") + path, json=body, timeout=30,
                                 headers={"X-Peitu-Token": srv.page_token})
        article = str(project / "article.md")
        answer = post(f"/api/templates/food{'' if save else '/preview'}", {"source": sent, "path": article})
        assert answer.status_code == (400 if save else 200), answer.text
        data = answer.json()
        if case.file == TEMPLATE:
            started = time.monotonic()
            clean = post("/api/templates/food/preview", {"source": shipped, "path": article})
            assert clean.status_code == 200 and clean.json()["plans"], clean.text
            assert post("/api/templates/food", {"source": shipped}).json()["saved"] is True
            assert time.monotonic() - started < WITHIN_S
    assert (project / TEMPLATE).read_text(encoding="utf-8") == shipped          # nothing hostile was saved
    return "\n".join([data.get("error") or "", *(f"{p['where']}: {p['message']}" for p in data["problems"])])


def _surface(case: Case, project: Path) -> str:
    article = str(project / "article.md")
    if case.surface == "load":                # any command: the config is refused before it runs
        result = CliRunner().invoke(cli, ["--config", str(project / "config.yaml"), "check", article],
                                    standalone_mode=False)
        assert isinstance(result.exception, ConfigError), f"not refused: {result.exception!r}\n{result.output}"
        return str(result.exception)
    if case.surface == "check":
        out = _cli(project, "check", "--json", article)
        if out.lstrip().startswith("["):
            return "\n".join(f"{Path(f['file']).name}:{f['line']}: {f['message']}" for f in json.loads(out))
        return out
    if case.surface == "preview":
        return _cli(project, "templates", "preview", "food", "--article", article)
    if case.surface == "lint":
        return _cli(project, "templates", "lint")
    if case.surface == "illustrate":
        return _cli(project, "illustrate", article, "--out", str(project / "out"), "--inline", "0")
    return _web(project, case)


@pytest.mark.parametrize("case", CASES)
def test_hostile_file_gets_a_clear_error_in_seconds(case: Case, project: Path) -> None:
    target = project / case.file
    text = case.text(target.read_text(encoding="utf-8")) if callable(case.text) else case.text
    target.write_text(text, encoding="utf-8")
    started = time.monotonic()
    said = _surface(case, project)
    took = time.monotonic() - started
    assert took < WITHIN_S + (WITHIN_S if case.surface.startswith("web") else 0), f"took {took:.1f} s"
    shown = case.file if case.file != "article.md" else "article.md"
    for fragment in case.expect:
        assert any(f in said for f in fragment.split("|")), f"{fragment!r} not in:\n{said}"
    if case.line:
        assert re.search(re.escape(shown) + r":\d+", said), f"no {shown}:LINE in:\n{said}"
    assert "internal error" not in said and "内部错误" not in said and "Traceback" not in said
    assert "SECRETVALUE" not in said


def test_the_web_editor_stays_usable_while_a_runaway_preview_runs(project: Path) -> None:
    """A second editor's preview waits at most for the runaway's limit, then both answer."""
    shipped = (REPO / TEMPLATE).read_text(encoding="utf-8")
    runaway = shipped.replace(BLOCK, BLOCK + "{# concurrent #}" + RUNAWAYS["nested-range"][0], 1)
    with WebServer(load_config(project / "config.yaml"), "127.0.0.1", 0, article_dirs=[project]).start() as srv:
        def preview(source: str) -> requests.Response:
            return requests.post(srv.url.rstrip("/") + "/api/templates/food/preview", timeout=30,
                                 json={"source": source, "path": str(project / "article.md")},
                                 headers={"X-Peitu-Token": srv.page_token})
        answers: list[requests.Response] = []
        first = threading.Thread(target=lambda: answers.append(preview(runaway)))
        started = time.monotonic()
        first.start()                                         # the runaway first, then a clean one at once
        clean = preview(shipped)
        first.join(timeout=30)
        assert time.monotonic() - started < WITHIN_S
    assert clean.status_code == 200 and clean.json()["plans"] and not clean.json()["problems"]
    [problem] = [p for p in answers[0].json()["problems"] if p["severity"] == "error"]
    assert problem["file"] == TEMPLATE and "longer than 1 s" in problem["message"]


def test_the_real_command_never_says_internal_error(project: Path) -> None:
    """Through the entry point itself (main()): a config bomb, and an output folder that cannot be made,
    each end in a clear message and a non-zero exit code, within seconds (Python start-up included)."""
    config = str(project / "config.yaml")
    shipped = (project / "config.yaml").read_text(encoding="utf-8")
    (project / "config.yaml").write_text(LAUGHS, encoding="utf-8")
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "pipeline", "--config", config, "check", str(project / "article.md")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "config.yaml:" in run.stderr and "alias bomb" in run.stderr, run.stderr
    assert "内部错误" not in run.stderr and time.monotonic() - started < 3 * WITHIN_S
    (project / "config.yaml").write_text(shipped, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pipeline", "--config", config, "illustrate",
                          str(project / "article.md"), "--inline", "0", "--out", str(project / "a-file" / "out")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "a-file" in run.stderr and "Not a directory" in run.stderr, run.stderr
    assert "内部错误" not in run.stderr and "Traceback" not in run.stderr
