"""The 中文 → English glossary: longest match, pass-through, deliberate drops, and the shipped file."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import TemplateError
from pipeline.prompts.glossary import Glossary

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped() -> Glossary:
    path = REPO / "templates" / "glossary.yaml"
    return Glossary.parse(path, path.read_text(encoding="utf-8"))


def test_longest_match_wins() -> None:
    g = Glossary({"火锅": "hot pot", "火锅店": "hot pot restaurant", "成都": "Chengdu"})
    assert g.segment("成都火锅店排队") == ["Chengdu", "hot pot restaurant"]
    assert g.segment("四川火锅") == ["hot pot"]


def test_one_character_terms_match_only_whole_keywords() -> None:
    g = Glossary({"花": "flowers", "茶": "tea"})
    assert g.segment("花") == ["flowers"]
    assert g.segment("花钱买茶叶") == []


def test_ascii_words_pass_through_and_can_be_translated() -> None:
    g = Glossary({"绘画": "painting", "APP": "mobile app"})
    assert g.segment("AI绘画") == ["AI", "painting"]
    assert g.segment("iPhone 16发布") == ["iPhone"]          # a bare number says nothing visual
    assert g.segment("7B模型") == [] and g.translate(["12000", "GPT-4o", "x"]) == []
    assert g.segment("下载app") == ["mobile app"]


def test_empty_translation_drops_a_word_on_purpose() -> None:
    g = Glossary({"小编": "", "火锅": "hot pot"})
    assert g.translate(["小编", "火锅", "火锅", "HOT POT"]) == ["hot pot"]


def test_a_term_inside_a_longer_one_is_dropped() -> None:
    g = Glossary({"社区": "community", "社区食堂": "community canteen", "火锅": "hot pot", "锅": "pot"})
    assert g.translate(["社区", "火锅", "社区食堂", "锅"]) == ["hot pot", "community canteen"]


def test_filter_on_text_and_lists() -> None:
    g = Glossary({"火锅": "hot pot", "成都": "Chengdu"})
    assert g.jinja_filter("成都火锅") == "Chengdu, hot pot"
    assert g.jinja_filter(["成都", "未知"]) == ["Chengdu"]


def test_groups_are_flattened_and_bad_values_named(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    g = Glossary.parse(path, "food:\n  火锅: hot pot\nplaces:\n  成都: Chengdu\n小编:\n")
    assert g.terms == {"火锅": "hot pot", "成都": "Chengdu", "小编": ""}
    with pytest.raises(TemplateError, match=r"g.yaml: '火锅': the English must be text"):
        Glossary.parse(path, "火锅: [hot, pot]\n")
    with pytest.raises(TemplateError, match=r"g.yaml:2: not valid YAML"):
        Glossary.parse(path, "a: b\n  c: [\n")


def test_shipped_glossary_covers_every_article_type(shipped: Glossary) -> None:
    assert len(shipped) >= 500
    samples = {"美食": "delicious food", "小龙虾": "crayfish", "大理": "Dali", "人工智能": "artificial intelligence",
               "基金": "funds", "失眠": "insomnia", "幼儿园": "kindergarten", "面试": "job interview",
               "台风": "typhoon", "故宫": "the Forbidden City", "马拉松": "marathon", "猫咪": "cat",
               "充电桩": "charging station", "房贷": "mortgage"}
    for zh, en in samples.items():
        assert shipped.segment(zh) == [en], zh
    assert all(v == "" or v.isascii() for v in shipped.terms.values())
