"""`peitu templates …` end to end, on a project folder holding a copy of the shipped templates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import load_config
from pipeline.errors import TemplateError
from pipeline.generate.cache import cache_key
from pipeline.ingest import read_article
from pipeline.prompts import plan_images

REPO = Path(__file__).resolve().parent.parent
ARTICLE = """---
title: 成都火锅地图：十家老店实测
peitu:
  inline: 2
---

周末和朋友去成都吃了十家火锅老店，这篇把锅底、菜品和排队都写清楚。

## 牛油锅底的秘密

一锅好的牛油锅底要炒够四十分钟，辣椒和花椒的比例决定了香味。老店的锅底更厚重，入口先香后辣。

## 毛肚和鸭肠怎么涮

毛肚七上八下，鸭肠涮十几秒就卷起来，口感脆嫩。再配一碟香油蒜泥，解辣又提香。

## 排队攻略

周末晚上六点到店，前面还有八十桌。建议下午四点前取号，或者工作日中午去。
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")      # style flat, the type rules
    (tmp_path / "hotpot.md").write_text(ARTICLE, encoding="utf-8")
    return tmp_path


@pytest.fixture
def run(project: Path):
    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--config", str(project / "config.yaml"), "templates", *args])
    return invoke


def test_list_shows_types_labels_versions_and_styles(run) -> None:
    out = run("list")
    assert out.exit_code == 0, out.output
    for type_, label in [("food", "美食"), ("realestate", "房产"), ("default", "通用"), ("news", "时事/社会")]:
        assert type_ in out.output and label in out.output
    for style in ("flat", "watercolor", "ink", "photo", "isometric", "minimal", "papercut"):
        assert style in out.output
    assert "14 个模板 templates × 7 种风格 styles" in out.output


def test_show_prints_the_file(run, project: Path) -> None:
    out = run("show", "food", "--style", "ink")
    assert out.exit_code == 0, out.output
    first, _, body = out.output.partition("\n")
    assert first.startswith("# food (美食)  templates/prompts/food.j2  version ") and "with style ink" in first
    assert body.rstrip("\n") == (project / "templates/prompts/food.j2").read_text(encoding="utf-8").rstrip("\n")
    missing = run("show", "pets")
    assert isinstance(missing.exception, TemplateError) and "no template 'pets'" in str(missing.exception)


def test_preview_prints_every_plan_without_generating(run, project: Path) -> None:
    out = run("preview", "food", "--article", str(project / "hotpot.md"), "--style", "watercolor")
    assert out.exit_code == 0, out.output
    text = out.output
    assert text.startswith("成都火锅地图：十家老店实测")
    assert "[cover] 1344×576" in text and "[inline-1] 1024×576" in text and "[inline-2]" in text
    assert "[inline-3]" not in text                                  # the article's peitu.inline: 2
    assert "style watercolor (pastel)" in text
    prompts = [line for line in text.splitlines() if line.startswith("  prompt:")]
    assert len(prompts) == 3 and all("soft watercolor painting of" in p and "no text" in p for p in prompts)
    assert "Chengdu" in prompts[0] and "hot pot" in prompts[0]     # title terms reach the cover prompt
    negatives = [line for line in text.splitlines() if line.startswith("  negative:")]
    assert all("watermark" in n and "letters" in n for n in negatives)
    assert not (project / "output").exists() and not (project / ".peitu").exists()   # nothing made

    as_json = json.loads(run("preview", "tech", "--article", str(project / "hotpot.md"), "--inline", "1",
                             "--json").output)
    assert [p["key"] for p in as_json] == ["cover", "inline-1"]
    assert {p["template"] for p in as_json} == {"tech"} and "glowing device" in as_json[0]["prompt"]


def test_lint_passes_and_fails_with_file_and_line(run, project: Path) -> None:
    ok = run("lint")
    assert ok.exit_code == 0, ok.output
    assert "✓ 14 个模板 templates: 0 个错误 errors" in ok.output
    food = project / "templates/prompts/food.j2"
    food.write_text(food.read_text(encoding="utf-8").replace("{% block negative %}", "{% block negative %}\n"
                                                             "{{ negativ }}"), encoding="utf-8")
    line = food.read_text(encoding="utf-8").splitlines().index("{{ negativ }}") + 1
    bad = run("lint")
    assert bad.exit_code == 1
    assert f"templates/prompts/food.j2:{line}: error: unknown variable 'negativ'" in bad.output
    assert "1 个错误 errors" in bad.output


def test_lint_another_folder(run, tmp_path: Path) -> None:
    other = tmp_path / "account-b"
    other.mkdir()
    (other / "food.j2").write_text("{% block cover_prompt %}x{% endblock %}", encoding="utf-8")
    out = run("lint", str(other))
    assert out.exit_code == 1 and "food.j2:1: error: missing block 'inline_prompt'" in out.output


def test_new_copies_sets_label_and_never_overwrites(run, project: Path) -> None:
    out = run("new", "pets", "--from", "lifestyle", "--label", "宠物")
    assert out.exit_code == 0, out.output
    created = project / "templates/prompts/pets.j2"
    text = created.read_text(encoding="utf-8")
    assert "{% block label %}宠物{% endblock %}" in text and "cozy, emotional everyday scene" in text
    assert "宠物" in run("list").output and run("lint").exit_code == 0
    assert "[cover]" in run("preview", "pets", "--article", str(project / "hotpot.md")).output

    created.write_text(text + "\n{# mine #}\n", encoding="utf-8")
    again = run("new", "pets")
    assert again.exit_code == 1 and "already exists" in again.output
    assert created.read_text(encoding="utf-8").endswith("{# mine #}\n")
    assert run("new", "Pets!").exit_code == 2
    assert isinstance(run("new", "x", "--from", "nope").exception, TemplateError)


def test_editing_a_template_changes_version_and_cache_key(run, project: Path) -> None:
    cfg = load_config(project / "config.yaml")
    article = read_article(project / "hotpot.md", cfg)
    assert article.type == "food"
    before = plan_images(article, cfg)[0]
    version = run("show", "food").output.split("version ")[1].split()[0]
    assert version == before.template_version

    food = project / "templates/prompts/food.j2"
    food.write_text(food.read_text(encoding="utf-8").replace("wooden table", "marble table"), encoding="utf-8")
    after = plan_images(article, cfg)[0]
    assert "marble table" in after.prompt and after.template_version != before.template_version
    assert cache_key(after) != cache_key(before)
    assert f"food@{after.template_version}" in run("preview", "food", "--article", str(project / "hotpot.md")).output
