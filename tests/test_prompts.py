"""The prompts stage: plan_images over the shipped templates and styles, and over edited copies."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from pipeline.config import Config, load_config
from pipeline.errors import ConfigError, InputError, TemplateError
from pipeline.models import Article, Marker, Section
from pipeline.prompts import plan_images
from pipeline.prompts.library import TemplateLibrary

REPO = Path(__file__).resolve().parent.parent
TYPES = ["tech", "finance", "food", "travel", "health", "education", "career", "news", "culture",
         "sports", "lifestyle", "auto", "realestate", "default"]


@pytest.fixture
def project(tmp_path: Path) -> Config:
    """A copy of the shipped templates, styles and glossary that a test may edit."""
    shutil.copytree(REPO / "templates", tmp_path / "templates",
                    ignore=shutil.ignore_patterns("userdict.txt", "stopwords.txt"))
    return Config(root=tmp_path)


def article(type_: str = "food", **kw) -> Article:
    sections = [
        Section("", 0, ["开场白，先说说为什么要写这篇。" * 3]),
        Section("锅底的秘密", 2, ["牛油锅底要炒够四十分钟。" * 12], keywords=["锅底", "牛油"]),
        Section("作者自己放了图", 2, ["很长的一段。" * 40], keywords=["毛肚"], has_image=True),
        Section("一句话", 2, ["就这样。"]),
        Section("必点的三样", 2, ["毛肚、鸭肠和黄喉，一样不能少。" * 8], keywords=["毛肚", "鸭肠", "黄喉"]),
        Section("排队两小时值不值", 2, ["周末晚上六点到店，前面还有八十桌。" * 4], keywords=["排队"]),
        Section("结语", 2, ["总之，去成都一定要吃一顿火锅，最好是和朋友一起。" * 6]),
    ]
    fields = dict(title="成都火锅地图：10家老店实测", sections=sections, text="", body_html="",
                  slug="chengdu-hotpot", keywords=["火锅", "成都", "牛油", "老店"], type=type_)
    fields.update(kw)
    return Article(**fields)


def test_cover_inline_and_marker_plans(cfg: Config) -> None:
    a = article(markers=[Marker(1, "一只熊猫在吃火锅", "熊猫", width=1200, height=1200), Marker(2, "a red lantern")])
    plans = plan_images(a, cfg)
    assert [p.key for p in plans] == ["cover", "inline-1", "inline-2", "inline-3", "marker-1", "marker-2"]
    cover, *inline = plans[:4]
    assert (cover.role, cover.width, cover.height) == ("cover", 1344, 576)
    assert cover.title == a.title and cover.keywords == a.keywords and cover.subtitle == "火锅 · 成都 · 牛油"
    # the three longest eligible sections, in article order: not the intro, the author's image,
    # the one-liner; 排队 (shortest prose, one keyword) loses to 结语 and the other two
    assert [p.section_index for p in inline] == [1, 4, 6]
    assert [p.title for p in inline] == ["锅底的秘密", "必点的三样", "结语"]
    assert all((p.role, p.width, p.height) == ("inline", 1024, 576) for p in inline)
    assert inline[0].keywords == ["锅底", "牛油"] and inline[0].subtitle == "锅底 · 牛油"
    m1, m2 = plans[4:]
    assert (m1.role, m1.marker_index, m1.width, m1.height) == ("marker", 1, 768, 768)
    assert m1.prompt.startswith("一只熊猫在吃火锅 (giant panda, hot pot), flat vector illustration")
    assert (m2.width, m2.height) == (1024, 576) and m2.prompt.startswith("a red lantern, flat vector")
    assert {p.template for p in plans} == {"food"} and len({p.template_version for p in plans}) == 1
    assert {p.palette_hint for p in plans} == {"vivid"} and {p.style for p in plans} == {"flat"}


def test_prompts_are_english_visual_and_forbid_text(cfg: Config) -> None:
    cover, first = plan_images(article(), cfg, inline_count=1)
    assert "Chengdu, hot pot, beef tallow" in cover.prompt            # title first, then keywords
    assert "flat vector illustration" in cover.prompt and "ceramic plates" in cover.prompt
    assert "火锅" not in cover.prompt and "老店" not in cover.prompt     # unknown Chinese dropped
    assert "of beef tripe, duck intestines, hot pot:" in first.prompt   # the section's own terms, then the article's
    for plan in (cover, first):
        assert "no text" in plan.prompt
        negative = [t.strip() for t in plan.negative_prompt.split(",")]
        assert {"text", "letters", "watermark", "chinese characters", "logo"} <= set(negative)
        assert len(negative) == len(set(negative))
        assert "menu" in negative and "3d render" in negative        # type's and style's own terms


def test_sections_without_terms_vary_the_article_keywords(cfg: Config) -> None:
    secs = [Section(f"第{i}部分", 2, ["没有词典里的词。" * 10]) for i in range(1, 4)]
    plans = plan_images(article(sections=secs), cfg, cover=False)
    heads = [p.prompt.split(":")[0] for p in plans]
    assert heads == ["flat vector illustration of hot pot, Chengdu, beef tallow",     # the article's keywords,
                     "flat vector illustration of Chengdu, beef tallow, hot pot",     # from another one in
                     "flat vector illustration of beef tallow, hot pot, Chengdu"]     # each section
    assert len({p.prompt for p in plans}) == 3


@pytest.mark.parametrize("options, arg, expected", [
    ({}, None, 3), ({"inline": 1}, None, 1), ({"inline": "2"}, None, 2), ({"inline": 0}, None, 0),
    ({"inline": False}, None, 0), ({"inline": 1}, 4, 4), ({}, 0, 0)])
def test_inline_count_precedence(cfg: Config, options: dict, arg: int | None, expected: int) -> None:
    plans = plan_images(article(options=options), cfg, inline_count=arg, cover=False)
    assert len(plans) == expected


def test_bad_inline_option_names_the_article(cfg: Config) -> None:
    with pytest.raises(InputError, match=r"drafts/a.md: peitu.inline must be a number"):
        plan_images(article(options={"inline": "lots"}, source=Path("drafts/a.md")), cfg)


def test_no_image_after_and_no_cover(cfg: Config) -> None:
    plans = plan_images(article(options={"no_image_after": ["结语", "锅底的秘密"]}), cfg, cover=False)
    assert [p.title for p in plans] == ["必点的三样", "排队两小时值不值"]
    assert plans[0].key == "inline-1" and plans[1].key == "inline-2"


def test_style_precedence_and_errors(cfg: Config) -> None:
    a = article(options={"style": "ink"})
    assert plan_images(a, cfg, inline_count=0)[0].style == "ink"
    cover = plan_images(a, cfg, style="watercolor", inline_count=0)[0]
    assert cover.style == "watercolor" and cover.palette_hint == "pastel"
    assert cover.prompt.startswith("soft watercolor painting of")
    assert plan_images(article(), cfg, inline_count=0)[0].style == cfg.style == "flat"
    with pytest.raises(InputError) as err:
        plan_images(article(options={"style": "oil"}, source=Path("a.md")), cfg)
    assert str(err.value).startswith("a.md: unknown style 'oil'") and "watercolor" in str(err.value)
    cfg.style = "nope"
    with pytest.raises(ConfigError, match="style: 'nope' has no file"):
        plan_images(article(), cfg)


def test_unknown_type_falls_back_to_default(cfg: Config, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pipeline.prompts"):
        plans = plan_images(article(type_="pets"), cfg, inline_count=0)
    assert plans[0].template == "default"
    assert "no template for type 'pets'" in caplog.text


def test_seed_is_deterministic_per_article_and_key(cfg: Config) -> None:
    one = plan_images(article(), cfg)
    assert [p.seed for p in one] == [p.seed for p in plan_images(article(), cfg)]
    assert len({p.seed for p in one}) == len(one)
    other = plan_images(article(slug="another"), cfg)
    assert all(a.seed != b.seed for a, b in zip(one, other, strict=True))
    assert all(0 <= p.seed < 2**31 for p in one)


@pytest.mark.parametrize("type_", TYPES)
def test_every_template_renders_in_every_style(cfg: Config, type_: str) -> None:
    lib = TemplateLibrary(cfg)
    assert type_ in lib.names()
    bare = article(type_, keywords=[], title="无题",
                   sections=[Section("第一部分", 2, ["某某某。" * 20])], markers=[Marker(1, "月下独酌")])
    for style in lib.style_names():
        for a in (article(type_), bare):
            plans = plan_images(a, cfg, style=style)
            medium = lib.style(style).medium
            for p in plans:
                assert p.template == type_
                assert p.prompt.startswith(medium) or p.role == "marker"
                assert "no text" in p.prompt and "{" not in p.prompt and "  " not in p.prompt
                assert 60 < len(p.prompt) <= 800 and len(p.negative_prompt) <= 500
    covers = {plan_images(article(t), cfg, inline_count=0)[0].prompt for t in TYPES}
    assert len(covers) == len(TYPES)                  # each type shows something of its own


def test_type_labels_agree_between_templates_and_config(cfg: Config, project: Config) -> None:
    from_config, from_templates = TemplateLibrary(cfg), TemplateLibrary(project)   # project: no rules
    assert set(cfg.article_types.rules) == set(TYPES) - {"default"}
    for t in TYPES:
        assert from_templates.label(t) == from_config.label(t) != t
    assert from_templates.label("food") == "美食" and from_templates.label("default") == "通用"
    cfg.article_types.rules["food"].label = "吃喝"
    assert from_config.label("food") == "吃喝"


def test_template_variables_reach_the_template(project: Config) -> None:
    path = project.path(project.paths.templates) / "probe.j2"
    path.write_text(
        "{% block cover_prompt %}{{ title }}|{{ keywords | join('+') }}|{{ keywords_zh | join('+') }}|"
        "{{ type }}|{{ type_label }}|{{ style.id }}|{{ style.palette.name }}|{{ account.name }}|{{ role }}"
        "{% endblock %}{% block inline_prompt %}{{ section.heading }}|{{ section.keywords | join('+') }}|"
        "{{ section.keywords_zh | join('+') }}|{{ section.index }}|{{ section.number }}|{{ '毛肚' | glossary }}"
        "{% endblock %}{% block negative %}ugly{% endblock %}", encoding="utf-8")
    cover, inline = plan_images(article("probe", keywords=["火锅", "老店", "AI"]), project, inline_count=1)
    assert cover.prompt.split("|") == [
        "成都火锅地图：10家老店实测", "Chengdu+hot pot+AI", "火锅+老店+AI", "probe", "probe", "flat",
        "vivid", "default", "cover, no text, no letters, no captions"]
    assert inline.prompt.split("|")[:5] == ["必点的三样", "beef tripe+duck intestines", "毛肚+鸭肠+黄喉", "4", "1"]
    assert inline.prompt.split("|")[5].startswith("beef tripe, no text")


def test_template_errors_name_file_and_line(project: Config) -> None:
    tdir = project.path(project.paths.templates)
    food = tdir / "food.j2"
    lines = food.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if "hero shot" in line)
    lines[at] = lines[at].replace("{{ kw", "{{ sectoin.heading }} {{ kw")
    food.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(TemplateError) as err:
        plan_images(article(), project)
    assert str(err.value).startswith(f"templates/prompts/food.j2:{at + 1}: 'sectoin' is undefined")

    food.write_text("{% block cover_prompt %}\n\n{{ title }\n{% endblock %}", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"^templates/prompts/food.j2:3: unexpected '}'"):
        plan_images(article(), project)

    food.write_text("{% extends 'default.j2' %}\n{% block cover_prompt %}\n"
                    "{{ title.__class__.__mro__ }}{% endblock %}", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"^templates/prompts/food.j2:3: access to attribute '__class__'"):
        plan_images(article(), project)

    food.write_text("{% extends 'default.j2' %}\n{% block cover_prompt %}{{ keywords.append('x') }}"
                    "{% endblock %}", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"food.j2:2: access to attribute 'append'"):
        plan_images(article(), project)


def test_templates_may_extend_and_share_top_level_macros(project: Config) -> None:
    (project.path(project.paths.templates) / "food.j2").write_text(
        "{% extends 'default.j2' %}\n{% macro dish(k) %}a bowl of {{ k | join(' and ') }}{% endmacro %}\n"
        "{% block cover_prompt %}{{ dish(keywords[:2]) }}, {{ super() }}{% endblock %}", encoding="utf-8")
    cover, inline = plan_images(article(), project, inline_count=1)
    assert cover.prompt.startswith("a bowl of Chengdu and hot pot, flat vector illustration of a single")
    assert inline.prompt.startswith("flat vector illustration of beef tripe")   # inherited block


def test_editing_a_template_style_or_glossary_changes_version_and_seed(project: Config) -> None:
    before = plan_images(article(), project)[0]
    food = project.path(project.paths.templates) / "food.j2"
    food.write_text(food.read_text(encoding="utf-8").replace("hero shot", "close-up"), encoding="utf-8")
    after = plan_images(article(), project)[0]          # same process: the edit is picked up
    assert "close-up of Chengdu, hot pot" in after.prompt
    assert after.template_version != before.template_version and after.seed != before.seed
    assert len(after.template_version) == 12 and int(after.template_version, 16) >= 0

    style = project.path(project.paths.styles) / "flat.yaml"
    style.write_text(style.read_text(encoding="utf-8").replace("soft long shadows", "crisp shadows"),
                     encoding="utf-8")
    restyled = plan_images(article(), project)[0]
    assert "crisp shadows" in restyled.prompt and restyled.template_version != after.template_version

    glossary = project.path(project.paths.glossary)
    glossary.write_text(glossary.read_text(encoding="utf-8") + "\nmine:\n  火锅: Sichuan hot pot\n",
                        encoding="utf-8")
    reglossed = plan_images(article(), project)[0]
    assert "close-up of Chengdu, Sichuan hot pot" in reglossed.prompt
    assert reglossed.template_version != restyled.template_version
    assert plan_images(article(), project, style="ink")[0].template_version != reglossed.template_version


def test_templates_dir_overrides_only_what_it_holds(project: Config, tmp_path: Path) -> None:
    account = tmp_path / "account-b"
    account.mkdir()
    (account / "food.j2").write_text(
        "{% block cover_prompt %}a cozy diner{% endblock %}{% block inline_prompt %}a counter{% endblock %}"
        "{% block negative %}people{% endblock %}", encoding="utf-8")
    cover = plan_images(article(), project, templates_dir=account, inline_count=0)[0]
    assert cover.prompt.startswith("a cozy diner") and cover.negative_prompt.startswith("people, text")
    tech = plan_images(article("tech"), project, templates_dir=account, inline_count=0)[0]
    assert "glowing device" in tech.prompt                  # from the configured folder


def test_bad_style_file_is_a_clear_error(project: Config) -> None:
    (project.path(project.paths.styles) / "flat.yaml").write_text("label: 扁平\nmedium: [unclosed\n",
                                                                  encoding="utf-8")
    with pytest.raises(TemplateError, match=r"^templates/styles/flat.yaml:\d+: not valid YAML"):
        plan_images(article(), project)
    (project.path(project.paths.styles) / "flat.yaml").write_text(
        "label: 扁平\nmedium: flat\npositive: clean\npalette: {name: x, colors: ['#FFFFFF']}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"flat.yaml: palette.colors: List should have at least 2"):
        plan_images(article(), project)


def test_style_can_turn_off_the_title_overlay(project: Config) -> None:
    assert plan_images(article(), project, inline_count=0)[0].title_overlay is True
    photo = project.path(project.paths.styles) / "photo.yaml"
    photo.write_text(photo.read_text(encoding="utf-8") + "title_overlay: false\n", encoding="utf-8")
    assert plan_images(article(), project, style="photo", inline_count=0)[0].title_overlay is False


def test_repository_config_names_an_existing_style() -> None:
    cfg = load_config(REPO / "config.yaml")
    lib = TemplateLibrary(cfg)
    assert cfg.style in lib.style_names() and len(lib.style_names()) >= 6
    assert sorted(lib.names()) == sorted(TYPES)
