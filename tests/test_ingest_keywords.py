"""Keywords an editor would pick, the user's dictionary and stop words, and type detection per genre."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.ingest import parse_article
from pipeline.ingest.article_type import detect_type, resolve_type, type_scores
from pipeline.ingest.keywords import extract_keywords, lexicon, plain_tfidf

HOTPOT = """---
title: 我们在成都吃了一顿火锅
---

# 我们在成都吃了一顿火锅

**2024** 年 10 月，我们这个小团队自己组织了一次团建，去了成都的春熙路。说实话，我们自己也没想到，这个火锅会这么好吃。

## 第 1 站：毛肚和鸭肠

我们点了 **毛肚**、鸭肠和黄喉。这个毛肚要七上八下，涮 15 秒就好。老板张师傅说，这个锅底是自己炒的，用了 3 斤牛油和郫县豆瓣。

## 第 2 站：逛街

吃完我们又去了春熙路逛街。这个地方人很多，我们自己拍了很多照片，the best trip ever。

> 小贴士：the 火锅 is very spicy，记得点一杯冰粉。
"""
FILLERS = {"我们", "这个", "自己", "一顿", "说实话", "the", "very"}


def is_noise(word: str) -> bool:
    return word in FILLERS or bool(re.fullmatch(r"[\d\W_]+", word))


def test_editor_keywords_beat_plain_tfidf_on_a_real_post(cfg: Config) -> None:
    a = parse_article(HOTPOT, cfg, fmt="markdown")
    plain = plain_tfidf(HOTPOT, 12)
    assert any(is_noise(w) for w in plain)                     # the baseline picks marks, pronouns, numbers
    assert not any(is_noise(w) for w in a.keywords)
    assert {"火锅", "毛肚", "成都", "春熙路", "张师傅"} <= set(a.keywords[:8])   # dish, place, person


def test_extract_keywords_on_text_and_article(cfg: Config) -> None:
    a = parse_article(HOTPOT, cfg, fmt="markdown")
    assert extract_keywords(a, 5, cfg) == a.keywords[:5]
    words = extract_keywords(a.text, 6, cfg)
    assert len(words) == 6 and "毛肚" in words and not any(is_noise(w) for w in words)
    assert extract_keywords("", 5, cfg) == []
    assert plain_tfidf("", 5) == []


def test_section_keywords_come_from_their_section(cfg: Config) -> None:
    a = parse_article(HOTPOT, cfg, fmt="markdown")
    by_heading = {s.heading: s.keywords for s in a.sections}
    assert "毛肚" in by_heading["第 1 站：毛肚和鸭肠"]
    assert "春熙路" in by_heading["第 2 站：逛街"] and "毛肚" not in by_heading["第 2 站：逛街"]
    assert all(len(k) <= 6 for k in by_heading.values())


def test_english_terms_kept_stray_english_dropped(cfg: Config) -> None:
    text = ("苹果发布了新款 iPhone，搭载 Apple Intelligence。OpenAI 的 ChatGPT 也接入了 iPhone。"
            "AI 手机成为 the next big thing，大模型 is everywhere，内存 16 GB。AI 让 iPhone 更聪明。")
    words = extract_keywords(text, 12, cfg)
    assert {"iPhone", "AI", "ChatGPT"} <= set(words)
    assert not {"the", "is", "next", "16", "GB"} & set(words)


def test_book_titles_count_as_one_term(cfg: Config) -> None:
    text = "最近重读了《百年孤独》。《百年孤独》讲的是布恩迪亚家族七代人的故事，马尔克斯写得极好。"
    assert "百年孤独" in extract_keywords(text, 5, cfg)


def test_user_dictionary_and_stop_words_are_editable(cfg: Config, tmp_path: Path,
                                                     capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "userdict.txt").write_text("# 我的词典\n喵星球 100 nz\n", encoding="utf-8")
    (tmp_path / "stopwords.txt").write_text("# 不要的词\n猫粮\n", encoding="utf-8")
    cfg.paths.userdict = tmp_path / "userdict.txt"
    cfg.paths.stopwords = tmp_path / "stopwords.txt"
    text = "喵星球的猫咪每天吃猫粮。喵星球上的猫粮很贵，猫咪们还是爱吃猫粮和小鱼干。"
    words = extract_keywords(text, 5, cfg)
    assert capfd.readouterr().err == ""                        # jieba initialises quietly
    assert words[0] == "喵星球" and "猫粮" not in words
    assert lexicon(cfg) is lexicon(cfg)                         # once per process per dictionary
    default_words = extract_keywords(text, 5, None)
    assert "喵星球" not in default_words and "星球" in default_words      # split without the user word


# ---- type detection ---------------------------------------------------------------------------------------

GENRES = {
    "tech": ("大模型跑进了手机", "今年的旗舰手机都在宣传端侧大模型。芯片厂商把 NPU 的算力翻了一倍，开源模型经过量化后可以离线运行。"),
    "finance": ("降息之后，存款怎么办", "央行宣布降息，银行存款利率随之下调。不少投资者把钱转向债券基金，也有人关注 A 股的估值。"),
    "food": ("一碗阳春面", "面条要用猪油和葱花打底，酱油只放一小勺。汤头清，口感爽滑，是最家常的味道，做法也简单。"),
    "travel": ("三天两夜的海岛行程", "我们从厦门坐船上岛，住在海边的民宿。景点不多，但沿着环岛路骑行，风景很美，门票也便宜。"),
    "health": ("总是失眠怎么办", "医生说，长期失眠会影响免疫力和血压。睡眠不好的患者先别急着用药，规律作息更重要。"),
    "education": ("孩子不爱写作业", "很多家长为作业发愁。老师建议，小学阶段先培养孩子的学习习惯，亲子阅读比刷题更有用。"),
    "career": ("第一次当管理者", "升职以后，你要学会带团队。和同事一对一沟通，定期汇报，别把绩效面谈拖到年底。离职率是团队健康的信号。"),
    "news": ("暴雨后的城市", "昨夜暴雨，多地发布预警。应急管理部门通报，救援队伍已经赶到，受灾居民被安置到社区避难点。"),
    "culture": ("苏轼在黄州", "宋朝的苏轼被贬黄州，写下了前后《赤壁赋》。这段历史让他的诗词和书法都走向了新的境界。"),
    "sports": ("一场难忘的决赛", "主场作战的球队在决赛最后一分钟进球，球员们冲向看台。这是俱乐部十年来第一个联赛冠军。"),
    "lifestyle": ("一个人住的第三年", "独居久了，越来越享受生活里的仪式感。周末收纳房间，断舍离一些旧物，情绪也跟着变得轻松。"),
    "auto": ("冬天开电动车", "寒潮来了，电动车的续航明显缩水。车主们发现，热泵空调比 PTC 更省电，充电桩前也排起了队。"),
    "realestate": ("要不要现在买房", "房价连续下跌，首付比例也降了。很多人在二手房和新房之间犹豫，公积金贷款利率更低。"),
}


@pytest.mark.parametrize("type_id", GENRES)
def test_each_genre_is_detected(cfg: Config, type_id: str) -> None:
    title, body = GENRES[type_id]
    article = parse_article(f"# {title}\n\n{body}", cfg, fmt="markdown")
    scores = type_scores(article, cfg)
    assert detect_type(article, cfg) == type_id, scores
    assert article.type == type_id


def test_unrelated_text_is_default_and_score_does_not_grow_with_length(cfg: Config) -> None:
    plain = parse_article("# 随笔\n\n今天下午阳光很好，我在窗边坐了一会儿。", cfg, fmt="markdown")
    assert detect_type(plain, cfg) == "default"
    short = parse_article("# 笔记\n\n" + "股票涨了。" + "窗外下着雨。" * 20, cfg, fmt="markdown")
    long = parse_article("# 笔记\n\n" + "股票涨了。" + "窗外下着雨。" * 2000, cfg, fmt="markdown")
    assert type_scores(long, cfg)["finance"] < type_scores(short, cfg)["finance"]


def test_type_names_resolve_from_ids_and_labels(cfg: Config) -> None:
    assert resolve_type("education", cfg) == "education"
    assert resolve_type("教育/育儿", cfg) == "education"
    assert resolve_type("育儿", cfg) == "education"
    assert resolve_type("时事", cfg) == "news"
    assert resolve_type("默认", cfg) == "default"
    assert resolve_type("Tech", cfg) == "tech"
    assert resolve_type("太空", cfg) is None


def test_traditional_text_is_typed_like_simplified(cfg: Config) -> None:
    article = parse_article("# 降息之後\n\n央行宣佈降息，銀行存款利率下調，投資者轉向債券基金。", cfg, fmt="markdown")
    assert article.type == "finance"
