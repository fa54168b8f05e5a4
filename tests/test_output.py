"""Placing images in the body and writing the output folder (manifest, article, preview, index)."""

from __future__ import annotations

import hashlib
import io
import json

from bs4 import BeautifulSoup
from PIL import Image

from pipeline.errors import ProviderError
from pipeline.models import Article, GeneratedImage, Illustration, ImagePlan, Marker, Rendition, Section
from pipeline.publish.output import write_index, write_output
from pipeline.publish.place import place_images


def article() -> Article:
    body = ('<p>引子</p><h2 id="s1">第一节</h2><p>一</p><h2 id="s2">第二节</h2><p>二</p>'
            '<p><img data-peitu-marker="1" alt="面条"></p><p><img data-peitu-marker="2" alt="未生成"></p>')
    return Article(title="测试文章", slug="test-article", text="引子 一 二", body_html=body,
                   sections=[Section("", 0, ["引子"]), Section("第一节", 2, ["一"], anchor="s1"),
                             Section("第二节", 2, ["二"], anchor="s2")],
                   keywords=["测试"], type="tech",
                   markers=[Marker(1, "noodles", "面条"), Marker(2, "cat", "未生成")])


def plan(key: str, role: str, **kw) -> ImagePlan:
    return ImagePlan(key=key, role=role, prompt=f"prompt {key}", negative_prompt="text", style="flat",
                     width=1024, height=576, seed=7, template="tech", template_version="abc123", **kw)


def jpeg(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (200, 80, 40)).save(buf, "JPEG")
    return buf.getvalue()


def test_images_follow_their_headings_and_fill_markers():
    a = article()
    plans = [plan("inline-1", "inline", section_index=2), plan("marker-1", "marker", marker_index=1)]
    soup = BeautifulSoup(place_images(a, plans, {"inline-1": "i1.jpg", "marker-1": "m1.jpg"}), "html.parser")
    heading = soup.find(id="s2")
    assert heading.find_next_sibling().find("img")["src"] == "i1.jpg"
    assert soup.find(id="s1").find_next_sibling().name == "p" and soup.find(id="s1").find_next_sibling().text == "一"
    marker = soup.find("img", alt="面条")
    assert marker["src"] == "m1.jpg" and not marker.has_attr("data-peitu-marker")
    assert soup.find("img", alt="未生成") is None   # an unfilled marker does not leave a broken image


def test_failed_image_is_left_out():
    a = article()
    html = place_images(a, [plan("inline-1", "inline", section_index=1)], {})
    assert "<img" not in html and "第一节" in html


def test_write_output_manifest_and_pages(tmp_path):
    a = article()
    plans = [plan("cover", "cover"), plan("inline-1", "inline", section_index=1),
             plan("inline-2", "inline", section_index=2)]
    cover, share, inline = jpeg(900, 383), jpeg(383, 383), jpeg(1024, 576)
    ill = Illustration(article=a, plans=plans,
                       images={"cover": GeneratedImage(b"png", "local", "m", 7, 0.5),
                               "inline-1": GeneratedImage(b"png", "local", "m", 7, 0.25)},
                       renditions=[Rendition("cover.jpg", cover, 900, 383, "JPEG", "cover", "cover"),
                                   Rendition("cover_1x1.jpg", share, 383, 383, "JPEG", "cover_1x1", "cover"),
                                   Rendition("inline-1.jpg", inline, 1024, 576, "JPEG", "inline", "inline-1")],
                       errors={"inline-2": ProviderError("fake down", provider="x")},
                       timings={"generate_s": 0.75})
    folder = write_output(ill, tmp_path)
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    by_key = {i["key"]: i for i in m["images"]}
    assert by_key["cover"]["files"][0]["sha256"] == hashlib.sha256(cover).hexdigest()
    assert {f["name"] for f in by_key["cover"]["files"]} == {"cover.jpg", "cover_1x1.jpg"}
    assert by_key["inline-1"]["section"] == "第一节" and by_key["inline-1"]["generate_ms"] == 250.0
    assert by_key["inline-2"]["error"] == "fake down" and by_key["inline-2"]["files"] == []
    assert m["timings_ms"]["generate"] == 750.0 and m["article"]["title"] == "测试文章"
    assert (folder / "cover.jpg").read_bytes() == cover
    body = BeautifulSoup((folder / "article.html").read_text(encoding="utf-8"), "html.parser")
    heading = body.find("h2", string="第一节")                  # ids are gone: WeChat drops them
    assert heading.find_next_sibling().find("img")["src"] == "inline-1.jpg"
    preview = (folder / "preview.html").read_text(encoding="utf-8")
    assert 'src="cover.jpg"' in preview and 'src="cover_1x1.jpg"' in preview and "fake down" in preview
    index = write_index(tmp_path, [])
    assert "test-article/preview.html" in index.read_text(encoding="utf-8")
    assert not list(folder.glob(".*.tmp"))
