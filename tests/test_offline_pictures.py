"""Offline pictures that depict: the local provider draws the plan's subjects from the art set, in
each style's own way, never prints a heading or an author's request, and says in `depicts` what it
drew (and why nothing, when it fell back to a pattern)."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import pytest
import yaml
from PIL import Image, ImageChops, ImageStat

from pipeline.config import Config
from pipeline.ingest import parse_article, read_article
from pipeline.models import ImagePlan
from pipeline.prompts import plan_images
from pipeline.prompts.planner import library_for
from pipeline.providers.local import LOOKS, compose, draw_local, render_local
from pipeline.providers.local.artbuild import build
from pipeline.providers.local.artset import ArtSet, installed
from pipeline.providers.local.looks import offline_note
from pipeline.providers.local.subjects import Picker, aliases
from pipeline.publish.wechat.article import parse_draft_article

from .conftest import REPO, phash, require_art

EXAMPLES = sorted((REPO / "examples" / "articles").glob("*.md"))
PICTURES = REPO / "templates" / "pictures.yaml"


@pytest.fixture(scope="module")
def art() -> ArtSet:
    require_art()
    found = installed()
    assert found is not None
    return found


@pytest.fixture
def picker(art: ArtSet, cfg: Config) -> Picker:
    return Picker(art, aliases(PICTURES, art), library_for(cfg).glossary().segment)


def plan(role: str = "inline", subjects: list[str] | None = None, *, style: str = "flat", title: str = "",
         size: tuple[int, int] | None = None, **kw) -> ImagePlan:
    w, h = size or ((1344, 576) if role == "cover" else (1024, 576))
    key = {"cover": "cover", "inline": "inline-1", "marker": "marker-1"}[role]
    return ImagePlan(key=key, role=role, prompt="a picture", negative_prompt="", style=style, width=w, height=h,
                     seed=11, template="food", template_version="t1", title=title, subjects=subjects or [], **kw)


# --- what a picture shows -------------------------------------------------------------------

def test_a_picture_shows_its_subjects_and_says_so(cfg: Config, art: ArtSet):
    drawn = draw_local(plan(subjects=["潮汕牛肉火锅", "刚跑", "牛肉", "沙茶酱", "蒜头"]), cfg)
    assert drawn.depicts == ["潮汕牛肉火锅", "牛肉", "沙茶酱"] and drawn.reason == ""   # 刚跑: nothing to draw
    other = draw_local(plan(subjects=["手机", "芯片"]), cfg)
    assert other.depicts == ["手机", "芯片"] and other.data != drawn.data


def test_nothing_drawable_is_a_pattern_with_the_reason(cfg: Config, art: ArtSet):
    drawn = draw_local(plan(subjects=["情境", "主动权"]), cfg)
    assert drawn.depicts == [] and "情境" in drawn.reason and "pattern" in drawn.reason
    assert "no subjects" in draw_local(plan(subjects=[]), cfg).reason


@pytest.mark.parametrize("role", ["inline", "marker"])
def test_inline_and_marker_pictures_print_no_heading(cfg: Config, art: ArtSet, role: str):
    first = plan(role, ["睡眠", "褪黑素"], title="坑二：不做一对一沟通")
    assert compose(first, cfg).title_mask is None
    again = plan(role, ["睡眠", "褪黑素"], title="五、褪黑素能不能随便吃")
    assert render_local(first, cfg) == render_local(again, cfg)      # the heading changes no pixel


def test_author_markers_are_drawn_from_their_description(cfg: Config, art: ArtSet):
    text = "# 夜读\n\n## 图书馆\n\n晚上的图书馆很安静，灯一盏盏亮起来，适合坐下来读一本书。\n\n" \
           "![配图](__generate:a quiet library at dusk__)\n"
    article = parse_article(text, cfg, fmt="markdown")
    marker = next(p for p in plan_images(article, cfg) if p.role == "marker")
    assert {"library", "dusk"} <= set(marker.subjects)
    drawing = compose(marker, cfg)
    assert drawing.title_mask is None and drawing.depicts
    assert set(drawing.depicts) <= {"quiet", "library", "dusk"}


def test_placeholders_draw_their_subject_or_the_text_around_them_never_print_it(cfg: Config, art: ArtSet):
    item = {"title": "一碗拉面",
            "content": "<p>师傅凌晨四点开始熬汤。</p><p>【配图：拉面师傅在案板上拉面】</p>"
                       "<p>汤头用牛骨和鸡架熬八个小时，面条现拉现煮，端上桌时还冒着热气。【配图】</p>"}
    article = parse_draft_article(item, cfg, "default", "【配图】")
    markers = [p for p in plan_images(article, cfg) if p.role == "marker"]
    assert len(markers) == 2
    for marker, source in zip(markers, ("拉面师傅在案板上拉面", "汤头用牛骨和鸡架熬八个小时"), strict=True):
        drawing = compose(marker, cfg)
        assert drawing.title_mask is None and drawing.depicts, marker.subjects
        assert all(subject in item["content"] for subject in drawing.depicts)
        assert not any(source in subject for subject in marker.subjects)    # the sentence is no subject


# --- styles ---------------------------------------------------------------------------------

def test_styles_differ_for_real(cfg: Config, art: ArtSet):
    pictures = {style: Image.open(io.BytesIO(render_local(plan(subjects=["咖啡", "面包", "牛奶"], style=style),
                                                          cfg))).convert("RGB") for style in LOOKS}
    for a, b in itertools.combinations(pictures, 2):
        diff = sum(ImageStat.Stat(ImageChops.difference(pictures[a], pictures[b])).mean) / 3
        assert diff >= 12, (a, b, diff)


def test_styles_the_renderer_cannot_honour_say_so():
    assert "照片" in offline_note("photo") and "photograph" in offline_note("photo")
    assert offline_note("isometric") and offline_note("no-such-style")
    assert not offline_note("flat") and not offline_note("watercolor") and not offline_note("ink")


# --- from a word to a picture ---------------------------------------------------------------

@pytest.mark.parametrize("word, picture", [
    ("潮汕牛肉火锅", "pot-of-food"),      # the end of a longer word (pictures.yaml: 火锅)
    ("锂电池", "battery"), ("医院", "hospital"), ("拉面", "steaming-bowl"),   # the set's own names and tags
    ("褪黑素", "pill"), ("面", "steaming-bowl"),                               # pictures.yaml
    ("pills", "pill"), ("library", "book"),                                    # English words
])
def test_a_word_finds_its_picture(picker: Picker, word: str, picture: str):
    assert picture in picker.find(word)[0][1]


@pytest.mark.parametrize("word", ["马", "卡", "睡眠压力", "情境", "table"])
def test_no_picture_rather_than_a_wrong_one(picker: Picker, word: str):
    """One character only through pictures.yaml (马 of 半马, 卡 of 卡在哪); a face only by name; a
    false friend pictures.yaml maps to nothing (table is no table tennis)."""
    assert picker.find(word) == []


def test_one_picture_per_thing(picker: Picker):
    assert [f.subject for f in picker.choose(["潮汕牛肉火锅", "火锅", "牛肉"], 3)] == ["潮汕牛肉火锅", "牛肉"]
    beds = [f.piece for f in picker.choose(["失眠", "睡眠", "上床"], 3)]
    assert sum("bed" in name for name in beds) == 1


def test_every_line_of_pictures_yaml_names_a_picture(art: ArtSet):
    data = yaml.safe_load(PICTURES.read_text(encoding="utf-8"))
    names = [name for group in data.values() for name in group.values() if name]
    assert len(names) > 200
    assert [n for n in names if n not in art.pieces] == []


def test_the_art_set_is_built_from_the_npm_packages(tmp_path: Path):
    modules = tmp_path / "node_modules"
    icons = modules / "@iconify-json" / "fluent-emoji-flat"
    icons.mkdir(parents=True)
    body = '<circle cx="16" cy="16" r="12" fill="#f00"/>'
    (icons / "icons.json").write_text(json.dumps({"width": 32, "height": 32, "icons": {
        "steaming-bowl": {"body": body}, "artist-dark": {"body": body}, "flag-china": {"body": body}}}))
    (icons / "chars.json").write_text(json.dumps({"1f35c": "steaming-bowl", "1f9d1-1f3ff-200d-1f3a8": "artist-dark",
                                                  "1f1e8-1f1f3": "flag-china"}))
    for lang, label, tags in (("zh", "面条", ["拉面", "碗"]), ("en", "steaming bowl", ["noodle", "ramen"])):
        folder = modules / "emojibase-data" / lang
        folder.mkdir(parents=True)
        folder.joinpath("data.json").write_text(json.dumps([
            {"hexcode": "1F35C", "label": label, "tags": tags, "group": 4, "subgroup": 45, "order": 1},
            {"hexcode": "1F1E8-1F1F3", "label": "China", "tags": [], "group": 9, "subgroup": 98, "order": 2},
        ], ensure_ascii=False), encoding="utf-8")
    assert build(modules, tmp_path / "artdata") == 1                  # no skin tone, no flag
    built = ArtSet(tmp_path / "artdata")
    assert built.zh_tag["拉面"] == ["steaming-bowl"] and built.en_tag["noodle"] == ["steaming-bowl"]
    assert built.svg("steaming-bowl").startswith("<svg") and body in built.svg("steaming-bowl")


# --- the examples ---------------------------------------------------------------------------

def test_the_examples_pictures_show_their_articles_and_no_two_covers_look_alike(cfg: Config, art: ArtSet):
    """≥ 90 % of the demo's offline pictures depict subjects from their own article; the smallest
    perceptual-hash distance between two covers stays well above a near-duplicate's (~8 of 63)."""
    shown = total = 0
    covers: dict[str, int] = {}
    for path in EXAMPLES:
        article = read_article(path, cfg)
        words = " ".join([article.title, article.text, *article.keywords, *(m.prompt for m in article.markers)])
        for p in plan_images(article, cfg):
            drawing = compose(p, cfg)
            total += 1
            shown += bool(drawing.depicts)
            assert all(subject.lower() in words.lower() for subject in drawing.depicts), (p.key, drawing.depicts)
            if p.role == "cover":
                covers[article.slug] = phash(drawing.image.resize((900, 383)))
    assert shown >= 0.9 * total, f"{shown} of {total} pictures depict their article"
    nearest = min((bin(covers[a] ^ covers[b]).count("1"), a, b) for a, b in itertools.combinations(covers, 2))
    assert nearest[0] >= 10, f"covers too alike: {nearest}"
