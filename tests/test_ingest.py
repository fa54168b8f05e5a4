"""Ingest: Markdown / HTML / plain text → Article, keywords, type, and clear errors for bad input."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.errors import InputError
from pipeline.ingest import parse_article, read_article
from pipeline.ingest.source import MAX_BYTES

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "articles"


def md(text: str, cfg: Config, **kw) -> object:
    return parse_article(text, cfg, fmt="markdown", **kw)


# ---- Markdown ---------------------------------------------------------------------------------------

def test_markdown_article_outline(cfg: Config) -> None:
    a = read_article(FIXTURES / "basic.md", cfg)
    assert a.title == "周末在家做红烧肉"
    assert a.author == "老王"
    assert a.slug == "basic"
    assert [s.heading for s in a.sections] == ["", "挑选五花肉", "炒糖色", "小贴士"]
    assert [s.anchor for s in a.sections] == ["", "s1", "s2", "s3"]
    assert [s.line for s in a.sections] == [0, 11, 15, 19]
    assert [s.level for s in a.sections] == [0, 2, 2, 3]
    assert a.sections[0].paragraphs == ["周末的北京下着小雨，我决定在家做一锅红烧肉，顺便用 iPhone 拍下每一步。"]
    # the body H1 repeats the title: dropped from body_html; headings carry their anchors
    assert "<h1" not in a.body_html
    assert '<h2 id="s1">挑选五花肉</h2>' in a.body_html
    assert '<h3 id="s3">小贴士</h3>' in a.body_html
    assert "挑选五花肉" in a.text and "一层肥一层瘦" in a.text and "#" not in a.text


def test_title_from_h1_else_file_name_never_an_h2(cfg: Config, tmp_path: Path) -> None:
    assert md("# 标题一\n\n正文内容。\n\n## 小节\n\n更多。", cfg).title == "标题一"
    f = tmp_path / "my-Post_2024.md"
    f.write_text("只有一段正文，没有标题。", encoding="utf-8")
    a = read_article(f, cfg)
    assert a.title == "my-Post_2024"
    assert a.slug == "my-post-2024"
    f.write_text("开头一段。\n\n## 第一节\n\n第一节的内容。\n", encoding="utf-8")
    a = read_article(f, cfg)
    assert a.title == "my-Post_2024" and a.sections[1].heading == "第一节"      # the H2 stays a section
    long = tmp_path / ("很长的文件名" * 10 + ".md")
    long.write_text("正文。", encoding="utf-8")
    assert len(read_article(long, cfg).title) == 32                                 # WeChat's title limit
    assert md("## 第二级标题\n\n正文内容。", cfg).title == "第二级标题"   # pasted text: its first line


def test_h1_title_dropped_but_not_other_h1(cfg: Config) -> None:
    a = md("# 主标题\n\n引言。\n\n# 另一个一级标题\n\n内容。", cfg)
    assert a.title == "主标题"
    assert "主标题" not in a.body_html
    assert '<h1 id="s1">另一个一级标题</h1>' in a.body_html
    assert a.sections[0].heading == "" and a.sections[0].paragraphs == ["引言。"]


def test_slug_for_chinese_file_names_is_a_stable_hash(cfg: Config, tmp_path: Path) -> None:
    f = tmp_path / "春节回家.md"
    f.write_text("# 春节回家\n\n回家过年。", encoding="utf-8")
    first, second = read_article(f, cfg).slug, read_article(f, cfg).slug
    assert first == second and len(first) == 8 and first.isascii() and first.isalnum()
    g = tmp_path / "2024-国庆.md"
    g.write_text("# 国庆\n\n出游。", encoding="utf-8")
    slug = read_article(g, cfg).slug
    assert slug.startswith("2024-") and slug != "2024"


def test_digest_from_front_matter_else_first_paragraph(cfg: Config) -> None:
    assert md("---\nsummary: 一句话摘要\n---\n\n正文。", cfg).digest == "一句话摘要"
    long_para = "长" * 300
    a = md(f"# 题目\n\n{long_para}\n\n第二段。", cfg)
    assert len(a.digest) == 128 and a.digest.startswith("长长") and a.digest.endswith("…")
    assert md("# 题目\n\n短的第一段。\n\n第二段。", cfg).digest == "短的第一段。"


def test_wrapped_chinese_lines_join_without_spaces(cfg: Config) -> None:
    a = md("# 题\n\n第一行中文\n第二行中文\nand English\nwords here", cfg)
    assert a.sections[0].paragraphs == ["第一行中文第二行中文 and English words here"]


# ---- HTML and plain text -----------------------------------------------------------------------------

def test_html_strips_scripts_styles_frames_and_handlers(cfg: Config) -> None:
    a = read_article(FIXTURES / "page.html", cfg)
    assert a.title == "深圳湾的黄昏"
    assert a.digest == "一次沿着深圳湾公园的傍晚散步。"
    for bad in ("<script", "alert(", "不该出现", "<style", "<iframe", "onclick", "steal()"):
        assert bad not in a.body_html and bad not in a.text
    assert [s.heading for s in a.sections] == ["", "红树林", "回程"]
    assert '<h2 id="s1">红树林</h2>' in a.body_html and "<h1" not in a.body_html
    assert a.sections[1].has_image and not a.sections[2].has_image
    assert a.sections[2].paragraphs == ["沿着海滨栈道走回地铁站，天已经黑了。"]   # <pre> is not prose
    assert a.sections[1].line == 13
    assert "白鹭" in a.text


def test_html_fragment_as_from_a_wechat_draft(cfg: Config) -> None:
    html = ('<section><p>大模型正在改变手机。</p><p><span>端侧 AI 芯片</span>越来越强。</p></section>'
            '<h2>算力</h2><p>NPU 的算力决定了体验。</p>')
    a = parse_article(html, cfg, fmt="html", type_override="tech")
    assert [s.heading for s in a.sections] == ["", "算力"]
    assert a.sections[0].paragraphs == ["大模型正在改变手机。", "端侧 AI 芯片越来越强。"]
    assert a.title == "大模型正在改变手机。"        # no title, H1 or <title>: the first line, not the H2
    assert a.type == "tech"


def test_plain_text(cfg: Config) -> None:
    a = read_article(FIXTURES / "notes.txt", cfg)
    assert a.title == "notes"
    assert len(a.sections) == 1 and len(a.sections[0].paragraphs) == 2
    assert a.sections[0].paragraphs[1] == "傍晚在湖边的茶馆喝了一杯龙井，看着雷峰塔慢慢亮起灯。"
    assert "<p>今天去了杭州西湖" in a.body_html and "<br>" in a.body_html
    assert "西湖" in a.keywords


def test_plain_text_short_first_line_is_the_title(cfg: Config, tmp_path: Path) -> None:
    text = "\n冬天喝什么茶\n\n冬天天气冷，很多人喜欢喝红茶和普洱。\n\n泡茶的水温也有讲究。\n"
    a = parse_article(text, cfg, fmt="text")
    assert a.title == "冬天喝什么茶" and "冬天喝什么茶" not in a.body_html
    assert [p for s in a.sections for p in s.paragraphs] == ["冬天天气冷，很多人喜欢喝红茶和普洱。", "泡茶的水温也有讲究。"]
    diary = tmp_path / "diary.txt"
    diary.write_text("今天去了西湖。\n\n傍晚喝了一杯龙井。\n", encoding="utf-8")
    sentence = read_article(diary, cfg)
    assert sentence.title == "diary"                  # a sentence is body text, not a title
    assert "今天去了西湖" in sentence.body_html


def test_html_h1_wins_over_a_page_title(cfg: Config) -> None:
    html = ("<html><head><title>秋天去哪儿 - 某某博客</title></head><body><h1>秋天去哪儿：北京周边徒步</h1>"
            "<p>香山的红叶正好。</p><h2>香山</h2><p>工作日早上七点前进山。</p></body></html>")
    a = parse_article(html, cfg, fmt="html")
    assert a.title == "秋天去哪儿：北京周边徒步" and "<h1" not in a.body_html
    assert [s.heading for s in a.sections] == ["", "香山"]


# ---- keywords and type -------------------------------------------------------------------------------

def test_keywords_are_concrete_and_keep_english_terms(cfg: Config) -> None:
    a = read_article(FIXTURES / "basic.md", cfg)
    assert 3 <= len(a.keywords) <= 12
    assert {"红烧肉", "五花肉"} <= set(a.keywords)
    assert "iPhone" in a.keywords
    for noise in ("我", "我们", "自己", "一层", "每一步"):
        assert noise not in a.keywords
    assert all(0 < len(s.keywords) <= 6 for s in a.sections)
    assert "糖色" in a.sections[2].keywords


def test_type_detected_from_rules_and_overridden(cfg: Config) -> None:
    assert read_article(FIXTURES / "basic.md", cfg).type == "food"
    assert read_article(FIXTURES / "basic.md", cfg, type_override="travel").type == "travel"
    assert read_article(FIXTURES / "basic.md", cfg, type_override="旅行").type == "travel"
    assert md("---\ntype: 财经\n---\n\n今天天气不错。", cfg).type == "finance"
    assert md("---\ntype: education\n---\n\n今天天气不错。", cfg).type == "education"
    assert md("今天天气不错，出门走走。", cfg).type == "default"         # nothing reaches min_score
    with pytest.raises(InputError, match="unknown article type 'space'.*tech"):
        read_article(FIXTURES / "basic.md", cfg, type_override="space")


# ---- bad input -----------------------------------------------------------------------------------------

def test_missing_file(cfg: Config, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found") as e:
        read_article(tmp_path / "nope.md", cfg)
    assert "nope.md" in str(e.value)


@pytest.mark.parametrize("content", [b"", b"   \n\n  \n"])
def test_empty_file(cfg: Config, tmp_path: Path, content: bytes) -> None:
    f = tmp_path / "empty.md"
    f.write_bytes(content)
    with pytest.raises(InputError, match="empty") as e:
        read_article(f, cfg)
    assert "empty.md" in str(e.value)


def test_front_matter_only_is_an_error(cfg: Config) -> None:
    with pytest.raises(InputError, match="no body"):
        md("---\ntitle: 只有标题\n---\n", cfg)


@pytest.mark.parametrize("data,what", [
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG image"),
    (b"PK\x03\x04" + bytes(100), "ZIP"),
    (b"abc\x00def" * 10, "NUL"),
])
def test_binary_file(cfg: Config, tmp_path: Path, data: bytes, what: str) -> None:
    f = tmp_path / "thing.md"
    f.write_bytes(data)
    with pytest.raises(InputError, match=what) as e:
        read_article(f, cfg)
    assert "thing.md" in str(e.value)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_file_is_decoded_and_logged(cfg: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                        encoding: str) -> None:
    f = tmp_path / "old.md"
    f.write_bytes("# 旧文章\n\n这是用国标编码保存的红烧肉做法。".encode(encoding))
    with caplog.at_level(logging.WARNING, logger="pipeline.ingest"):
        a = read_article(f, cfg)
    assert a.title == "旧文章" and "红烧肉" in a.text
    assert any("GB18030" in r.getMessage() and "old.md" in r.getMessage() for r in caplog.records)


def test_utf16_with_bom(cfg: Config, tmp_path: Path) -> None:
    f = tmp_path / "u16.md"
    f.write_bytes("# 标题\n\n正文内容。".encode("utf-16"))
    assert read_article(f, cfg).title == "标题"


def test_undecodable_file(cfg: Config, tmp_path: Path) -> None:
    f = tmp_path / "bad.md"
    f.write_bytes(b"# title\n\n\xff\xfe\xfd\x80\x81 broken")
    with pytest.raises(InputError, match="not UTF-8 or GBK") as e:
        read_article(f, cfg)
    assert "bad.md" in str(e.value) and "UTF-8" in (e.value.hint or "")


def test_very_large_file(cfg: Config, tmp_path: Path) -> None:
    f = tmp_path / "huge.md"
    f.write_bytes(b"# big\n\n" + b"a" * (MAX_BYTES + 1))
    with pytest.raises(InputError, match="too large") as e:
        read_article(f, cfg)
    assert "huge.md" in str(e.value)


def test_front_matter_yaml_error_has_file_and_line(cfg: Config, tmp_path: Path) -> None:
    f = tmp_path / "broken.md"
    f.write_text("---\ntitle: ok\nauthor: [unclosed\ncover: x.png\n---\n\n正文。", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML") as e:
        read_article(f, cfg)
    assert e.value.where is not None and e.value.where.startswith(str(f) + ":")
    assert int(e.value.where.rsplit(":", 1)[1]) in (3, 4, 5)


def test_front_matter_never_closed(cfg: Config) -> None:
    with pytest.raises(InputError, match="never closed") as e:
        md("---\ntitle: 标题\n\n正文。", cfg, source=Path("open.md"))
    assert e.value.where == "open.md:1"


def test_a_leading_rule_is_not_front_matter(cfg: Config) -> None:
    a = md("---\n\n# 分割线开头\n\n正文。", cfg)
    assert a.title == "分割线开头" and a.meta == {}


def test_front_matter_must_be_a_mapping(cfg: Config) -> None:
    with pytest.raises(InputError, match="key: value"):
        md("---\n- a\n- b\n---\n\n正文。", cfg)


def test_wechat_draft_bold_lines_are_headings(cfg: Config) -> None:
    html = ('<title>红烧肉</title>\n<section><p>开头一段文字。</p><p><strong>一、备料</strong></p><p>五花肉切块。</p>'
            '<p><span><b>二、</b><strong>炖煮</strong></span></p><p>小火慢炖。</p><p><strong>注意：</strong>别烧干。</p>'
            '<p><img data-src="https://mmbiz.qpic.cn/a.jpg"></p></section>')
    a = parse_article(html, cfg, fmt="html")
    assert a.title == "红烧肉" and "<title>" not in a.body_html and "红烧肉" not in a.text
    assert [(s.heading, s.anchor) for s in a.sections] == [("", ""), ("一、备料", "s1"), ("二、炖煮", "s2")]
    assert a.sections[2].paragraphs == ["小火慢炖。", "注意：别烧干。"] and a.sections[2].has_image
    assert '<p id="s1"><strong>一、备料</strong></p>' in a.body_html


def test_crlf_and_bom(cfg: Config) -> None:
    a = md("\ufeff---\r\ntitle: 标题\r\nauthor: 我\r\n---\r\n\r\n正文一段。\r\n\r\n## 小节\r\n\r\n内容。\r\n", cfg)
    assert (a.title, a.author) == ("标题", "我")
    assert [(s.heading, s.line) for s in a.sections] == [("", 0), ("小节", 8)]


def test_hostile_input_gets_a_clear_error(cfg: Config) -> None:
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n---\n\n正文。"
    with pytest.raises(InputError, match="aliases") as e:
        md(bomb, cfg, source=Path("bomb.md"))
    assert e.value.where == "bomb.md:3"
    with pytest.raises(InputError, match="nested too deeply"):
        md("---\ntitle: " + "[" * 5000 + "]" * 5000 + "\n---\n\n正文。", cfg)
    with pytest.raises(InputError, match="nested too deeply"):
        parse_article("<div>" * 3000 + "<p>文字</p>" + "</div>" * 3000, cfg, fmt="html")
    deep = parse_article("<section>" * 300 + "<p>三百层里的文字</p>" + "</section>" * 300, cfg, fmt="html")
    assert deep.sections[0].paragraphs == ["三百层里的文字"]
