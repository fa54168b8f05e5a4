"""The plan stage offline: the rules planner, the author's limits, the Plan schema, the chat planner's
prompt (trimming, template, lint) and how a plan's ideas reach the image prompts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.models import Article, Marker, Section
from pipeline.plan import author, plan_article, rules_outline
from pipeline.plan.prompt import PlannerTemplates, context, lint_planner, trim
from pipeline.plan.rules import display_title, rules_plan
from pipeline.plan.schema import CoverIdea, ImageIdea, Plan, json_schema, read
from pipeline.prompts import plan_images

from .conftest import REPO


def article(**kw) -> Article:
    sections = [
        Section("", 0, ["开场白，先说说为什么要写这篇。" * 3]),
        Section("锅底的秘密", 2, ["牛油锅底要炒够四十分钟。" * 12], keywords=["锅底的秘密", "锅底", "牛油"]),
        Section("作者自己放了图", 2, ["很长的一段。" * 40], keywords=["毛肚"], has_image=True),
        Section("一句话", 2, ["就这样。"]),
        Section("必点的三样", 2, ["毛肚、鸭肠和黄喉，一样不能少。" * 8], keywords=["毛肚", "鸭肠", "黄喉"]),
        Section("排队两小时值不值", 2, ["周末晚上六点到店，前面还有八十桌。" * 4], keywords=["排队"]),
        Section("结语", 2, ["总之，去成都一定要吃一顿火锅，最好是和朋友一起。" * 6]),
    ]
    fields = dict(title="成都火锅地图：10家老店实测", sections=sections, slug="chengdu-hotpot", type="food",
                  text="\n".join(p for s in sections for p in (s.heading, *s.paragraphs)), body_html="",
                  keywords=["火锅", "成都", "牛油", "老店"])
    return Article(**(fields | kw))


# ── the rules planner ─────────────────────────────────────────────────────────────────

def test_rules_plan_chooses_sections_as_before_and_says_what_each_image_shows(cfg: Config) -> None:
    plan = rules_plan(article(title="成都火锅地图：十家开了三十年的老店，我们一家一家吃过去"), cfg, 3)
    assert plan.type == "food" and plan.keywords == ["火锅", "成都", "牛油", "老店"]
    assert [i.section for i in plan.images] == [1, 4, 6]      # not the intro, the author's image, the one-liner
    first, second, _ = plan.images
    assert "锅底的秘密" not in first.subjects and first.subjects[:2] == ["锅底", "牛油"]   # never the heading itself
    assert second.subjects[:2] == ["毛肚", "鸭肠"] and second.kind == "object"            # food: a still life
    assert second.subjects[2:] == ["火锅", "成都"]        # then the article's own (黄喉 is no word jieba can print)
    assert "必点的三样" in second.purpose
    assert plan.cover.display_title == "成都火锅地图" and plan.cover.subjects == ["成都", "火锅", "地图", "老店", "牛油"]


def test_rules_kind_follows_the_sections_words(cfg: Config) -> None:
    route = Section("第一天", 2, ["从古城出发，沿着洱海西岸骑行，途经喜洲，傍晚抵达双廊。" * 3], keywords=["洱海"])
    figures = Section("收益", 2, ["年化收益 3.5%，比去年增长 12%，占比 40%，手续费 0.1%。" * 2], keywords=["收益"])
    a = article(sections=[Section("", 0, ["开头。"]), route, figures], type="travel")
    assert [i.kind for i in rules_plan(a, cfg, 2).images] == ["map", "diagram"]
    assert [i.kind for i in rules_plan(article(), cfg, 1).images] == ["object"]


def test_display_title_only_for_long_titles() -> None:
    assert display_title("潮汕牛肉火锅：一头牛，十几个部位，八秒钟") == "潮汕牛肉火锅"
    assert display_title("大理四天三晚") == ""
    assert display_title("一个很长很长很长很长很长很长很长的没有停顿的标题") == ""   # no phrase says enough


# ── the author's limits ──────────────────────────────────────────────────────────────────

def test_any_proposal_yields_to_the_author(cfg: Config) -> None:
    a = article(options={"no_image_after": ["结语"]})
    proposal = Plan(type="tech", keywords=["火锅"], cover=CoverIdea(concept="x"), images=[
        ImageIdea(section=s, purpose="p", kind="scene", subjects=["火锅"]) for s in (6, 0, 2, 3, 5, 5, 4, 1)])
    kept = author.apply(proposal, a, 2)
    assert [i.section for i in kept.images] == [4, 5]       # the first two it may have, in article order
    assert [i.section for i in author.apply(proposal, a, 9).images] == [1, 4, 5]
    assert author.apply(proposal, a, 0).images == []
    assert author.inline_count(article(options={"inline": 1}), cfg, None) == 1
    assert author.inline_count(article(options={"inline": 1}), cfg, 2) == 2
    assert author.declared_type(article(options={"type": "food"}), cfg)
    assert author.declared_type(article(meta={"type": "美食"}), cfg)
    assert not author.declared_type(article(meta={"type": "image"}), cfg) and not author.declared_type(article(), cfg)


# ── the schema a chat model answers in ───────────────────────────────────────────────────

CHECKS = {"types": {"food": "food", "美食": "food", "tech": "tech"}, "sections": 7}
GOOD = {"type": "美食", "keywords": ["火锅", "牛油"], "cover": {"concept": "火锅", "kind": "scene", "subjects": ["火锅"],
                                                            "prompt": "a hot pot", "display_title": ""},
        "images": [{"section": 1, "purpose": "看锅底", "kind": "object", "subjects": ["牛油"], "prompt": "broth"}]}


def test_read_takes_json_plain_fenced_or_among_words() -> None:
    text = json.dumps(GOOD, ensure_ascii=False)
    for answer in (text, f"好的：\n```json\n{text}\n```\n", f"方案如下 {text} 祝顺利"):
        plan, errors = read(answer, CHECKS)
        assert errors == [] and plan is not None and plan.type == "food"    # a label is read as its id


def test_read_says_what_is_wrong_for_the_repair_turn() -> None:
    bad = GOOD | {"type": "宠物", "images": [{"section": 9, "purpose": "p", "kind": "cartoon", "subjects": []}]}
    plan, errors = read(json.dumps(bad, ensure_ascii=False), CHECKS)
    assert plan is None
    assert errors[0].startswith("type: '宠物' is not one of the types: food, tech")
    assert "images.0.section: no section 9: the article's sections are numbered 0 to 6" in errors
    assert any(e.startswith("images.0.kind: Input should be 'scene'") for e in errors)
    assert read("这篇文章很好。", CHECKS)[1][0].startswith("not JSON")


def test_json_schema_is_what_strict_structured_output_asks() -> None:
    schema = json_schema(["food", "tech"], 7)
    objects = [schema, *schema["$defs"].values()]
    assert all(o["additionalProperties"] is False and o["required"] == list(o["properties"]) for o in objects)
    assert schema["properties"]["type"]["enum"] == ["food", "tech"]
    assert schema["$defs"]["ImageIdea"]["properties"]["section"]["maximum"] == 6
    assert "title" not in json.dumps(schema).replace("display_title", "")


# ── the chat planner's prompt ────────────────────────────────────────────────────────────

def test_long_articles_keep_the_title_every_heading_and_each_sections_start(cfg: Config) -> None:
    long = "这一段很长，讲了很多细节。" * 200
    a = article(sections=[Section("", 0, ["开头一句。"]), *(Section(f"第{i}节", 2, [long]) for i in range(8)),
                          Section("短的一节", 2, ["只有一句话，全留下。"])])
    cfg.planner.max_chars = 3000
    ctx = context(a, cfg, count=3, cover=True, language="en", schema="{}")
    texts = [s["text"] for s in ctx["article"]["sections"]]
    assert ctx["article"]["trimmed"] and [s["heading"] for s in ctx["article"]["sections"]] == [s.heading for s in
                                                                                                 a.sections]
    assert sum(map(len, texts)) <= 3000 - len(a.title) - sum(len(s.heading) for s in a.sections)
    assert texts[0] == "开头一句。" and texts[-1] == "只有一句话，全留下。"          # short ones whole
    assert all(t.endswith("。…") and long.startswith(t[:-1]) and len(t) > 250 for t in texts[1:-1])
    assert trim(["abc", "de"], 10) == ["abc", "de"]


def test_planner_prompt_shows_sections_by_number_and_what_the_author_allows(cfg: Config) -> None:
    a = article(options={"no_image_after": ["结语"]})
    system, user = PlannerTemplates(cfg).messages(context(a, cfg, count=2, cover=True, language="zh", schema="{}"))
    assert "at most 2 inline pictures" in system and "JSON" in system and "in Chinese, 25 to 60 words" in system
    assert "food (美食)" in system and "display_title" in system
    assert "标题 Title: 成都火锅地图：10家老店实测" in user and "Type found offline: food (美食)" in user
    assert "§1 锅底的秘密 [可配图]" in user and "§2 作者自己放了图 [不配图]" in user and "§6 结语 [不配图]" in user


def test_planner_template_lint_and_version(cfg: Config, tmp_path: Path) -> None:
    assert lint_planner(cfg) == []
    folder = tmp_path / "planner"
    shutil.copytree(REPO / "templates" / "planner", folder)
    before = PlannerTemplates(cfg, folder).prompt_version()
    source = (folder / "plan.j2").read_text(encoding="utf-8")
    (folder / "plan.j2").write_text(source.replace("{{ article.title }}", "{{ article.titel }}")
                                    .replace("{% block repair %}", "{% block fix %}"), encoding="utf-8")
    assert [f.message for f in lint_planner(cfg, folder)] == ["missing block 'repair'"]
    assert PlannerTemplates(cfg, folder).prompt_version() != before
    (folder / "plan.j2").write_text(source.replace("{{ article.title }}", "{{ titel }}"), encoding="utf-8")
    assert "unknown variable 'titel'" in lint_planner(cfg, folder)[0].message
    (folder / "plan.j2").write_text(source.replace("JSON", "answer").replace("json", "answer"), encoding="utf-8")
    [quiet] = lint_planner(cfg, folder)
    assert quiet.level == "error" and "never say JSON" in quiet.message


# ── into the prompts ─────────────────────────────────────────────────────────────────────

def test_a_chat_models_prompt_goes_through_the_type_template_and_the_style(cfg: Config) -> None:
    a = article()
    plan = Plan(type="food", keywords=["火锅"], cover=CoverIdea(
        concept="老火锅", kind="scene", subjects=["火锅"], prompt="a copper hot pot on a busy table at night",
        display_title="成都火锅地图"), images=[ImageIdea(section=4, purpose="看清三样", kind="object",
                                                     subjects=["毛肚", "鸭肠"], prompt="tripe and duck intestine")])
    cover, inline = plan_images(a, cfg, plan=plan)
    assert cover.prompt.startswith("flat vector illustration of a copper hot pot on a busy table at night, "
                                   "the key subject in the centre, wide banner composition")
    assert cover.prompt.endswith("no text, no letters, no captions") and "menu" in cover.negative_prompt
    assert (cover.kind, cover.purpose, cover.subjects, cover.display_title) == ("scene", "老火锅", ["火锅"],
                                                                                "成都火锅地图")
    assert inline.prompt.startswith("flat vector illustration of tripe and duck intestine, ")
    assert (inline.section_index, inline.kind, inline.subjects, inline.purpose) == (4, "object", ["毛肚", "鸭肠"],
                                                                                   "看清三样")
    ruled = plan_images(a, cfg, inline_count=1)[1]      # rules: no prompt, the template writes one from subjects
    assert "of hot pot broth, beef tallow, Chengdu:" in ruled.prompt and ruled.subjects[:2] == ["锅底", "牛油"]


def test_markers_stay_the_authors_whatever_the_plan(cfg: Config) -> None:
    a = article(markers=[Marker(1, "一只熊猫在吃火锅", "熊猫")])
    outline = plan_article(a, cfg, planner="rules")
    plans = plan_images(outline.article, cfg, plan=outline.plan)
    marker = plans[-1]
    assert marker.key == "marker-1" and marker.prompt.startswith("一只熊猫在吃火锅")
    assert [p.key for p in plans] == ["cover", "inline-1", "inline-2", "inline-3", "marker-1"]
    assert rules_outline(a, cfg, 1).images[0].section == 1
    assert outline.planning.planner == outline.planning.asked == "rules" and outline.planning.type == "food"


def test_an_unknown_planner_is_a_config_error(cfg: Config) -> None:
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown planner 'gpt'"):
        plan_article(article(), cfg, planner="gpt")


def test_image_prompts_are_asked_in_chinese_only_for_models_that_read_it_best(cfg: Config) -> None:
    from pipeline.config import ProviderSettings
    from pipeline.plan.llm import prompt_language

    assert prompt_language(cfg) == "en"                                  # local first: English
    cfg.providers.order = ["local", "dashscope", "openai"]
    assert prompt_language(cfg) == "zh"                                  # 通义万相 wan2.x is the first hosted one
    cfg.providers.settings["dashscope"] = ProviderSettings.model_validate({"model": "flux-schnell"})
    assert prompt_language(cfg) == "en"
    cfg.providers.order = ["siliconflow"]
    assert prompt_language(cfg) == "zh"                                  # Kolors
    cfg.planner.prompt_language = "en"
    assert prompt_language(cfg) == "en"
