"""The chat planner against the fake chat model: what it sends, how it reads and repairs answers, the
router's machinery around its calls (retries, Retry-After, breaker, quota, timeouts, URL policy, cache,
redacted logs), the fallback to rules, and the author's choices winning over whatever the model proposes."""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.engine import plan
from pipeline.generate import router_for
from pipeline.ingest import read_article
from pipeline.models import IllustrateOptions
from pipeline.plan.schema import read
from pipeline.publish.wechat.article import parse_draft_article

from .conftest import REPO, use_chat

HOTPOT = REPO / "examples" / "articles" / "food-chaoshan-beef-hotpot.md"
DALI = REPO / "examples" / "articles" / "travel-dali-four-days.md"
LLM = IllustrateOptions(planner="llm")
AUTHORED = """---
title: 成都火锅地图：10家老店实测
peitu: {type: food, inline: 2, no_image_after: [结语]}
---

开场白，先说说为什么要写这篇：成都的火锅店太多，老店更多。

## 锅底的秘密

牛油锅底要炒够四十分钟，郫县豆瓣、花椒和干辣椒一样都不能少，火候是老师傅的命根子。

## 作者自己放了图

![店门口](shop.jpg)

这家店开了三十年，门口永远排着队，老板说牛油每天现炒，从不隔夜。

## 必点的三样

毛肚、鸭肠和黄喉，一样不能少。毛肚七上八下，鸭肠烫十秒，黄喉要脆。

![熊猫吃火锅](__generate:一只熊猫在吃火锅__)

## 排队两小时值不值

周末晚上六点到店，前面还有八十桌。我们等了两个小时，吃完觉得值。

## 结语

总之，去成都一定要吃一顿火锅，最好是和朋友一起，点一锅红汤，慢慢涮。
"""


def idea(section: int, prompt: str) -> dict:
    return {"section": section, "purpose": "模型想放", "kind": "scene", "subjects": ["火锅"], "prompt": prompt}


# the model's plan for AUTHORED: another type, pictures after every section, the excluded and the author's first
PUSHY = {"type": "tech", "keywords": ["火锅", "成都", "人工智能"],
         "cover": {"concept": "火锅", "kind": "scene", "subjects": ["火锅"], "prompt": "a hot pot", "display_title": ""},
         "images": [idea(s, f"model picture after section {s}") for s in (5, 2, 3, 0, 4, 1)]}


def llm_plan(cfg: Config, path: Path = HOTPOT, **opts):
    return plan(read_article(path, cfg), cfg, IllustrateOptions(planner="llm", **opts))


# ── what is sent, and what comes of the answer ───────────────────────────────────────────

def test_the_request_and_the_plan_it_gives(cfg, chat):
    server = chat()
    planned = llm_plan(use_chat(cfg, server))
    [sent] = server.creates()
    body = sent.json
    assert sent.headers["authorization"] == "Bearer fake-key" and sent.path == "/v1/chat/completions"
    assert body["model"] == "fake-chat" and body["stream"] is False and body["max_tokens"] == 2000
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "plan" and body["response_format"]["json_schema"]["strict"]
    system, user = (m["content"] for m in body["messages"])
    assert [m["role"] for m in body["messages"]] == ["system", "user"] and "JSON" in system
    assert "§2 认识牛身上的十几个部位 [可配图]" in user and "§0 （开头 intro） [不配图]" in user
    article, plans, planning = planned
    assert (planning.planner, planning.asked, planning.model, planning.fallback) == ("llm", "llm", "fake-chat", "")
    assert article.type == "food" and article.keywords == planning.keywords
    inline = [p for p in plans if p.role == "inline"]
    assert len(inline) == 2                                       # the article's peitu: {inline: 2}
    assert inline[0].prompt.startswith("soft watercolor painting of a clear picture of")   # its style: watercolor
    assert inline[0].kind == "scene" and inline[0].purpose.startswith("展示") and inline[0].subjects
    usage = {r["provider"]: r for r in router_for(cfg).usage.report(1)}
    assert usage["planner"]["calls"] == 1


def test_an_answer_that_does_not_fit_gets_one_repair_turn(cfg, chat):
    server = chat()
    server.inject("wrongschema")
    planning = llm_plan(use_chat(cfg, server)).planning
    first, second = server.requests()
    assert planning.planner == "llm" and planning.fallback == ""
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    assert second["messages"][2]["content"] == '{"pictures": [{"where": "开头", "what": "一张图"}], "type": 42}'
    repair = second["messages"][3]["content"]
    assert "does not fit the schema" in repair and "- keywords: Field required" in repair
    assert "- type: Input should be a valid string" in repair and first["messages"] == second["messages"][:2]


@pytest.mark.parametrize("faults, why", [
    (("prose", "badjson"), "answered twice with no plan that fits the schema (not JSON"),
    (("length", "length"), "answered twice with no plan that fits the schema (not JSON"),
    (("401",), "chat model (planner, fake-chat): the key was refused (HTTP 401)"),
    (("oddshape",), "answered in a form peitu does not understand"),
])
def test_nonsense_or_failure_falls_back_to_rules_with_one_warning(cfg, chat, caplog, faults, why):
    server = chat()
    server.inject(*faults)
    caplog.set_level(logging.WARNING, logger="pipeline.plan")
    _article, plans, planning = llm_plan(use_chat(cfg, server))
    assert planning.planner == "rules" and planning.asked == "llm" and why in planning.fallback
    [warning] = [r.getMessage() for r in caplog.records]
    assert "\n" not in warning and "规划改用规则 planned by rules" in warning and why in warning
    rules = plan(read_article(HOTPOT, cfg), cfg, IllustrateOptions(planner="rules")).plans
    assert [p.prompt for p in plans] == [p.prompt for p in rules]
    if faults[0] == "length":
        assert "cut off after" in server.requests()[1]["messages"][3]["content"]


def test_429_waits_for_retry_after_and_5xx_is_retried(cfg, chat):
    server = chat(retry_after=0.2)
    server.inject("429", "503")
    started = time.monotonic()
    planning = llm_plan(use_chat(cfg, server)).planning
    assert planning.planner == "llm" and len(server.creates()) == 3 and time.monotonic() - started >= 0.2
    assert planning.attempts[0] == "planner: HTTP 429, retry 1 in 0.2s"
    assert planning.attempts[1].startswith("planner: HTTP 503, retry 2 in")


def test_a_server_that_keeps_failing_is_given_up_after_max_retries(cfg, chat):
    server = chat()
    server.inject("500", "502", "503", "500", "500")
    cfg.providers.max_retries = 2
    planning = llm_plan(use_chat(cfg, server)).planning
    assert len(server.creates()) == 3 and planning.planner == "rules"
    assert "server error (HTTP 503)" in planning.fallback and planning.attempts[-1].startswith("planner: failed —")


def test_a_refused_response_format_steps_down_and_is_remembered(cfg, chat):
    server = chat(formats=("json_object", "text"))
    use_chat(cfg, server)
    assert llm_plan(cfg).planning.planner == "llm"
    assert [r["response_format"]["type"] for r in server.requests()] == ["json_schema", "json_object"]
    assert llm_plan(cfg, DALI).planning.planner == "llm"
    assert server.requests()[-1]["response_format"] == {"type": "json_object"}


def test_a_plain_endpoint_answers_in_words_around_json(cfg, chat):
    server = chat(formats=("text",))
    planning = llm_plan(use_chat(cfg, server, structured="plain")).planning
    [body] = server.requests()
    assert "response_format" not in body and planning.planner == "llm"


def test_known_vendors_are_asked_for_json_object(cfg, chat):
    from pipeline.providers.base import Endpoint
    from pipeline.providers.chat import Chat

    modes = {url: Chat().mode_for(Endpoint("planner", url, "m")) for url in (
        "https://api.deepseek.com/v1", "https://dashscope.aliyuncs.com/compatible-mode/v1",
        "https://ark.cn-beijing.volces.com/api/v3", "https://open.bigmodel.cn/api/paas/v4",
        "https://api.moonshot.cn/v1", "https://api.openai.com/v1")}
    assert list(modes.values()) == ["json_object"] * 5 + ["json_schema"]


def test_a_slow_answer_times_out_and_a_dripping_one_ends_by_the_deadline(cfg, chat):
    slow = chat(latency=3.0)
    started = time.monotonic()
    planning = llm_plan(use_chat(cfg, slow, timeout_s=0.5)).planning
    assert planning.planner == "rules" and "timed out" in planning.fallback and len(slow.creates()) == 1
    assert time.monotonic() - started < 2.9          # not the 3 s answer: a request that timed out is not re-sent
    drip = chat(drip_s=0.05)
    drip.inject("drip")
    started = time.monotonic()
    planning = llm_plan(use_chat(cfg, drip, deadline_s=1.0)).planning
    assert "ran out of time" in planning.fallback and "planner.deadline_s = 1s" in planning.fallback
    assert time.monotonic() - started < 3


def test_the_plan_is_cached_until_the_article_prompt_or_model_changes(cfg, chat, tmp_path):
    server = chat()
    folder = tmp_path / "planner"
    shutil.copytree(REPO / "templates" / "planner", folder)
    cfg.paths.planner = folder
    use_chat(cfg, server)
    first = llm_plan(cfg).planning
    again = llm_plan(cfg)
    assert len(server.creates()) == 1 and again.planning.cached and not first.cached
    assert again.planning.planner == "llm" and again.article.keywords == first.keywords
    source = (folder / "plan.j2").read_text(encoding="utf-8")
    (folder / "plan.j2").write_text(source.replace("picture editor", "art director"), encoding="utf-8")
    assert not llm_plan(cfg).planning.cached and len(server.creates()) == 2
    cfg.planner.model = "fake-chat-2"
    assert not llm_plan(cfg).planning.cached and len(server.creates()) == 3


def test_no_key_breaker_quota_and_url_policy_keep_the_model_from_being_asked(cfg, chat, monkeypatch):
    server = chat()
    use_chat(cfg, server)
    monkeypatch.delenv("PEITU_TEST_CHAT_KEY")
    assert "no key: set PEITU_TEST_CHAT_KEY" in llm_plan(cfg).planning.fallback and not server.creates()

    monkeypatch.setenv("PEITU_TEST_CHAT_KEY", "sk-wrong")
    use_chat(cfg, server)
    assert "the key was refused" in llm_plan(cfg).planning.fallback         # a refused key rests it at once
    assert "resting after failures" in llm_plan(cfg, DALI).planning.fallback and len(server.creates()) == 1

    monkeypatch.setenv("PEITU_TEST_CHAT_KEY", str(server.key))
    use_chat(cfg, server, daily_quota=2)                                     # the refused call counts too
    assert llm_plan(cfg).planning.planner == "llm"
    assert "today's quota of 2 calls is used up (planner.daily_quota)" in llm_plan(cfg, DALI).planning.fallback

    use_chat(cfg, server, allow_http=False)
    assert "URL refused" in llm_plan(cfg, DALI).planning.fallback and len(server.creates()) == 2


def test_keys_never_reach_the_debug_log_and_model_keywords_must_be_in_the_text(cfg, chat, caplog, monkeypatch):
    secret = "sk-chat-7d3f9a1c2b4e6f8091a2"
    server = chat(key=secret, plans={"潮汕牛肉火锅": {
        "type": "food", "keywords": ["沙茶酱", "吊龙", "寿司", "东京"], "images": [],
        "cover": {"concept": "牛肉", "kind": "object", "subjects": ["吊龙"], "prompt": "beef", "display_title": ""}}})
    caplog.set_level(logging.DEBUG)
    planned = llm_plan(use_chat(cfg, server))
    assert planned.article.keywords == ["沙茶酱", "吊龙"] and planned.planning.dropped_keywords == 2
    assert "dropped 2 of 4 keywords the text does not hold" in caplog.text
    assert "→ POST http://127.0.0.1" in caplog.text and "Authorization: ***" in caplog.text
    assert secret not in caplog.text


# ── the author stays in charge ───────────────────────────────────────────────────────────

@pytest.fixture
def authored(cfg, chat, tmp_path):
    """The AUTHORED article and a config whose chat model answers PUSHY for it."""
    path = tmp_path / "hotpot.md"
    path.write_text(AUTHORED, encoding="utf-8")
    return path, use_chat(cfg, chat(plans={"成都火锅地图": PUSHY}))


def test_the_peitu_blocks_type_wins_over_the_models(authored):
    path, cfg = authored
    article, plans, planning = llm_plan(cfg, path)
    assert planning.planner == "llm" and article.type == "food" and {p.template for p in plans} == {"food"}
    assert article.keywords == ["火锅", "成都"]                    # 人工智能 is not in the text


def test_no_image_lands_after_an_excluded_section_or_beside_the_authors(authored):
    path, cfg = authored
    _, plans, _ = llm_plan(cfg, path, inline_count=6)
    assert [p.section_index for p in plans if p.role == "inline"] == [1, 4]   # not 结语 (5), 2, 3 or the intro


def test_the_inline_count_is_respected(authored):
    path, cfg = authored
    _, plans, _ = llm_plan(cfg, path)
    assert [p.section_index for p in plans if p.role == "inline"] == [1, 4]   # peitu: {inline: 2}, model's order
    _, plans, _ = llm_plan(cfg, path, inline_count=1)
    assert [(p.section_index, p.prompt.split(" of ", 1)[1][:30]) for p in plans if p.role == "inline"] == \
        [(4, "model picture after section 4,")]
    assert not [p for p in llm_plan(cfg, path, inline_count=0).plans if p.role == "inline"]


def test_generate_markers_and_placeholders_are_drawn_as_the_author_wrote(authored):
    path, cfg = authored
    marker = llm_plan(cfg, path).plans[-1]
    assert marker.key == "marker-1" and marker.prompt.startswith("一只熊猫在吃火锅")
    draft = {"title": "成都火锅地图：10家老店实测", "content":
             "<p>开头。</p><h2>锅底的秘密</h2><p>牛油锅底要炒够四十分钟，郫县豆瓣、花椒和干辣椒一样都不能少。</p>"
             "<p>【配图：夕阳下的长城】</p><h2>排队两小时值不值</h2><p>周末晚上六点到店，前面还有八十桌，等了两个小时。</p>"}
    article = parse_draft_article(draft, cfg, "default", "【配图】")
    nightly = IllustrateOptions(planner="llm", inline_count=0)        # what the nightly job asks with placeholders
    plans = plan(article, cfg, nightly).plans
    assert [p.key for p in plans] == ["cover", "marker-1"] and plans[1].prompt.startswith("夕阳下的长城")
    asked = router_for(cfg).usage.used("planner")
    own_cover = plan(article, cfg, IllustrateOptions(planner="llm", inline_count=0, cover=False))
    assert [p.key for p in own_cover.plans] == ["marker-1"] and router_for(cfg).usage.used("planner") == asked
    assert own_cover.planning.planner == "rules" and "nothing for the chat model to place" in own_cover.planning.fallback


def test_the_official_openai_sdk_completes_against_the_fake(chat):
    openai = pytest.importorskip("openai")
    server = chat(retry_after=0.2)
    server.inject("429")
    client = openai.OpenAI(api_key="fake-key", base_url=server.base_url, max_retries=1)
    schema = {"type": "object", "properties": {"type": {"type": "string"}}, "required": ["type"],
              "additionalProperties": False}
    reply = client.chat.completions.create(
        model="fake-chat", messages=[{"role": "user", "content": "标题 Title: 测试\n\n§1 第一节 [可配图]\n火锅和成都。"}],
        response_format={"type": "json_schema", "json_schema": {"name": "plan", "schema": schema, "strict": True}})
    answer = json.loads(reply.choices[0].message.content)
    assert reply.choices[0].finish_reason == "stop" and len(server.creates()) == 2      # it waited and retried
    assert answer["images"][0]["section"] == 1 and read(json.dumps(answer), {})[0] is not None
    with pytest.raises(openai.BadRequestError, match="must contain the word 'json'"):
        client.chat.completions.create(model="fake-chat", messages=[{"role": "user", "content": "hi"}],
                                       response_format={"type": "json_object"})
