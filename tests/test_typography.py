"""Title typesetting: phrase-aware lines, fit to the box, and WCAG contrast measured on pixels."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from pipeline.fonts import cjk_font
from pipeline.typography import CLOSING, OPENING, contrast_ratio, fit_title, luminance, segments, text_contrast

TITLES = [
    "ChatGPT 与 AI 芯片",
    "深度解读：美联储降息对A股的影响",
    "2024年中国新能源汽车出口增长30%的三个原因",
    "如何在30天内养成早起的习惯，并坚持下去",
    "GPT-4o 发布了，开发者该关注什么？",
    "为什么说今年是普通人学习人工智能的最好时机，这里有五个理由",
    "一碗好面的讲究",
    "《三体》里的物理学",
    "上海3天2晚citywalk路线",
]


def test_segments_keep_words_numbers_and_punctuation_together():
    assert "GPT-4o" in segments("GPT-4o 发布了")
    assert "30天" in "|".join(segments("如何在30天内养成早起的习惯"))
    segs = segments("深度解读：美联储降息")
    assert "解读：" in segs or any(s.endswith("：") and len(s) > 1 for s in segs)
    assert all(s[0] not in CLOSING for s in segments("好，很好！真的？") if s != " ")
    assert any(s.startswith("《三体》") for s in segments("《三体》里的物理学"))


@pytest.mark.parametrize("title", TITLES)
def test_lines_fit_the_box_and_break_well(title: str):
    box_w, box_h = 460, 290
    layout = fit_title(title, box_w, box_h, max_lines=3, max_size=96)
    font = cjk_font(layout.size, layout.weight)
    assert 1 <= len(layout.lines) <= 3
    assert layout.height <= box_h + 1
    assert all(font.getlength(line) <= box_w + 1 for line in layout.lines)
    for line in layout.lines:
        assert line == line.strip()
        assert line[0] not in CLOSING, line
        assert line[-1] not in OPENING, line
    if len(layout.lines) > 1:
        letters = [ch for ch in layout.lines[-1] if ch not in CLOSING]
        assert len(letters) >= 2, f"orphan on the last line: {layout.lines}"
    def bare(text: str) -> str:                           # commas and spaces may go at a line end
        return "".join(text.split()).replace("，", "")

    assert bare("".join(layout.lines)) == bare(title)


def test_latin_words_and_jieba_words_are_not_split():
    layout = fit_title("ChatGPT 与 AI 芯片", 300, 300, max_size=96)
    assert not any(line.endswith(("Chat", "A")) for line in layout.lines)
    assert "ChatGPT" in "".join(layout.lines)
    layout = fit_title("深度解读：美联储降息对A股的影响", 460, 290, max_size=96)
    assert layout.lines[0] == "深度解读："               # the colon is the natural break
    assert "美联储" in "".join(layout.lines[1:2])


@pytest.mark.parametrize("title, first", [("年终奖怎么发最划算", "年终奖"), ("个人养老金一年存 12000 元，到底划不划算", "个人养老金"),
                                          ("泉州：宋元时代的“东方第一大港”留下了什么", "泉州：宋元时代的")])
def test_question_words_numerals_and_quotations_are_not_cut_off(title: str, first: str):
    assert fit_title(title, 461, 288, max_size=92, weight="Black").lines[0] == first


def test_short_titles_are_set_larger_than_long_ones():
    short = fit_title("春", 460, 290, max_size=96)
    medium = fit_title("一碗好面的讲究", 460, 290, max_size=96)
    long = fit_title(TITLES[5], 460, 290, max_size=96)
    assert short.size == 96 and long.size < medium.size <= short.size


def test_a_title_too_long_for_the_box_ends_in_an_ellipsis():
    layout = fit_title("这是一个非常非常长的标题" * 6, 200, 90, max_lines=2, min_size=20)
    assert len(layout.lines) == 2 and layout.lines[-1].endswith("…")
    assert all(cjk_font(20, "Bold").getlength(line) <= 200 for line in layout.lines)


def test_emoji_never_reach_the_page():
    layout = fit_title("AI 🚀 芯片大战", 460, 290)
    assert "🚀" not in "".join(layout.lines)
    assert "芯片" in "".join(layout.lines)


def test_wcag_contrast_ratio_known_values():
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast_ratio((120, 120, 120), (120, 120, 120)) == pytest.approx(1.0)
    assert contrast_ratio((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)
    assert luminance((255, 255, 255)) == pytest.approx(1.0)


def _drawn(bg, fg):
    layout = fit_title("深度解读：美联储降息", 400, 200, max_size=60)
    image, mask = Image.new("RGB", (480, 260), bg), Image.new("L", (480, 260), 0)
    layout.draw(ImageDraw.Draw(image), (30, 30), fg)
    layout.draw(ImageDraw.Draw(mask), (30, 30), 255)
    return image, mask, layout.size


@pytest.mark.parametrize("bg, fg", [((255, 255, 255), (0, 0, 0)), ((119, 119, 119), (255, 255, 255)),
                                    ((20, 30, 60), (255, 255, 255)), ((240, 200, 40), (30, 30, 30))])
def test_measured_contrast_matches_theory_and_never_flatters(bg, fg):
    image, mask, size = _drawn(bg, fg)
    measured = text_contrast(image, mask, size)
    assert measured <= contrast_ratio(bg, fg) + 1e-9
    assert measured >= contrast_ratio(bg, fg) * 0.95


def test_measured_contrast_sees_a_busy_background():
    image, mask, size = _drawn((0, 0, 0), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for x in range(0, image.width, 8):                      # white stripes behind white text
        draw.rectangle((x, 0, x + 3, image.height), fill=(255, 255, 255))
    image.paste((255, 255, 255), (0, 0), mask)
    assert text_contrast(image, mask, size) < 1.5


# --- titles an editor would sign off (13a) ------------------------------------------------------

from pipeline.typography import COMFORTABLE, _letters, cover_layout, display_title, phrases  # noqa: E402

EXAMPLE_TITLES = [
    "冬天电动车续航打七折？原因和应对都在这里", "第一次当管理者，前九十天最容易踩的四个坑",
    "泉州：宋元时代的“东方第一大港”留下了什么", "从绘本到文字书：孩子独立阅读的“桥梁期”怎么过",
    "个人养老金一年存 12000 元，到底划不划算", "潮汕牛肉火锅：一头牛，十几个部位，八秒钟",
    "总是睡不着？关于失眠你需要知道的六件事", "一碗八块钱的面：社区长者食堂的早晨",
    "零基础跑完第一个半马：十二周训练计划", "手机里跑大模型：端侧 AI 到底卡在哪", "大理四天三晚：避开人潮的洱海慢游路线",
]
HEADLINES = [   # real published titles (bench/relevance sources)
    "2016年度目标之一:我拿到驾照啦！", "最容易获得的境外驾照:内地驾照免试换取香港十年驾照攻略", "编程三年:我的程序员成长经历",
    "光明与毁灭:天忌英才莫扎特", "纪录片《第四公民》:1984，V，隐私即自由", "关于春晚与本山的记忆", "带小孩子进电影院看电影的正确方式",
    "选一本书，入门敦煌艺术", "《枪炮、病菌与钢铁》笔记", "写给大学新生的数字指南", "罗磊啰嗦 | 谈谈网络教育和学习",
    "自学是门手艺 —— 前言", "吐槽下澳洲的教育制度", "购买玩具的注意事项", "一个仅供参考的 CS 学习规划",
    "新爸五年计划 | 252 不爱练琴怎么办？", "美股开户新手教程:写给老婆的家庭投资手册", "定投改变命运 —— 第一章",
    "國務院辦公廳關于推動個人養老金發展的意見（國辦發〔2022〕7號）", "我与股市的缘之2007牛市",
    "The Way To Open A Bank Account In Hongkong", "《我最需要的金融常识书》笔记", "宫保鸡丁的做法", "周末自制烤羊肉串",
    "西红柿土豆炖牛肉的做法", "我如何在 7 年内胖了 40 斤，又用 90 天减掉 20 斤", "记录两岁多之前的各种发烧事件",
    "第一次当伴郎是什么体验？", "打Uber的这一年", "Apr 2026：鸣沙山下", "折返点 2241｜连续冥想了999天了",
    "消失的两年: 2021 珠海航展", "澳大利亚维州再次封城", "装修日记 | 松山没有湖，东莞三房装修", "长沙马拉松:回到 5 小时内",
    "第一次滑雪是什么感受", "为了她，我自研了一款现代化的网盘", "装修脑壳痛: 家庭万兆光纤网络、智能家居",
    "云南 | 东航周末随心飞，昆明玉溪两日行 | 抚仙湖 磨豆山", "三晋之地，游古城", "久违的独自旅行——元旦正定游",
    "梅雨中，九州漫步", "在东京的四天", "如何在30天内养成早起的习惯，并坚持下去", "GPT-4o 发布了，开发者该关注什么？",
    "为什么说今年是普通人学习人工智能的最好时机，这里有五个理由", "上海3天2晚citywalk路线", "年终奖怎么发最划算",
]
NEVER_SPLIT = ["最容易踩", "需要知道", "12000 元", "5 小时", "GPT-4o", "Uber", "citywalk", "《第四公民》", "“桥梁期”"]
BOX = (0.84 * 576, 0.4 * 576)          # a cover's title box at the size the local provider draws


def _cover(title: str):
    return cover_layout(title, "", *BOX)


@pytest.mark.parametrize("title", EXAMPLE_TITLES + HEADLINES)
def test_cover_titles_break_between_phrases_on_lines_of_three_letters_or_more(title: str):
    layout = _cover(title)
    lines = layout.lines
    if len(lines) > 1:
        assert min(_letters(line) for line in lines) >= 3, lines
    joined = "".join(lines)
    for phrase in NEVER_SPLIT:
        if phrase in title and phrase.replace(" ", "") in joined.replace(" ", ""):
            assert any(phrase in line for line in lines), (phrase, lines)
    assert layout.size >= BOX[0] / 13, (title, layout.size)             # never tiny type


@pytest.mark.parametrize("title, bad", [
    ("第一次当管理者，前九十天最容易踩的四个坑", ["最容易", "踩的四个坑"]),
    ("总是睡不着？关于失眠你需要知道的六件事", ["你需要", "知道的六件事"]),
    ("潮汕牛肉火锅：一头牛，十几个部位，八秒钟", ["一头牛"]),
])
def test_the_breaks_the_issue_named_do_not_happen(title: str, bad: list[str]):
    assert not any(line.rstrip("，") in bad for line in _cover(title).lines), _cover(title).lines


def test_good_breaks_are_taken():
    assert _cover("第一次当管理者，前九十天最容易踩的四个坑").lines == ("第一次当管理者", "前九十天", "最容易踩的四个坑")
    assert _cover("总是睡不着？关于失眠你需要知道的六件事").lines[0] == "总是睡不着？"
    assert _cover("ChatGPT 与 AI 芯片").lines == ("ChatGPT", "与 AI 芯片")


def test_phrases_keep_particles_adverbs_numbers_and_verbs_together():
    units = [u.strip() for u, _ in phrases("你需要知道的六件事")]
    assert "你需要知道的" in units and "六件事" in units
    units = [u.strip() for u, _ in phrases("个人养老金一年存 12000 元，到底划不划算")]
    assert "一年存 12000 元，" in units
    costs = [(u.strip(), c) for u, c in phrases("深度解读：美联储降息对A股的影响")]
    colon = next(c for u, c in costs if u.endswith("："))
    assert colon < 0 and all(c > colon for u, c in costs[:-1] if not u.endswith("："))   # the colon reads best


@pytest.mark.parametrize("title, limit, short", [
    ("最容易获得的境外驾照:内地驾照免试换取香港十年驾照攻略", 14, "最容易获得的境外驾照"),
    ("國務院辦公廳關于推動個人養老金發展的意見（國辦發〔2022〕7號）", 24, "國務院辦公廳關于推動個人養老金發展的意見"),
    ("云南 | 东航周末随心飞，昆明玉溪两日行 | 抚仙湖 磨豆山", 14, "东航周末随心飞，昆明玉溪两日行"),
    ("冬天电动车续航打七折？原因和应对都在这里", 14, "冬天电动车续航打七折？"),
    ("为什么说今年是普通人学习人工智能的最好时机，这里有五个理由", 24, "为什么说今年是普通人学习人工智能的最好时机"),
    ("一碗好面的讲究", 14, "一碗好面的讲究"),                                     # short enough: as it is
])
def test_a_long_title_is_cut_at_a_natural_break(title: str, limit: int, short: str):
    assert display_title(title, limit) == short


def test_very_long_titles_get_a_display_title_rather_than_small_type():
    layout = _cover("最容易获得的境外驾照:内地驾照免试换取香港十年驾照攻略")
    assert "".join(layout.lines) == "最容易获得的境外驾照"
    assert layout.size >= BOX[0] / COMFORTABLE
    planned = cover_layout("最容易获得的境外驾照:内地驾照免试换取香港十年驾照攻略", "香港驾照攻略", *BOX)
    assert planned.lines == ("香港驾照攻略",)                              # a planner's display title wins
