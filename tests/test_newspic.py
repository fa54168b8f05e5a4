"""图片消息 (newspic): `type: image` or --newspic through check, illustrate --upload and the fake WeChat."""

from __future__ import annotations

import io
import json

import pytest
import requests
from bs4 import BeautifulSoup
from PIL import Image

from pipeline.check import check_article
from pipeline.config import load_config
from pipeline.engine import Engine, file_jobs, to_folder
from pipeline.errors import InputError
from pipeline.models import IllustrateOptions
from pipeline.nightly import run_nightly
from pipeline.publish.wechat.draft import check_article as check_draft

from .conftest import REPO, fetch_cards, grey_distance, wechat_config

EXAMPLE = REPO / "examples" / "articles" / "newspic-erhai-dawn.md"
PHOTO = REPO / "examples" / "articles" / "images" / "author-photo.jpg"


@pytest.fixture
def ucfg(tmp_path, fake):
    return load_config(wechat_config(tmp_path, fake))


def illustrate(cfg, path, out, *, upload=True, **options):
    with Engine(cfg) as engine:
        [outcome] = engine.run(file_jobs([path], cfg, IllustrateOptions(**options), upload=upload),
                               to_folder(cfg, out, upload=upload))
    assert outcome.error is None and (not upload or outcome.result.upload_error is None), outcome
    return outcome


def crops(item) -> dict[str, str]:
    return {c["ratio"]: "_".join(c[k] for k in ("x1", "y1", "x2", "y2")) for c in item["cover_info"]["crop_percent_list"]}


def test_the_example_goes_through_check_illustrate_upload_and_the_sandbox(tmp_path, fake, ucfg):
    assert check_article(EXAMPLE, ucfg) == []
    outcome = illustrate(ucfg, EXAMPLE, tmp_path / "out")
    item = fake.drafts[outcome.result.media_id].news_item[0]
    assert item["article_type"] == "newspic" and item["title"] == "洱海边的清晨"
    ids = [i["image_media_id"] for i in item["image_info"]["image_list"]]
    folder = outcome.result.folder
    # the author's photo first (the cover), then the two pictures the markers asked for
    assert fake.materials[ids[0]].data == PHOTO.read_bytes()
    assert [fake.materials[i].data for i in ids[1:]] == [(folder / f"marker-{n}.jpg").read_bytes() for n in (1, 2)]
    assert not any(p.role == "cover" for p in outcome.illustration.plans)       # the author's photo is the cover
    assert "<" not in item["content"] and item["content"].startswith("六点半出门") and "粑粑" in item["content"]
    assert crops(item) == {"2.35_1": "0_0.180556_1_0.819444", "1_1": "0.166667_0_0.833333_1",
                           "16_9": "0_0.077778_1_0.922222"}       # centred whole-pixel boxes of the 1080×720 photo

    preview = BeautifulSoup((folder / "preview.html").read_text(encoding="utf-8"), "html.parser")
    assert [img["src"] for img in preview.select(".pictures img")] == ["images/author-photo.jpg", "marker-1.jpg",
                                                                        "marker-2.jpg"]
    assert preview.select_one("#js_content").get_text() == item["content"]    # the text as the draft holds it
    assert all((folder / img["src"]).is_file() for img in preview.select(".pictures img"))

    page = BeautifulSoup(requests.get(fake.url + "/", timeout=10).text, "html.parser")
    card = page.select_one(f'article[data-media-id="{outcome.result.media_id}"]')
    assert card["data-type"] == "newspic" and len(card.select(".pictures img")) == 3
    feed, square, material = fetch_cards(fake, outcome.result.media_id)
    assert feed.width / feed.height == pytest.approx(2.35, rel=0.02) and square.width == square.height
    with Image.open(PHOTO) as photo:
        assert grey_distance(material, photo) < 2

    again = illustrate(ucfg, EXAMPLE, tmp_path / "out")                         # exactly once: no new upload
    assert again.result.media_id == outcome.result.media_id
    assert len(fake.drafts) == 1 and fake.calls["material/add_material"] == 3


def test_a_post_with_no_picture_of_its_own_gets_peitus_cover_first(tmp_path, fake, ucfg):
    path = tmp_path / "words.md"
    path.write_text("---\ntitle: 一句话\ntype: image\n---\n\n今天的晚霞是粉色的。\n\n"
                    "![晚霞](__generate:pink sunset clouds over city rooftops__)\n", encoding="utf-8")
    outcome = illustrate(ucfg, path, tmp_path / "out")
    item = fake.drafts[outcome.result.media_id].news_item[0]
    made = {r.role: r for r in outcome.illustration.renditions}
    first, second = (fake.materials[i["image_media_id"]] for i in item["image_info"]["image_list"])
    assert first.data == made["cover"].data and second.data == made["marker"].data
    assert crops(item)["2.35_1"] == "0_0_1_1"                                   # the 900×383 cover itself
    feed, square, _ = fetch_cards(fake, outcome.result.media_id)
    with Image.open(io.BytesIO(made["cover"].data)) as wide, Image.open(io.BytesIO(made["cover_1x1"].data)) as share:
        assert grey_distance(feed, wide) < 2 and grey_distance(square, share) < 8   # the share square


def test_newspic_flag_makes_any_article_an_image_post(tmp_path, fake, ucfg):
    path = tmp_path / "plain.md"
    path.write_text("---\ntitle: 随手拍\n---\n\n![](photo.jpg)\n\n楼下的猫又胖了。\n", encoding="utf-8")
    (tmp_path / "photo.jpg").write_bytes(PHOTO.read_bytes())
    outcome = illustrate(ucfg, path, tmp_path / "out", newspic=True)
    item = fake.drafts[outcome.result.media_id].news_item[0]
    assert item["article_type"] == "newspic" and item["content"] == "楼下的猫又胖了。"
    assert [fake.materials[i["image_media_id"]].data for i in item["image_info"]["image_list"]] == [PHOTO.read_bytes()]


def test_a_lost_material_answer_is_found_not_uploaded_twice(tmp_path, fake, ucfg):
    seen = []

    def lose_second(api, server):
        if api == "material/add_material":
            seen.append(api)
            if len(seen) == 2:
                raise ConnectionAbortedError              # WeChat kept the picture; the answer never came

    fake.on_call = lose_second
    outcome = illustrate(ucfg, EXAMPLE, tmp_path / "out")
    fake.on_call = None
    assert len(fake.materials) == 3 and fake.calls["material/batchget_material"] >= 1
    ids = [i["image_media_id"] for i in fake.drafts[outcome.result.media_id].news_item[0]["image_info"]["image_list"]]
    assert sorted(ids) == sorted(fake.materials)
    illustrate(ucfg, EXAMPLE, tmp_path / "out")
    assert len(fake.materials) == 3 and len(fake.drafts) == 1


def test_check_validates_an_image_post(cfg, tmp_path):
    Image.new("RGB", (80, 60), "teal").save(tmp_path / "a.webp", "WEBP")
    (tmp_path / "big.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 10_000_100)
    text = "很长的文字。" * 200
    path = tmp_path / "post.md"
    path.write_text(f"---\ntitle: 图片\ntype: image\nimage_list:\n  - a.webp\n  - gone.jpg\n  - big.png\n"
                    f"  - https://example.com/x.jpg\n---\n\n{text}\n", encoding="utf-8")
    found = {(f.code, f.level) for f in check_article(path, cfg)}
    assert found == {("image-format", "warning"), ("missing-image", "error"), ("image-too-large", "warning"),
                     ("newspic-remote-image", "error"), ("newspic-text-too-long", "error")}
    plain = tmp_path / "plain.md"
    plain.write_text(f"---\ntitle: 文章\n---\n\n{text}\n", encoding="utf-8")
    assert check_article(plain, cfg) == []
    assert [f.code for f in check_article(plain, cfg, newspic=True)] == ["newspic-text-too-long"]


def test_the_draft_check_and_the_fake_refuse_html_and_too_many_pictures(fake, ucfg):
    base = {"article_type": "newspic", "title": "图", "content": "文字",
            "image_info": {"image_list": [{"image_media_id": "m"}]}}
    check_draft(base)
    with pytest.raises(InputError, match="plain text"):
        check_draft({**base, "content": "<p>文字</p>"})
    with pytest.raises(InputError, match="1 to 20 pictures"):
        check_draft({**base, "image_info": {"image_list": [{"image_media_id": "m"}] * 21}})
    with pytest.raises(InputError, match="crop ratio '4_3'"):
        check_draft({**base, "cover_info": {"crop_percent_list": [{"ratio": "4_3"}]}})

    from pipeline.fakes.wechat import editor_image
    media = fake.add_editor_image(editor_image(900, 500))
    token = fake._issue_token()

    def add(article) -> int:
        body = json.dumps({"articles": [{**base, "image_info": {"image_list": [{"image_media_id": media}]},
                                         **article}]}, ensure_ascii=False).encode()
        return json.loads(fake.handle("POST", "/cgi-bin/draft/add", {"access_token": token}, body,
                                      "application/json", "127.0.0.1")[1]).get("errcode", 0)

    assert add({}) == 0
    assert add({"content": "<b>文字</b>"}) == 45166
    assert add({"image_info": {"image_list": [{"image_media_id": media}] * 21}}) == 47001
    assert add({"image_info": {"image_list": [{"image_media_id": "nope"}]}}) == 40007
    square = {"ratio": "1_1", "x1": "0", "y1": "0", "x2": "1", "y2": "1"}              # 900×500 is not square
    assert add({"cover_info": {"crop_percent_list": [square]}}) == 47001


def test_nightly_leaves_image_posts_alone(tmp_path, fake, ucfg):
    outcome = illustrate(ucfg, EXAMPLE, tmp_path / "out")
    before = json.dumps(fake.drafts[outcome.result.media_id].news_item, ensure_ascii=False)
    report = run_nightly(ucfg, force=True)
    assert report.illustrated == 0
    assert json.dumps(fake.drafts[outcome.result.media_id].news_item, ensure_ascii=False) == before
