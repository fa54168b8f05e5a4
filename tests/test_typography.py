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
