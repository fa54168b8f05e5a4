"""upload_illustration: a local article into the draft box of the fake WeChat, each image once."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from pipeline.config import load_config
from pipeline.engine import Engine
from pipeline.errors import InputError, WeChatError
from pipeline.fakes.wechat import editor_image
from pipeline.ingest import read_article
from pipeline.models import IllustrateOptions
from pipeline.publish.wechat.article import upload_illustration

from .conftest import MMBIZ_IMG, fetch_cards, grey_distance, wechat_config

BODY = ("## 为什么要早睡\n\n睡眠不足会影响记忆、情绪和免疫力，长期熬夜的人更容易生病，白天也更难集中注意力。\n\n"
        "## 怎样养成习惯\n\n固定起床时间，睡前一小时放下手机，卧室保持安静和黑暗，周末也不要补觉太多。\n\n"
        "![卧室](bedroom.png)\n")


def article_file(tmp_path, front: str = "", body: str = BODY):
    path = tmp_path / "sleep.md"
    path.write_text(f"---\ntitle: 早睡的好处\nauthor: 健康组\n{front}---\n\n{body}", encoding="utf-8")
    out = io.BytesIO()
    Image.new("RGB", (1600, 900), (90, 120, 200)).save(out, "PNG")
    (tmp_path / "bedroom.png").write_bytes(out.getvalue())
    return path


@pytest.fixture
def ucfg(tmp_path, fake):
    return load_config(wechat_config(tmp_path, fake))


def test_article_becomes_one_draft_with_all_images_on_wechat(tmp_path, fake, ucfg):
    ill = Engine(ucfg).illustrate(read_article(article_file(tmp_path), ucfg), IllustrateOptions())
    media_id = upload_illustration(ill, ucfg)
    item = fake.drafts[media_id].news_item[0]
    assert (item["title"], item["author"]) == ("早睡的好处", "健康组")
    files = {r.role: r for r in ill.renditions}
    assert fake.materials[item["thumb_media_id"]].data == files["cover"].data       # the 2.35:1 cover itself
    assert (item["pic_crop_235_1"], item["pic_crop_1_1"]) == ("0_0_1_1", "0.286667_0_0.712222_1")
    feed, card, _ = fetch_cards(fake, media_id)                                      # what WeChat shows
    with Image.open(io.BytesIO(files["cover"].data)) as wide, Image.open(io.BytesIO(files["cover_1x1"].data)) as share:
        assert grey_distance(feed, wide) < 2 and grey_distance(card, share) < 8     # another square: > 15
    images = MMBIZ_IMG.findall(item["content"])
    assert len(images) == 2 and not fake.dropped_images         # 1 generated + the author's bedroom.png
    author = fake.images[images[-1].split("/")[-2]]
    with Image.open(io.BytesIO(author)) as im:
        assert im.width == 1080                                  # shrunk to images.inline_max_width
    assert upload_illustration(ill, ucfg) == media_id            # the same article again: the same draft
    assert len(fake.drafts) == 1 and fake.calls["material/add_material"] == 1


def test_author_cover_is_kept_and_uploaded_with_centred_crops(tmp_path, fake, ucfg):
    (tmp_path / "cover.webp").write_bytes(b"")
    Image.open(io.BytesIO(editor_image(1000, 500))).save(tmp_path / "cover.webp", "WEBP")
    ill = Engine(ucfg).illustrate(read_article(article_file(tmp_path, "cover: cover.webp\n"), ucfg), IllustrateOptions())
    assert not any(r.role == "cover" for r in ill.renditions)
    item = fake.drafts[upload_illustration(ill, ucfg)].news_item[0]
    material = fake.materials[item["thumb_media_id"]]
    assert material.data[:3] == b"\xff\xd8\xff" and material.name.endswith(".jpg")   # WebP → JPEG
    assert item["pic_crop_235_1"] == "0_0.074_1_0.926" and item["pic_crop_1_1"] == "0.25_0_0.75_1"


def test_a_title_over_32_characters_uploads_nothing(tmp_path, fake, ucfg):
    path = article_file(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("早睡的好处", "早睡" * 17), encoding="utf-8")
    ill = Engine(ucfg).illustrate(read_article(path, ucfg), IllustrateOptions(inline_count=0))
    with pytest.raises(InputError, match="title has 34 characters"):
        upload_illustration(ill, ucfg)
    assert sum(fake.calls.values()) == 0


def test_a_missing_local_image_is_an_error_naming_it(tmp_path, fake, ucfg):
    path = article_file(tmp_path, body=BODY.replace("bedroom.png", "gone.png"))
    ill = Engine(ucfg).illustrate(read_article(path, ucfg), IllustrateOptions(inline_count=0))
    with pytest.raises(InputError, match="gone.png not found"):
        upload_illustration(ill, ucfg)
    assert not fake.drafts


def lose_answer(api, server):
    if api == "draft/add":
        server.on_call = None
        raise ConnectionAbortedError


def test_a_draft_add_whose_answer_was_lost_is_found_not_added_twice(tmp_path, fake, ucfg):
    ill = Engine(ucfg).illustrate(read_article(article_file(tmp_path), ucfg), IllustrateOptions(inline_count=0))
    fake.on_call = lose_answer
    media_id = upload_illustration(ill, ucfg)                  # looked up in the draft box at once
    assert list(fake.drafts) == [media_id] and fake.calls["draft/batchget"] == 1
    assert upload_illustration(ill, ucfg) == media_id
    assert fake.calls["draft/add"] == 1


def test_a_lost_draft_add_is_found_next_run_behind_25_newer_drafts(tmp_path, fake, ucfg):
    ill = Engine(ucfg).illustrate(read_article(article_file(tmp_path), ucfg), IllustrateOptions(inline_count=0))
    fake.on_call = lose_answer
    fake.inject("draft/batchget", 41001)                       # the same-run lookup fails: stop, add nothing
    with pytest.raises(WeChatError):
        upload_illustration(ill, ucfg)
    ours = next(iter(fake.drafts))
    for n in range(25):
        fake.add_editor_draft([{"title": f"编辑的草稿{n}", "content": "<p>正文</p>", "thumb_media_id": ""}])
    assert upload_illustration(ill, ucfg) == ours              # found on the second page of the box
    assert len(fake.drafts) == 26 and fake.calls["draft/add"] == 1


def test_a_busy_draft_add_is_looked_up_before_it_is_sent_again(tmp_path, fake, ucfg):
    ill = Engine(ucfg).illustrate(read_article(article_file(tmp_path), ucfg), IllustrateOptions(inline_count=0))
    fake.inject("draft/add", -1)
    media_id = upload_illustration(ill, ucfg)
    assert list(fake.drafts) == [media_id]
    assert fake.calls["draft/add"] == 2 and fake.calls["draft/batchget"] == 1
