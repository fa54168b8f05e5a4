"""End to end: `peitu illustrate` on the bundled examples, as a user runs it (a real subprocess)."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from .conftest import REPO, write_config

EXAMPLES = sorted((REPO / "examples" / "articles").glob("*.md"))


def peitu(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI as a user runs it, with a config whose state (library, cache) lives in `folder`."""
    return subprocess.run([sys.executable, "-m", "pipeline", "--config", str(write_config(folder)), *args],
                          cwd=folder, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("out")
    return out, peitu(tmp_path_factory.mktemp("state"), "illustrate", *map(str, EXAMPLES), "--out", str(out),
                      "--provider", "local")


@pytest.mark.slow
def test_every_example_is_illustrated(demo):
    out, run = demo
    assert run.returncode == 0, run.stderr
    assert len(EXAMPLES) >= 6
    manifests = [json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*/manifest.json")]
    assert {m["article"]["source"] for m in manifests} == {str(p) for p in EXAMPLES}
    assert len({m["article"]["type"] for m in manifests}) >= 6
    assert (out / "index.html").is_file()


@pytest.mark.slow
def test_sizes_limits_and_manifest_match_files(demo):
    out, _ = demo
    for manifest in out.glob("*/manifest.json"):
        folder = manifest.parent
        m = json.loads(manifest.read_text(encoding="utf-8"))
        roles = {}
        for image in m["images"]:
            assert image["error"] is None, image
            assert image["prompt"] and image["negative_prompt"] and image["provider"] == "local"
            assert isinstance(image["seed"], int) and image["template_version"]
            for f in image["files"]:
                data = (folder / f["name"]).read_bytes()
                assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"]
                with Image.open(io.BytesIO(data)) as im:
                    assert im.format == "JPEG" and im.mode == "RGB"
                    assert (im.width, im.height) == (f["width"], f["height"])
                    assert not im.getexif()
                roles[f["role"]] = (f["width"], f["height"], len(data))
        if m["article"]["cover_named_by_author"] is None:
            assert roles["cover"][:2] == (900, 383) and roles["cover"][2] <= 10_000_000
            assert roles["cover_1x1"][:2] == (383, 383)
        inline = [f for i in m["images"] if i["role"] in ("inline", "marker") for f in i["files"]]
        assert inline, folder
        assert all(f["width"] <= 1080 and f["bytes"] <= 1_000_000 for f in inline)


@pytest.mark.slow
def test_inline_images_sit_after_their_headings(demo):
    out, _ = demo
    for manifest in out.glob("*/manifest.json"):
        m = json.loads(manifest.read_text(encoding="utf-8"))
        soup = BeautifulSoup((manifest.parent / "article.html").read_text(encoding="utf-8"), "html.parser")
        for image in m["images"]:
            if image["role"] != "inline":
                continue
            heading = soup.find(lambda t: t.name in ("h2", "h3", "h4") and t.get_text(strip=True) == image["section"])
            assert heading is not None, (manifest, image["section"])
            assert heading.find_next_sibling().find("img")["src"] == image["files"][0]["name"]
        local = [img["src"] for img in soup.find_all("img") if "://" not in img["src"]]
        assert all((manifest.parent / src).is_file() for src in local), local


@pytest.mark.slow
def test_author_marker_is_filled_where_it_stood(demo):
    out, _ = demo
    filled = []
    for manifest in out.glob("*/manifest.json"):
        m = json.loads(manifest.read_text(encoding="utf-8"))
        for image in m["images"]:
            if image["role"] == "marker":
                html = (manifest.parent / "article.html").read_text(encoding="utf-8")
                assert f'src="{image["files"][0]["name"]}"' in html and "__generate" not in html
                filled.append(image["key"])
    assert filled


def test_one_broken_article_does_not_stop_the_batch(tmp_path):
    broken = tmp_path / "broken.md"
    broken.write_bytes(b"\x00\x01\x02 binary \xff\xfe" * 50)
    empty = tmp_path / "empty.md"
    empty.write_text("   \n", encoding="utf-8")
    good = tmp_path / "good.md"
    good.write_text("# 一碗面的早晨\n\n社区食堂的早晨六点开门，老人们排队买一碗八块钱的面。\n\n"
                    "## 食堂的账本\n\n每天三百碗面，政府补贴房租，志愿者帮忙洗碗。\n", encoding="utf-8")
    run = peitu(tmp_path, "illustrate", str(broken), str(good), str(empty), "--out", str(tmp_path / "out"))
    assert run.returncode == 1
    assert "broken.md" in run.stderr and "empty.md" in run.stderr and "Traceback" not in run.stderr
    manifests = list((tmp_path / "out").glob("*/manifest.json"))
    assert len(manifests) == 1
    assert json.loads(manifests[0].read_text(encoding="utf-8"))["article"]["title"] == "一碗面的早晨"


def test_help_lists_commands(tmp_path):
    run = peitu(tmp_path, "--help")
    assert run.returncode == 0 and "illustrate" in run.stdout
    run = peitu(tmp_path, "illustrate", "--help")
    assert "--type" in run.stdout and "--out" in run.stdout


@pytest.mark.slow
def test_the_manifest_says_what_each_offline_picture_depicts(demo):
    out, _ = demo
    images = [i for m in out.glob("*/manifest.json") for i in json.loads(m.read_text(encoding="utf-8"))["images"]]
    shown = [i for i in images if i["depicts"]]
    assert len(shown) >= 0.9 * len(images)
    assert all(not i["depicts_reason"] for i in shown)
    assert all(i["depicts_reason"] for i in images if not i["depicts"])
