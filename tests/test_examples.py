"""The example articles used by `make demo` and the end-to-end tests are well-formed and cover their cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from PIL import Image

ARTICLES = Path(__file__).resolve().parent.parent / "examples" / "articles"
NEWSPIC = ARTICLES / "newspic-erhai-dawn.md"             # the image post (type: image), checked on its own
FILES = sorted(p for p in ARTICLES.glob("*.md") if p != NEWSPIC)
FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)
MARKER = "![清晨的一碗热汤面](__generate:a steaming bowl of noodles on a wooden table, morning light__)"
AUTHOR_IMAGE = "![](images/author-photo.jpg)"


def split(path: Path) -> tuple[dict | None, str]:
    """Front matter (None when absent) and body of one example."""
    text = path.read_bytes().decode("utf-8")          # strict: invalid UTF-8 raises
    m = FRONT.match(text)
    if not m:
        return None, text
    meta = yaml.safe_load(m.group(1))
    assert isinstance(meta, dict), f"{path.name}: front matter is not a mapping"
    return meta, text[m.end():]


def test_enough_examples_with_kebab_case_names() -> None:
    assert len(FILES) >= 8
    for f in [*FILES, NEWSPIC]:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*\.md", f.name), f.name


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_is_well_formed(path: Path) -> None:
    meta, body = split(path)
    if meta is None:
        assert re.match(r"# \S", body), f"{path.name}: no front matter and no H1 title"
    else:
        assert isinstance(meta.get("title"), str) and meta["title"].strip()
        assert len(meta["title"]) <= 32, "WeChat titles are at most 32 characters"
        digest = meta.get("digest") or meta.get("summary") or meta.get("description") or ""
        assert 0 < len(digest) <= 128, f"{path.name}: digest missing or over WeChat's 128 characters"
        assert len(str(meta.get("author", ""))) <= 16
    assert 1200 <= len(body) <= 2500, f"{path.name}: {len(body)} characters"
    assert 3 <= len(re.findall(r"^## ", body, re.M)) <= 6
    prose = re.sub(r"^```.*?^```$", "", body, flags=re.S | re.M)
    assert meta is None or not re.search(r"^# ", prose, re.M), f"{path.name}: H1 duplicates the title"
    assert "\r" not in body and "\ufeff" not in body


def test_front_matter_variants_are_covered() -> None:
    metas = {f.name: split(f)[0] for f in FILES}
    assert any(m is None for m in metas.values()), "one example has no front matter"
    assert any(m and "type" in m for m in metas.values()), "one example sets type:"
    options = [m["peitu"] for m in metas.values() if m and "peitu" in m]
    assert options == [{"style": "watercolor", "inline": 2}]
    keys = {k for m in metas.values() if m for k in m}
    assert {"digest", "summary", "description", "tags"} <= keys


def test_exactly_one_marker_and_one_author_image() -> None:
    bodies = {f.name: split(f)[1] for f in FILES}
    assert any(MARKER in b for b in bodies.values())
    assert sum(b.count("__generate:") for b in bodies.values()) == 1
    with_author = [n for n, b in bodies.items() if AUTHOR_IMAGE in b]
    assert len(with_author) == 1
    others = [n for n, b in bodies.items() if re.search(r"!\[[^\]]*\]\((?!__generate:)", b)]
    assert others == with_author, "no other images in the examples"


def test_author_image_is_a_real_small_jpeg() -> None:
    path = ARTICLES / "images" / "author-photo.jpg"
    assert path.stat().st_size < 100_000
    with Image.open(path) as im:
        assert im.format == "JPEG"
        im.verify()
    with Image.open(path) as im:
        assert min(im.size) >= 300
        assert sum(1 for n in im.convert("L").histogram() if n) > 20, "an image, not a flat fill"


def test_the_image_post_example_is_short_text_with_the_author_photo_and_two_markers() -> None:
    meta, body = split(NEWSPIC)
    assert meta["type"] == "image" and meta["cover"] == "images/author-photo.jpg" and len(meta["title"]) <= 32
    assert body.count("__generate:") == 2 and not re.search(r"^#", body, re.M)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", body)
    assert 100 <= len(text.strip()) <= 1000, "an image post's text: WeChat's editor takes 1,000 characters"


def test_tech_example_has_a_fenced_code_block() -> None:
    body = split(ARTICLES / "tech-edge-ai.md")[1]
    assert re.search(r"^```python\n.+?^```$", body, re.S | re.M)


@pytest.fixture(scope="module")
def parsed() -> dict:
    """Every example read the way `make demo` reads it."""
    from pipeline.config import load_config
    from pipeline.ingest import read_article

    cfg = load_config(ARTICLES.parents[1] / "config.yaml")
    return {f.name: read_article(f, cfg) for f in FILES}


def test_examples_read_as_articles_of_their_type(parsed: dict) -> None:
    expected = {"tech-edge-ai.md": "tech", "finance-personal-pension.md": "finance",
                "food-chaoshan-beef-hotpot.md": "food", "travel-dali-four-days.md": "travel",
                "health-sleep.md": "health", "education-bridge-books.md": "education",
                "career-first-time-manager.md": "career"}
    assert {name: parsed[name].type for name in expected} == expected
    for name, article in parsed.items():
        assert article.title and len(article.text) >= 1000, name
        assert "```" not in article.text and "def weight_gb" not in article.text, name


def test_examples_special_cases_survive_ingest(parsed: dict) -> None:
    assert parsed["health-sleep.md"].title == "总是睡不着？关于失眠你需要知道的六件事"
    assert parsed["food-chaoshan-beef-hotpot.md"].options == {"style": "watercolor", "inline": 2}
    (marker,) = parsed["society-community-canteen.md"].markers
    assert marker.prompt == "a steaming bowl of noodles on a wooden table, morning light" and marker.alt == "清晨的一碗热汤面"
    assert any(s.has_image for s in parsed["travel-dali-four-days.md"].sections)
    assert all(not a.markers for n, a in parsed.items() if n != "society-community-canteen.md")


BENCH = ARTICLES.parents[1] / "bench" / "relevance"


def test_relevance_benchmark_data_is_consistent() -> None:
    labels = yaml.safe_load((BENCH / "labels.yaml").read_text(encoding="utf-8"))
    files = {p.stem: p for p in (BENCH / "articles").glob("*.md")}
    assert set(labels) == set(files) and len(files) >= 25
    types = {v["type"] for v in labels.values()}
    assert types == {"tech", "finance", "food", "travel", "health", "education", "career", "news", "culture",
                     "sports", "lifestyle", "auto", "realestate"}
    for name, label in labels.items():
        assert len({str(k) for k in label["keywords"]}) == 8, name
        meta, body = split(files[name])
        assert meta and meta["source_url"].startswith("http") and meta["licence"], name
        assert isinstance(meta["excerpt"], bool) and len(body) >= 500, name   # shortest: finance-03, 555


def test_relevance_match_rule() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("relevance", BENCH.parent / "relevance.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.related("长沙马拉松", "马拉松") and bench.related("养老金", "個人養老金")
    assert not bench.related("歼10", "10") and not bench.related("学习", "学")
    # one predicted word recalls one label, however many it is related to
    assert bench.matched(["长沙马拉松", "全程马拉松", "配速"], ["马拉松", "配速", "天气"]) == 2
    assert bench.matched(["长沙马拉松", "全程马拉松"], ["长沙马拉松", "马拉松"]) == 2
