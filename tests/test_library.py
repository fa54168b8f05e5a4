"""The asset library: recording, Chinese and English search, tags, export, uploads and importing output folders."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

from pipeline.errors import InputError
from pipeline.library import Library, parse_since, record_illustration, record_upload, search
from pipeline.library.export import to_csv, to_json
from pipeline.library.importer import import_outputs
from pipeline.library.text import match_query, normalise_tags
from pipeline.models import GeneratedImage, Rendition
from pipeline.publish.output import write_output
from tests.conftest import make_article, make_plan, picture, written_folder

DAY = 86400
pytestmark = pytest.mark.backends("sqlite", "postgresql")


def add(lib: Library, slug: str, title: str, keywords: list[str], prompt: str, *, color=(10, 20, 30),
        type_: str = "food", role: str = "cover", key: str = "cover", provider: str = "fake",
        now: float | None = None, **plan_kw) -> int:
    w, h = (1344, 576) if role == "cover" else (1024, 576)
    return lib.add_image(picture(color, w, h), plan=make_plan(key, role, prompt, keywords, w=w, h=h, **plan_kw),
                         article=make_article(slug, title, keywords, type_), provider=provider,
                         model="m1", seed=42, tags=keywords, now=now)


@pytest.fixture
def lib(cfg):
    with Library.open(cfg) as library:
        yield library


@pytest.fixture
def filled(lib):
    now = time.time()
    ids = {
        "coffee": add(lib, "pour-over", "手冲咖啡入门：从研磨到水温", ["手冲", "咖啡", "研磨"],
                      "a ceramic pour-over coffee dripper, steam, morning light", color=(120, 70, 30), now=now - 40 * DAY),
        "hotpot": add(lib, "beef-hotpot", "潮汕牛肉火锅的十二个部位", ["牛肉", "火锅", "潮汕"],
                      "sliced beef on a plate beside a bubbling hotpot", color=(200, 40, 30), now=now - 5 * DAY),
        "chip": add(lib, "edge-ai", "边缘AI芯片走进家用摄像头", ["芯片", "边缘计算", "GPU"],
                    "a glowing GPU chip on a circuit board, isometric", color=(20, 60, 200), type_="tech",
                    now=now - 1 * DAY),
        "cafe": add(lib, "cafe-tour", "城市咖啡馆地图", ["咖啡馆", "城市"],
                    "a cozy street corner cafe with latte cups", color=(90, 60, 40), role="inline",
                    key="inline-1", now=now),
    }
    return ids


def ids_of(result) -> list[int]:
    return [e.id for e in result.entries]


def test_chinese_search_finds_tags_titles_and_words_inside_longer_words(lib, filled):
    assert set(ids_of(search(lib, "咖啡"))) == {filled["coffee"], filled["cafe"]}   # 咖啡馆 contains 咖啡
    assert ids_of(search(lib, "火锅")) == [filled["hotpot"]]
    assert ids_of(search(lib, "潮汕牛肉")) == [filled["hotpot"]]                    # words of a phrase, all needed
    assert ids_of(search(lib, "咖啡馆")) == [filled["cafe"]]                         # the longer word is narrower
    assert ids_of(search(lib, "水温")) == [filled["coffee"]]                         # from the title only
    assert ids_of(search(lib, "咖啡 火锅")) == []                                     # every word must match
    assert search(lib, "茶叶").total == 0


def test_english_search_is_case_insensitive_with_prefixes(lib, filled):
    assert ids_of(search(lib, "GPU")) == [filled["chip"]]
    assert ids_of(search(lib, "gpu")) == [filled["chip"]]
    assert set(ids_of(search(lib, "coffee"))) == {filled["coffee"]}
    assert ids_of(search(lib, "circ")) == [filled["chip"]]                           # prefix of circuit
    assert ids_of(search(lib, "latte cups")) == [filled["cafe"]]
    assert search(lib, "，。!?").total == 0                                           # nothing searchable


def test_tag_matches_rank_above_prompt_matches(lib):
    in_prompt = add(lib, "a", "标题一", ["天空"], "a cat sleeping on a sofa", color=(1, 1, 1))
    in_tags = add(lib, "b", "标题二", ["猫", "cat"], "a sofa in a living room", color=(2, 2, 2))
    assert ids_of(search(lib, "cat")) == [in_tags, in_prompt]


def test_filters_by_type_role_and_date(lib, filled):
    assert ids_of(search(lib, type="tech")) == [filled["chip"]]
    assert ids_of(search(lib, "咖啡", role="inline")) == [filled["cafe"]]
    recent = search(lib, since=time.time() - 7 * DAY)
    assert set(ids_of(recent)) == {filled["hotpot"], filled["chip"], filled["cafe"]}
    assert ids_of(search(lib)) == [filled["cafe"], filled["chip"], filled["hotpot"], filled["coffee"]]  # newest first
    page = search(lib, limit=2, offset=2)
    assert page.total == 4 and ids_of(page) == [filled["hotpot"], filled["coffee"]]


def test_parse_since_dates_and_ages():
    assert parse_since("2025-05-01", "Asia/Shanghai") == 1746028800.0                # midnight in Beijing
    assert parse_since("2025-05-01T08:00+00:00") == 1746086400.0
    assert abs(parse_since("7d") - (time.time() - 7 * DAY)) < 5
    assert abs(parse_since("2周") - (time.time() - 14 * DAY)) < 5
    with pytest.raises(InputError, match="not a date"):
        parse_since("last tuesday")


def test_tags_add_and_remove_and_feed_search(lib, filled):
    coffee = filled["coffee"]
    assert lib.tag(coffee, add=["拿铁", " Latte  Art "], remove=["研磨"]) == ["手冲", "咖啡", "拿铁", "latte art"]
    assert ids_of(search(lib, "拿铁")) == [coffee]
    assert "研磨" not in lib.get(coffee).tags
    assert ids_of(search(lib, "研磨")) == [coffee]             # the title still says 研磨
    lib.tag(coffee, remove=["拿铁"])
    assert search(lib, "拿铁").total == 0
    with pytest.raises(InputError, match="#999"):
        lib.tag(999, add=["x"])


def test_query_and_tag_normalisation():
    assert match_query('手冲咖啡 "quoted"') == '"手冲" AND "咖啡" AND "quoted"*'
    assert match_query("AI") == '"ai"'                       # short latin words are not prefixes
    assert normalise_tags(["  咖啡 ", "咖啡", "", "！！", "Pour  Over"]) == ["咖啡", "pour over"]


def test_same_bytes_for_two_articles_is_one_image_used_twice(cfg, lib):
    data = picture((5, 5, 5))
    first = lib.add_image(data, plan=make_plan(keywords=["咖啡"]), article=make_article("a", "甲", ["咖啡"]),
                          provider="fake", tags=["咖啡"])
    again = lib.add_image(data, plan=make_plan(keywords=["茶"]), article=make_article("b", "乙", ["茶"]),
                          provider="fake", tags=["茶"])
    entry = lib.get(first)
    assert again == first and lib.count() == 1
    assert [u.article_slug for u in entry.uses] == ["a", "b"] and entry.tags == ["咖啡", "茶"]
    assert entry.file.read_bytes() == data and entry.file.parent.parent == cfg.paths.state.parent / "library"


def test_record_illustration_keeps_provenance_files_and_uploads(cfg, tmp_path):
    art = make_article("pour-over", "手冲咖啡入门", ["手冲", "咖啡"])
    plans = [make_plan("cover", "cover", "coffee dripper", ["手冲", "咖啡"]),
             make_plan("inline-1", "inline", "coffee beans", ["咖啡豆"], w=1024, h=576),
             make_plan("inline-2", "inline", "failed one", ["失败"], w=1024, h=576)]
    raw_cover, raw_inline = picture((100, 50, 0)), picture((0, 50, 100), 1024, 576)
    cover_jpg, share_jpg = picture((100, 50, 0), 900, 383, "JPEG"), picture((100, 50, 0), 383, 383, "JPEG")
    inline_jpg = picture((0, 50, 100), 1024, 576, "JPEG")
    images = {"cover": GeneratedImage(raw_cover, "fake", "m1", 42, 1.5),
              "inline-1": GeneratedImage(raw_inline, "fake", "m1", 43, 1.0)}
    renditions = [Rendition("cover.jpg", cover_jpg, 900, 383, "JPEG", "cover", "cover"),
                  Rendition("cover_1x1.jpg", share_jpg, 383, 383, "JPEG", "cover_1x1", "cover"),
                  Rendition("inline-1.jpg", inline_jpg, 1024, 576, "JPEG", "inline", "inline-1")]
    ids = record_illustration(cfg, art, plans, images, renditions, tmp_path / "out" / "pour-over")
    assert set(ids) == {"cover", "inline-1"}
    assert record_illustration(cfg, art, plans, images, renditions, tmp_path / "out" / "pour-over") == ids
    with Library.open(cfg) as lib:
        assert lib.count() == 2
        cover = lib.get(ids["cover"])
        assert (cover.prompt, cover.negative_prompt, cover.template, cover.template_version) == \
            ("coffee dripper", "text, watermark", "food", "t1")
        assert (cover.provider, cover.model, cover.seed, cover.width, cover.height) == ("fake", "m1", 42, 1344, 576)
        assert (cover.article_slug, cover.article_title, cover.article_type) == ("pour-over", "手冲咖啡入门", "food")
        assert [f.name for f in cover.files] == ["cover.jpg", "cover_1x1.jpg"]
        assert cover.files[0].path == str((tmp_path / "out" / "pour-over" / "cover.jpg").resolve())
        assert lib.get(ids["inline-1"]).tags == ["咖啡豆"]
    assert record_upload(cfg, share_jpg, "MEDIA_1", "", account="main") == ids["cover"]
    assert record_upload(cfg, inline_jpg, "", "http://mmbiz.qpic.cn/x.jpg") == ids["inline-1"]
    assert record_upload(cfg, b"never recorded", "MEDIA_X") is None
    with Library.open(cfg) as lib:
        assert lib.get(ids["cover"]).media_id == "MEDIA_1"
        assert lib.get(ids["inline-1"]).wechat_url == "http://mmbiz.qpic.cn/x.jpg"


def test_export_csv_and_json(lib, filled):
    lib.record_upload(lib.get(filled["chip"]).sha256, "MEDIA_9", account="main")
    entries = search(lib).entries
    text = to_csv(entries)
    assert text.startswith("\ufeff")                         # Excel/WPS read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    by_id = {int(r["id"]): r for r in rows}
    assert len(rows) == 4 and by_id[filled["hotpot"]]["tags"] == "牛肉; 火锅; 潮汕"
    assert by_id[filled["chip"]]["media_id"] == "MEDIA_9" and by_id[filled["chip"]]["used_by"] == "edge-ai"
    assert by_id[filled["coffee"]]["created_at"].endswith("+08:00")
    data = json.loads(to_json(entries))
    chip = next(d for d in data if d["id"] == filled["chip"])
    assert chip["tags"] == ["芯片", "边缘计算", "gpu"] and chip["uploads"][0]["account"] == "main"
    assert chip["prompt"].startswith("a glowing GPU chip")


def test_import_output_folders_once_and_report_broken_ones(cfg, lib, tmp_path):
    out = tmp_path / "output"
    written_folder(out, "hotpot", "潮汕牛肉火锅", ["牛肉", "火锅"])
    written_folder(out, "sleep", "睡个好觉", ["睡眠"], provider="local")
    (out / "broken").mkdir()
    (out / "broken" / "manifest.json").write_text("{not json", encoding="utf-8")
    report = import_outputs(lib, out)
    assert (report.articles, report.added, report.known) == (2, 4, 0)
    assert len(report.problems) == 1 and "broken/manifest.json" in report.problems[0]
    hits = search(lib, "火锅")
    assert hits.total == 2 and {e.origin for e in hits.entries} == {"imported"}
    cover = next(e for e in hits.entries if e.role == "cover")
    assert cover.file.read_bytes() == (out / "hotpot" / "cover.jpg").read_bytes()
    assert [f.name for f in cover.files] == ["cover.jpg", "cover_1x1.jpg"] and cover.prompt == "潮汕牛肉火锅 cover"
    inline = next(e for e in hits.entries if e.role == "inline")
    assert inline.reusable and not cover.reusable            # covers may carry our title overlay
    assert not any(e.reusable for e in search(lib, "睡眠").entries)   # the local provider draws text
    again = import_outputs(lib, out)
    assert (again.added, again.known) == (0, 4) and lib.count() == 4


def test_import_skips_folders_recorded_when_made(cfg, lib, tmp_path):
    out = tmp_path / "output"
    ill = written_folder(out, "pension", "个人养老金", ["养老金"])
    record_illustration(cfg, ill.article, ill.plans, {p.key: GeneratedImage(picture((9, 9, i)), "fake", "m", 1, 0.1)
                                                      for i, p in enumerate(ill.plans)},
                        ill.renditions, out / "pension", library=lib)
    report = import_outputs(lib, out)
    assert (report.added, report.known) == (0, 2) and lib.count() == 2
    with pytest.raises(InputError, match="no such folder"):
        import_outputs(lib, tmp_path / "missing")


@pytest.mark.slow
def test_real_illustration_recorded_then_imported_and_reused_through_renditions(cfg, tmp_path):
    from pipeline.engine import Engine
    from pipeline.images import renditions_for
    from pipeline.ingest import read_article
    from pipeline.library import find_reusable
    from tests.conftest import REPO

    art = read_article(REPO / "examples" / "articles" / "food-chaoshan-beef-hotpot.md", cfg)
    ill = Engine(cfg).illustrate(art)
    folder = write_output(ill, cfg.paths.output)
    ids = record_illustration(cfg, art, ill.plans, ill.images, ill.renditions, folder)
    assert set(ids) == {p.key for p in ill.plans}
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    with Library.open(cfg) as lib:
        cover = lib.get(ids["cover"])
        listed = {f["name"]: f["sha256"] for i in manifest["images"] if i["key"] == "cover" for f in i["files"]}
        assert {f.name: f.sha256 for f in cover.files} == listed
        assert cover.file.read_bytes() == ill.images["cover"].data and not cover.reusable   # local: has the title
        assert search(lib, "牛肉").total >= 1
        assert import_outputs(lib, cfg.paths.output).known == len(ids)
        # a hosted-looking inline image of the same article may stand in for a similar plan elsewhere
        inline = ill.plans[1]
        hosted = lib.add_image(picture((30, 90, 60), inline.width, inline.height), plan=inline, article=art,
                               provider="fake", model="m", seed=1, tags=inline.keywords, now=time.time() - 90 * DAY)
    cfg.library.reuse = True
    other = make_article("other-hotpot", "另一篇火锅", art.keywords, "food")
    hit = find_reusable(inline, other, cfg)
    assert hit is not None and hit.model.startswith(f"#{hosted} ")
    files = renditions_for(inline, hit, cfg)
    assert [f.name for f in files] == [f"{inline.key}.jpg"] and files[0].width <= cfg.images.inline_max_width
