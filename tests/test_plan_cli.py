"""`peitu plan` and `peitu illustrate --planner llm` as a user runs them (real subprocesses) against the fake
chat model, the fallback to rules with one warning line, `peitu templates lint` over the planner's
prompt, and the nightly job planning with the chat model."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.nightly import run_nightly

from .conftest import CHAT_KEY_ENV, MMBIZ_IMG, REPO, planner_settings, use_chat, wechat_config, write_config

DALI = REPO / "examples" / "articles" / "travel-dali-four-days.md"
HOTPOT = REPO / "examples" / "articles" / "food-chaoshan-beef-hotpot.md"


def peitu(folder: Path, *args: str, planner: dict | None = None, key: str | None = "fake-key"):
    config = write_config(folder, **({"planner": planner} if planner else {}))
    env = {k: v for k, v in os.environ.items() if k != CHAT_KEY_ENV} | {"COLUMNS": "200"}
    if key:
        env[CHAT_KEY_ENV] = key
    return subprocess.run([sys.executable, "-m", "pipeline", "--config", str(config), *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if " WARNING " in line]


def test_peitu_plan_shows_where_why_and_what_from_the_chat_model(tmp_path, chat):
    server = chat()
    run = peitu(tmp_path, "plan", str(DALI), "--planner", "llm", planner=planner_settings(server))
    assert run.returncode == 0, run.stderr
    assert "规划 planner: 模型 llm (fake-chat)" in run.stdout and "类型 type: travel" in run.stdout
    assert "§1 第一天：大理古城，只逛早晚" in run.stdout and "展示第一天" in run.stdout and "场景 scene" in run.stdout
    assert len(server.creates()) == 1

    as_json = peitu(tmp_path, "plan", str(DALI), str(HOTPOT), "--json", planner=planner_settings(server))
    dali, hotpot = json.loads(as_json.stdout)
    assert dali["plan"]["planner"] == "llm" and dali["plan"]["cached"] and dali["title"].startswith("大理")
    cover, inline, *_ = dali["images"]
    assert cover["role"] == "cover" and cover["display_title"] and cover["prompt"].startswith("flat vector")
    assert inline["section"] == 1 and inline["anchor"] and inline["subjects"] and inline["kind"] == "scene"
    assert "a clear picture of" in inline["prompt"] and inline["negative_prompt"]
    assert hotpot["plan"]["type"] == "food" and not hotpot["plan"]["cached"]
    assert [i["role"] for i in hotpot["images"]] == ["cover", "inline", "inline"]      # its peitu: {inline: 2}
    assert len(server.creates()) == 2                   # Dali's plan came from the cache


def test_peitu_plan_without_a_key_plans_by_rules_and_says_so_in_one_line(tmp_path, chat):
    server = chat()
    run = peitu(tmp_path, "plan", str(DALI), "--planner", "llm", planner=planner_settings(server), key=None)
    assert run.returncode == 0 and not server.creates()
    [warning] = warnings(run.stderr)
    assert "规划改用规则 planned by rules: chat model (planner): no key: set PEITU_TEST_CHAT_KEY" in warning
    assert "规划 planner: 规则 rules" in run.stdout and "模型规划未用上" in run.stdout
    missing = peitu(tmp_path, "plan", str(tmp_path / "nope.md"))
    assert missing.returncode == 1 and "nope.md" in missing.stderr


def test_illustrate_with_the_chat_planner_records_the_plan_in_the_manifest(tmp_path, chat):
    server = chat()
    out = tmp_path / "out"
    run = peitu(tmp_path, "illustrate", str(DALI), "--planner", "llm", "--provider", "local", "--inline", "2",
                "--out", str(out), planner=planner_settings(server, mode="rules"))
    assert run.returncode == 0, run.stderr
    manifest = json.loads(next(out.glob("*/manifest.json")).read_text(encoding="utf-8"))
    section = manifest["plan"]
    assert (section["planner"], section["asked"], section["model"], section["fallback"]) == ("llm", "llm",
                                                                                          "fake-chat", "")
    assert [i["key"] for i in section["images"]] == ["cover", "inline-1", "inline-2"]
    inline = [i for i in manifest["images"] if i["role"] == "inline"]
    assert all(i["prompt"].startswith("flat vector illustration of a clear picture of") for i in inline)
    assert section["images"][1]["heading"] == inline[0]["section"] and section["images"][1]["purpose"]
    assert manifest["article"]["keywords"] == section["keywords"]


def test_illustrate_falls_back_to_rules_when_the_chat_model_answers_nonsense(tmp_path, chat):
    server = chat()
    server.inject("prose", "wrongschema")
    out = tmp_path / "out"
    run = peitu(tmp_path, "illustrate", str(DALI), "--provider", "local", "--out", str(out),
                planner=planner_settings(server))
    assert run.returncode == 0, run.stderr
    [warning] = warnings(run.stderr)
    assert "planned by rules: answered twice with no plan that fits the schema" in warning
    section = json.loads(next(out.glob("*/manifest.json")).read_text(encoding="utf-8"))["plan"]
    assert section["planner"] == "rules" and section["asked"] == "llm" and "twice" in section["fallback"]
    assert len(server.creates()) == 2


def test_templates_lint_checks_the_planners_prompt(tmp_path):
    folder = tmp_path / "planner"
    folder.mkdir()
    (folder / "plan.j2").write_text((REPO / "templates" / "planner" / "plan.j2").read_text(encoding="utf-8")
                                    .replace("{{ article.title }}", "{{ article.title | nope }}"), encoding="utf-8")
    good = peitu(tmp_path, "templates", "lint")
    assert good.returncode == 0 and "规划提示词 planner prompt" in good.stdout
    bad = subprocess.run([sys.executable, "-m", "pipeline", "--config",
                          str(write_config(tmp_path, paths={"planner": str(folder)})), "templates", "lint"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1 and "planner/plan.j2" in bad.stdout and "nope" in bad.stdout


@pytest.mark.slow
def test_nightly_plans_with_the_chat_model_and_placeholders_still_win(tmp_path, fake, chat):
    server = chat()
    cfg = use_chat(load_config(wechat_config(tmp_path, fake)), server)
    cfg.paths.planner = REPO / "templates" / "planner"
    prose = "这一段讲的是具体的做法和经验，包括准备、步骤、常见问题和解决办法，读者可以照着去做。"
    plain = fake.add_editor_draft([{"title": "没有封面的草稿", "author": "编辑部", "content":
                                    f"<p>开头。{prose}</p><h2>第一部分</h2><p>{prose}</p><h2>第二部分</h2><p>{prose}</p>"}])
    marked = fake.add_editor_draft([{"title": "带占位符的草稿", "author": "编辑部", "content":
                                     f"<p>开头。{prose}</p><h2>第一部分</h2><p>{prose}</p><p>【配图：雨后的街道】</p>"}])
    report = run_nightly(cfg, planner="llm")
    assert report.illustrated == 2 and report.failed == 0
    assert len(server.creates()) == 2                               # both planned by the chat model
    assert len(MMBIZ_IMG.findall(fake.drafts[plain].news_item[0]["content"])) == 2
    assert len(MMBIZ_IMG.findall(fake.drafts[marked].news_item[0]["content"])) == 1   # only the placeholder's


def test_sandbox_starts_a_chat_model_that_peitu_plan_uses_as_printed(tmp_path, sandbox):
    env, text = sandbox("--chat", "--empty")
    settings = re.search(r"planner: \{mode: llm, base_url: (\S+), model: (\S+), key_env: (\w+), allow_http: true\}",
                         text)
    key_env, key = re.search(r"export (PEITU_SANDBOX_CHAT_KEY)=(\S+)", text).groups()
    assert settings and settings.group(3) == key_env
    config = write_config(tmp_path, planner={"mode": "llm", "base_url": settings.group(1),
                                             "model": settings.group(2), "key_env": key_env, "allow_http": True})
    run = subprocess.run([sys.executable, "-m", "pipeline", "--config", str(config), "plan", str(DALI), "--json"],
                         cwd=tmp_path, env={**env, key_env: key}, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)[0]["plan"]["planner"] == "llm" and "planned by rules" not in run.stderr
