"""Keywords an editor would pick: clean, whole terms (names with digits, person names, titles of works,
recurring collocations), the user's dictionary and stop words. Type detection: test_article_type.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.ingest import parse_article
from pipeline.ingest.keywords import contains, extract_keywords, is_displayable, lexicon, plain_tfidf
from pipeline.ingest.terms import is_measure

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


JETS = ("今年的航展上，歼20 编队一亮相，看台上就响起了掌声。紧随其后的是运20，这架大型运输机在低空缓缓掠过。"
        "歼20 的表演只有短短几分钟，但观众们讨论了一整天。有人说运20 的起降比歼20 还要震撼。"
        "国产大飞机 C919 也来了，C919 停在静态展区，排队登机参观的有 200 人之多。展会共 5 天，票价 100 元，涨了 15%。")
PHONES = ("苹果发布了 iPhone 16，iPhone 16 全系支持 5G，5G 信号更稳。iPhone 16 的内存是 8 GB，能跑 7B 的模型，7B 模型够用。"
          "华为 Mate 60 Pro 依旧热卖，Mate 60 Pro 的卫星通话是最大卖点。2024 年，2024 年的手机都在讲 AI。")


def test_names_with_digits_are_kept_and_bare_numbers_dropped(cfg: Config) -> None:
    jets = extract_keywords(JETS, 12, cfg)
    assert {"歼20", "运20", "C919"} <= set(jets)
    phones = extract_keywords(PHONES, 12, cfg)
    assert {"iPhone 16", "Mate 60 Pro", "5G"} <= set(phones)
    for words in (jets, phones):
        assert not any(re.fullmatch(r"[\d.%]+", w) for w in words), words          # 200, 100, 15%, 2024
        assert not {"7B", "8", "GB", "8 GB", "200人", "100元", "20", "16"} & set(words), words


def test_measurements_are_not_names() -> None:
    for token in ("2024", "15%", "3.5", "7B", "10g", "16GB", "120Hz", "4K", "1080P", "5km", "1st"):
        assert is_measure(token), token
    for token in ("C919", "5G", "3D", "4o", "A100", "M3", "iPhone"):
        assert not is_measure(token), token


def test_a_number_after_a_quantity_word_is_no_name(cfg: Config) -> None:
    text = "他用了3斤牛油。约200人到场，约200人排队。价格是30，后来又是30。第25届年会，第25届年会。"
    words = extract_keywords(text, 12, cfg)
    assert not any(re.search(r"\d", w) for w in words), words


def test_names_jieba_splits_are_joined(cfg: Config) -> None:
    text = ("李笑来在书里写道，定投是普通人最好的投资方式。李笑来认为，时间是普通人唯一的优势。"
            "莫扎特的妻子有一个姐姐，叫阿罗伊齐亚。阿罗伊齐亚是当时有名的女高音，莫扎特曾经爱过阿罗伊齐亚。"
            "张伟说，定投要坚持。张伟认为，普通人更该定投。")
    words = extract_keywords(text, 10, cfg)
    assert {"李笑来", "阿罗伊齐亚", "莫扎特", "张伟"} <= set(words)
    assert not {"李笑", "阿罗", "伊齐亚", "张伟说"} & set(words)


def test_titles_of_works_and_quoted_terms_are_one_term(cfg: Config) -> None:
    text = ("余华的《活着》写的是福贵的一生。《活着》出版三十年，依然畅销。后来莫扎特的《G小调第25交响曲》被用在电影里。"
            "最近流行一个词叫“一人公司”。“一人公司”的关键是产品要小。他说“不知道”，又说“不知道”。")
    words = extract_keywords(text, 8, cfg)
    assert {"活着", "G小调第25交响曲", "一人公司"} <= set(words)
    assert "不知道" not in words


def test_recurring_collocations_are_one_term(cfg: Config) -> None:
    text = ("今年的旗舰手机都在宣传端侧大模型。端侧大模型不联网也能用，端侧大模型的隐私更好。"
            "云端的大模型更强，但要联网。手机厂商都在做大模型。")
    words = extract_keywords(text, 6, cfg)
    assert "端侧大模型" in words and "端侧" not in words
    assert sum(contains(w, "大模型") for w in words) == 1             # no fragment next to its term


def test_a_noun_and_its_one_character_head_are_one_term(cfg: Config) -> None:
    text = "这道上汤娃娃菜清甜鲜美。娃娃菜洗净切段，烧一锅热水，娃娃菜放进去十秒钟捞出，再放入娃娃菜和金针菇。"
    words = extract_keywords(text, 6, cfg)
    assert words[0] == "娃娃菜" and "娃娃" not in words
    assert "十秒钟" not in words                          # a quantity, though jieba tags it an idiom


@pytest.mark.parametrize(("first", "later"), [("敦煌", "洛阳"), ("洛阳", "敦煌")])
def test_the_first_paragraph_says_what_the_text_is_about(cfg: Config, first: str, later: str) -> None:
    body = (f"这个假期我去了{first}，看了石窟。\n\n路上风景很好，天气也晴朗。\n\n"
            f"回来的路上经过{later}，在车站吃了一碗面。\n\n旅行结束了，照片存满了手机。")
    article = parse_article(f"# 假期\n\n{body}", cfg, fmt="markdown")
    words = article.keywords
    assert words.index(first) < words.index(later)


def test_topical_words_count_whatever_their_part_of_speech(cfg: Config) -> None:
    text = ("手机应用越来越多地收集个人信息，隐私保护成了用户最关心的事。有的应用在后台读取通讯录。"
            "专家建议关闭不必要的权限。保护隐私不只是用户的事，隐私政策也要写清楚。加入会员之前，先看隐私条款。")
    words = extract_keywords(text, 8, cfg)
    assert "隐私" in words[:3]                            # tagged 区别词 (b) by jieba, yet the topic
    assert not {"加入", "越来越", "建议", "不只是"} & set(words)


def test_words_jieba_does_not_know_count_when_they_recur(cfg: Config) -> None:
    text = ("微博改变了信息传播。一条微博被转发上万次，微博上的谣言也跑得更快。我妈也开始刷微博，"
            "我妈说微博上什么都有。看微博的人越来越多，微博成了很多人获取新闻的渠道。")
    words = extract_keywords(text, 6, cfg)
    assert words[0] == "微博"                             # not in jieba's dictionary
    assert not {"我妈", "微博上"} & set(words)             # HMM words holding a pronoun or a particle


def test_addresses_are_not_keywords(cfg: Config) -> None:
    text = ("家里的灯接入了 HomeAssistant。文档在 https://developers.home-assistant.io/docs/api/rest/ ，"
            "令牌在 https://my.home-assistant.io/redirect/profile/ 创建，邮件发到 help@example.com。"
            "HomeAssistant 的自动化让灯在电脑唤醒时打开。")
    words = extract_keywords(text, 8, cfg)
    assert "HomeAssistant" in words
    assert not {"home", "assistant", "io", "docs", "https", "example", "com"} & {w.lower() for w in words}


def test_a_designation_starts_at_a_word(cfg: Config) -> None:
    text = "迪卡侬49文的抓绒衣很暖和。我买了两件迪卡侬49文的抓绒衣，骑行时换着穿。抓绒衣便宜好用。"
    words = extract_keywords(text, 8, cfg)
    assert "迪卡侬" in words and not any(re.search(r"\d", w) for w in words)


def test_a_word_and_a_longer_word_of_its_own_are_two_keywords(cfg: Config) -> None:
    text = ("潮汕人吃牛肉讲究现切。牛肉分成十几个部位，牛肉下锅八秒就捞。手打牛肉丸弹牙，"
            "牛肉丸要最后下锅，牛肉丸煮久了不怕老。牛肉的鲜全靠现切。")
    words = extract_keywords(text, 6, cfg)
    assert {"牛肉", "牛肉丸"} <= set(words)


def test_english_words_are_matched_as_words() -> None:
    assert contains("AI手机", "AI") and contains("iPhone 16", "iPhone") and contains("长沙马拉松", "马拉松")
    assert not contains("OpenAI", "AI") and not contains("Pro", "iPhone")


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


# --- brief 12b: generic words, foreign lines, field terms, fragments, printable keywords ---------------------

def test_a_common_noun_gives_way_to_a_specific_one(cfg: Config) -> None:
    text = ("工作以后我才去学车。驾校离公司很远，工作日没空，周末去驾校练车。工作再忙也要练，"
            "教练说工作和学车一样要专心。驾校的教练车很旧。")
    words = extract_keywords(text, 4, cfg)
    assert words.index("驾校") < words.index("工作") if "工作" in words else "驾校" in words


def test_lines_without_chinese_give_no_keywords_in_a_chinese_text(cfg: Config) -> None:
    body = ("这篇讲银行开户。开户要带护照和学生证，银行柜台会给你一张借记卡。借记卡可以在超市刷卡。\n\n"
            ".. image:: /resource/bank/debit_card.jpg\n   :align: center\n\n"
            "> A debit card draws money straight from your chequing account at the bank.\n\n"
            "开户以后记得开通网上银行，转账和查账都方便。")
    article = parse_article(f"# 留学生开户\n\n{body}", cfg, fmt="markdown")
    low = {w.lower() for w in article.keywords}
    assert "借记卡" in article.keywords
    assert not {"align", "center", "resource", "debit", "card", "account", "chequing", "money"} & low


def test_a_field_term_counts_whatever_jieba_tags_it(cfg: Config) -> None:
    assert lexicon(cfg).weight("初中") == 0                    # a direction word (f) to jieba
    text = "女儿今年升初中。初中的作业比小学多，初中老师也更严。我们给她报了初中数学的辅导班。"
    assert "初中" in extract_keywords(text, 5, cfg)             # an education term in config.yaml's rules


def test_a_fragment_of_a_picked_keyword_waits_its_turn(cfg: Config) -> None:
    text = ("星云 N44F 是一个气泡。N44F 的中心有一颗恒星，恒星风吹出了 N44F 的空腔。N44 是更大的星云，"
            "N44F 位于 N44 的边缘。哈勃望远镜拍下了 N44F。")
    words = extract_keywords(text, 6, cfg)
    assert words[0] == "N44F" and "N44" not in words[:4]


@pytest.mark.parametrize("word", ["上床", "床上", "篇文章", "比人", "刚跑", "陈说", "心里有个数",
                                  "翻炒", "干嘛", "非常明显", "出身草根", "a 1", "gas", "5g", "2024", "这个"])
def test_junk_is_not_fit_to_print(cfg: Config, word: str) -> None:
    assert not is_displayable(word, cfg)


@pytest.mark.parametrize("word", ["火锅", "驾校", "驾照", "相机", "长沙马拉松", "湖南博物院", "沙茶酱",
                                  "初中", "比赛", "大模型", "歼10", "C919", "iPhone", "NASA", "5G", "定投"])
def test_names_nouns_and_terms_are_fit_to_print(cfg: Config, word: str) -> None:
    assert is_displayable(word, cfg)
