"""Articles as 公众号 authors write them: every front-matter key, real-world Markdown features, markers."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from pipeline.config import Config
from pipeline.errors import InputError
from pipeline.ingest import parse_article, read_article
from pipeline.models import Article

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "articles"


def md(text: str, cfg: Config, **kw) -> Article:
    return parse_article(text, cfg, fmt="markdown", **kw)


@pytest.fixture(scope="module")
def features(request: pytest.FixtureRequest) -> Article:
    from pipeline.config import load_config

    return read_article(FIXTURES / "features.md", load_config(Path(__file__).resolve().parent.parent / "config.yaml"))


# ---- front matter --------------------------------------------------------------------------------------

def test_every_front_matter_key(cfg: Config) -> None:
    a = read_article(FIXTURES / "frontmatter-full.md", cfg)
    assert a.title == "潮汕牛肉火锅的十二个部位"
    assert a.author == "阿南"
    assert a.digest == "从吊龙到匙柄，一锅清汤里的潮汕功夫。"
    assert a.cover == "https://example.com/covers/hotpot.jpg"
    assert a.slug == "chaoshan-hotpot"
    assert a.meta["source_url"] == "https://example.com/original/hotpot"
    assert a.meta["need_open_comment"] == 1 and a.meta["only_fans_can_comment"] == 0
    assert a.meta["date"] == "2024-11-02"                    # dates stay JSON-friendly
    assert a.options == {"type": "food", "style": "watercolor", "cover": False, "inline": 2,
                         "no_image_after": ["吃完以后"]}
    assert a.type == "food"
    assert {"潮汕牛肉火锅", "汕头"} <= set(a.keywords)           # tags feed the keywords


@pytest.mark.parametrize("key", ["cover", "coverImage", "featureImage", "image", "header-img"])
def test_each_cover_key_names_the_cover(cfg: Config, key: str) -> None:
    assert md(f"---\n{key}: imgs/cover.png\n---\n\n正文。", cfg).cover == "imgs/cover.png"


def test_cover_keys_are_tried_in_order(cfg: Config) -> None:
    a = md("---\nimage: b.png\ncoverImage: a.png\n---\n\n正文。", cfg)
    assert a.cover == "a.png"
    assert md("# 无封面\n\n正文。", cfg).cover == ""


@pytest.mark.parametrize("key", ["digest", "summary", "description"])
def test_each_digest_key(cfg: Config, key: str) -> None:
    assert md(f"---\n{key}: 这是摘要\n---\n\n正文第一段。", cfg).digest == "这是摘要"


def test_image_post_keeps_type_in_meta_and_needs_no_body(cfg: Config) -> None:
    a = md("---\ntitle: 一组照片\ntype: image\nimage_list:\n  - sea1.jpg\n  - sea2.jpg\n---\n", cfg)
    assert a.meta["type"] == "image" and a.meta["image_list"] == ["sea1.jpg", "sea2.jpg"]
    assert a.type == "default"                       # `type: image` is a post kind, not an article type
    assert a.title == "一组照片" and a.sections == []


def test_tags_and_categories_as_strings_or_lists(cfg: Config) -> None:
    a = md("---\ntags: 杭州, 西湖\ncategories: [旅行]\n---\n\n周末去湖边走走，看看荷花。", cfg)
    assert {"杭州", "西湖", "旅行"} <= set(a.keywords)


def test_unknown_front_matter_type_is_detected_instead(cfg: Config, caplog: pytest.LogCaptureFixture) -> None:
    a = md("---\ntype: post\n---\n\n# 红烧肉\n\n五花肉焯水，炒糖色，小火慢炖，红烧肉的做法。", cfg)
    assert a.type == "food" and a.meta["type"] == "post"
    assert any("'post' is not an article type" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("block,message", [
    ("peitu:\n  inline: lots", "peitu.inline"),
    ("peitu:\n  inline: 99", "peitu.inline"),
    ("peitu:\n  inline: true", "peitu.inline"),
    ("peitu:\n  cover: maybe", "peitu.cover"),
    ("peitu:\n  style: 水彩 风格", "peitu.style"),
    ("peitu:\n  colour: red", "unknown setting; allowed: type, style"),
    ("peitu:\n  type: space", "unknown article type 'space'"),
    ("peitu: yes", "must be a block of settings"),
])
def test_peitu_block_errors_name_the_setting_and_line(cfg: Config, block: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as e:
        md(f"---\ntitle: 标题\n{block}\n---\n\n正文。", cfg, source=Path("post.md"))
    assert e.value.where == "post.md:3"


def test_peitu_block_type_label_and_single_heading(cfg: Config) -> None:
    a = md("---\npeitu:\n  type: 育儿\n  no_image_after: 结语\n---\n\n股票基金理财。", cfg)
    assert a.options == {"type": "education", "no_image_after": ["结语"]} and a.type == "education"


def test_override_beats_peitu_block_beats_front_matter_type(cfg: Config) -> None:
    text = "---\ntype: finance\npeitu:\n  type: travel\n---\n\n正文。"
    assert md(text, cfg).type == "travel"
    assert md(text, cfg, type_override="sports").type == "sports"


# ---- Markdown features stay out of the prose and intact in the HTML -----------------------------------------

NOT_PROSE = ["secret_function_name", "不应成为关键词的字符串", "流程图节点", "用例图角色", "信息图占位", "int_0",
             "E=mc", "H2O", "CO2", "表格专用词", "表格单元格", "编辑的悄悄话", "注释专用词", "[TOC]", "pīn yīn",
             "zhù yīn", "Note", "a cat on a sofa", "__init__", "==", "++", "\\ce"]


def test_code_math_diagrams_tables_comments_footnotes_are_not_prose(features: Article) -> None:
    words = " ".join([*features.keywords, *(k for s in features.sections for k in s.keywords)])
    for bad in NOT_PROSE:
        assert bad not in features.text, bad
        assert bad not in features.digest, bad
        assert bad not in words, bad
    for good in ("龙井茶", "西湖", "雷峰塔", "苏轼", "《赤壁赋》", "拼音和注音都要保留底字", "高亮、下划线和波浪线",
                 "10~20"):
        assert good in features.text, good
    assert features.digest == "引言里有一个公式 和化学式，还有 直接写在正文里。"


def test_features_render_intact(features: Article) -> None:
    soup = BeautifulSoup(features.body_html, "html.parser")
    code = {c.get("class", [""])[0]: c.get_text() for c in soup.select("pre > code")}
    assert "def secret_function_name():" in code["language-python"]
    assert "流程图节点甲-->流程图节点乙" in code["language-mermaid"]
    assert "@startuml" in code["language-plantuml"] and "信息图占位内容" in code["language-infographic"]
    assert soup.select_one("span.math.inline").get_text() == "E=mc^2"
    assert "\\int_0^1 x^2" in soup.select_one("div.math.block").get_text()
    assert "\\ce{H2O}" in features.body_html and "\\ce{CO2}" in features.body_html
    assert [td.get_text() for td in soup.select("table td")] == ["杭州", "表格单元格"]
    assert soup.select_one("div.markdown-alert-note") is not None
    assert soup.select_one("section.md-tip").get_text(strip=True) == "容器里写着西湖的游览路线。"
    assert soup.select_one("section.md-hero") is not None
    rubies = [(r.contents[0], r.rt.get_text()) for r in soup.find_all("ruby")]
    assert rubies == [("拼音", "pīn yīn"), ("注音", "zhù yīn")]
    assert soup.mark.get_text() == "高亮" and soup.u.get_text() == "下划线" and soup.s.get_text() == "删除线"
    assert soup.find("span", style="text-decoration: underline wavy").get_text() == "波浪线"
    assert "10~20" in features.body_html
    assert "<!-- 编辑的悄悄话不要出现 -->" in features.body_html
    assert soup.select_one("section.footnotes") is not None and soup.select_one("sup.footnote-ref") is not None
    assert "<p>[TOC]</p>" in features.body_html
    assert soup.strong.get_text() == "粗体"


def test_markers_become_numbered_placeholders(features: Article) -> None:
    first, second = features.markers
    assert (first.index, first.prompt, first.alt, first.width, first.height, first.line) == (
        1, "a cat on a sofa", "一只猫", 16, 9, 64)
    assert (second.index, second.prompt, second.width) == (2, "__init__ should stay literal", None)
    soup = BeautifulSoup(features.body_html, "html.parser")
    imgs = soup.select("img[data-peitu-marker]")
    assert [(i["data-peitu-marker"], i["alt"]) for i in imgs] == [("1", "一只猫"), ("2", "")]
    assert "__generate" not in features.body_html and "<strong>init" not in features.body_html
    assert features.sections[-1].has_image and not features.sections[1].has_image


def test_marker_sizes_and_errors(cfg: Config) -> None:
    a = md("# 题\n\n段落\n第二行 ![封面感](__generate:海边的灯塔|size=1024x576__) 结尾。", cfg)
    [m] = a.markers
    assert (m.prompt, m.alt, m.width, m.height, m.line) == ("海边的灯塔", "封面感", 1024, 576, 4)
    assert md("# 题\n\n![只有说明](__generate:__)", cfg).markers[0].prompt == "只有说明"
    with pytest.raises(InputError, match="bad image size 'big'") as e:
        md("# 题\n\n正文\n\n![x](__generate:猫|size=big__)", cfg, source=Path("m.md"))
    assert e.value.where == "m.md:5"
    with pytest.raises(InputError, match="no prompt"):
        md("# 题\n\n![](__generate:__)", cfg)


def test_markers_in_code_are_just_code(cfg: Config) -> None:
    a = md("# 题\n\n正文。\n\n```\n![x](__generate:not a marker__)\n```\n\n`![y](__generate:nor this__)`", cfg)
    assert a.markers == [] and "__generate:not a marker__" in a.body_html


def test_author_images_mark_their_section(cfg: Config) -> None:
    a = md("# 题\n\n## 有图\n\n文字。\n\n![照片](photo.jpg)\n\n## 无图\n\n文字。\n\n## HTML 图\n\n"
           '<p><img src="x.png"></p>\n', cfg)
    assert [s.has_image for s in a.sections] == [True, False, True]
    assert '<img src="photo.jpg" alt="照片" />' in a.body_html


def test_raw_html_in_markdown_is_cleaned(cfg: Config) -> None:
    a = md('# 题\n\n<div onclick="x()">安全的文字</div>\n\n<script>alert(1)</script>\n\n正文。', cfg)
    assert "onclick" not in a.body_html and "alert" not in a.body_html and "安全的文字" in a.body_html


def test_traditional_characters_keep_their_form(cfg: Config) -> None:
    a = read_article(FIXTURES / "traditional.md", cfg)
    assert a.title == "臺灣夜市的滷肉飯"
    assert {"滷肉飯", "夜市", "高雄"} <= set(a.keywords)
    assert not {"卤肉饭", "台湾"} & set(a.keywords)
    assert a.type == "food"
