"""lint_templates: the shipped templates are clean; each kind of mistake is found with file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.prompts.lint import Finding, lint_templates

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path: Path) -> Config:
    shutil.copytree(REPO / "templates", tmp_path / "templates",
                    ignore=shutil.ignore_patterns("userdict.txt", "stopwords.txt"))
    return Config(root=tmp_path)


def tdir(cfg: Config) -> Path:
    return cfg.path(cfg.paths.templates)


def errors(findings: list[Finding]) -> list[str]:
    return [str(f) for f in findings if f.level == "error"]


def test_shipped_templates_styles_and_glossary_are_clean(cfg: Config) -> None:
    assert lint_templates(tdir(cfg), cfg) == []


def test_each_mistake_is_reported_with_file_and_line(project: Config) -> None:
    t = tdir(project)
    food = (t / "food.j2").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(food) if "hero shot" in line)
    food[at] = food[at].replace("{{ kw", "{{ sectoin.heading }} {{ kw")
    (t / "food.j2").write_text("\n".join(food), encoding="utf-8")
    (t / "syntax.j2").write_text("{% block cover_prompt %}\n{{ title }\n{% endblock %}", encoding="utf-8")
    (t / "half.j2").write_text("{% block label %}半{% endblock %}{% block cover_prompt %}x{% endblock %}"
                               "{% block negative %}y{% endblock %}", encoding="utf-8")
    (t / "attr.j2").write_text("{% extends 'default.j2' %}\n{% block inline_prompt %}\n\n"
                               "{{ section.heding }}{% endblock %}", encoding="utf-8")
    (t / "sandbox.j2").write_text("{% extends 'default.j2' %}\n{% block cover_prompt %}\n"
                                  "{{ title.__class__ }}{% endblock %}", encoding="utf-8")
    (t / "empty.j2").write_text("{% extends 'default.j2' %}\n{% block negative %} {% endblock %}",
                                encoding="utf-8")
    (project.path(project.paths.styles) / "neon.yaml").write_text(
        "label: 霓虹\nmedium: neon art\npositive: glow\npalette: {name: neon, colors: ['#zzzzzz', '#000000']}\n",
        encoding="utf-8")
    found = errors(lint_templates(t, project))
    assert found == [
        "templates/styles/neon.yaml: error: palette.colors.0: String should match pattern '^#[0-9A-Fa-f]{6}$'",
        "templates/prompts/attr.j2:4: error: 'dict object' has no attribute 'heding'",
        "templates/prompts/empty.j2: error: block 'negative' is missing or renders nothing for a cover image",
        f"templates/prompts/food.j2:{at + 1}: error: unknown variable 'sectoin' (templates can use: title, "
        "keywords, keywords_zh, section, image, type, type_label, style, account, role, prompt)",
        "templates/prompts/half.j2:1: error: missing block 'inline_prompt'",
        "templates/prompts/sandbox.j2:3: error: access to attribute '__class__' of 'str' object is unsafe.",
        "templates/prompts/syntax.j2:2: error: unexpected '}'",
    ]


def test_runtime_errors_on_bare_articles_are_found(project: Config) -> None:
    """A template that indexes keywords without a guard breaks only on an article without keywords."""
    (tdir(project) / "tech.j2").write_text(
        "{% block label %}科技{% endblock %}\n{% block cover_prompt %}\n{{ keywords[0] | upper }}"
        "{% endblock %}\n{% block inline_prompt %}x{% endblock %}{% block negative %}y{% endblock %}",
        encoding="utf-8")
    assert errors(lint_templates(tdir(project), project)) == [
        "templates/prompts/tech.j2:3: error: list object has no element 0"]


def test_warnings_do_not_count_as_errors(project: Config) -> None:
    (tdir(project) / "long.j2").write_text(
        "{% extends 'default.j2' %}{% block cover_prompt %}" + "very long words, " * 60 + "{% endblock %}",
        encoding="utf-8")
    (tdir(project) / "nolabel.j2").write_text(
        "{% block cover_prompt %}a{% endblock %}{% block inline_prompt %}b{% endblock %}"
        "{% block negative %}c{% endblock %}", encoding="utf-8")
    found = lint_templates(tdir(project), project)
    assert errors(found) == []
    assert {(f.file, f.level) for f in found} == {("templates/prompts/long.j2", "warning"),
                                                  ("templates/prompts/nolabel.j2", "warning")}
    assert any("cover prompt with style flat is" in f.message for f in found)
    assert any("no label block" in f.message for f in found)


def test_broken_glossary_and_missing_folder(project: Config, tmp_path: Path) -> None:
    project.path(project.paths.glossary).write_text("火锅: [hot, pot]\n", encoding="utf-8")
    assert "templates/glossary.yaml: error: '火锅': the English must be text, not list" in \
        errors(lint_templates(tdir(project), project))
    assert [str(f) for f in lint_templates(tmp_path / "nothing", Config(root=tmp_path))][-1].endswith(
        "nothing: error: no templates (*.j2) here")
