"""The WeChat client, draft API and uploads against the fake WeChat server over real HTTP."""

from __future__ import annotations

import io
import logging
import sqlite3
import time

import pytest
import requests
from PIL import Image
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from pipeline.config import Config
from pipeline.errors import ConfigError, InputError, WeChatError
from pipeline.fakes.wechat import FakeWeChat, editor_image
from pipeline.models import Rendition
from pipeline.publish.wechat.client import BASE_URL_ENV, StoreTokenStorage, build_client
from pipeline.publish.wechat.draft import check_article
from pipeline.publish.wechat.upload import Uploader, cover_from, image_filename
from pipeline.store import Store

from .conftest import fetch_cards, grey_distance


@pytest.fixture
def fake():
    with FakeWeChat() as server:
        yield server


@pytest.fixture
def wx_cfg(cfg: Config, fake: FakeWeChat, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The test config pointed at the fake, with its AppID and AppSecret in the environment."""
    monkeypatch.setenv("WECHAT_APPID", fake.appid)
    monkeypatch.setenv("WECHAT_SECRET", fake.secret)
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    cfg.wechat.accounts["default"].base_url = fake.url
    return cfg


def uploader(cfg: Config, client=None) -> Uploader:
    return Uploader(client or client_for(cfg), Store.open(cfg.path(cfg.paths.state)))


def client_for(cfg: Config, **kw):
    return build_client(cfg, "default", backoff_s=0.01, rate_wait_s=0.01, **kw)


def jpeg(width: int = 900, height: int = 383) -> bytes:
    return editor_image(width, height)


def noise_png(side: int) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((side, side), 100).convert("RGB").save(out, "PNG")
    return out.getvalue()


def article(thumb: str, **fields) -> dict:
    return {"title": "测试标题", "author": "编辑", "digest": "摘要", "content": "<p>正文</p>",
            "thumb_media_id": thumb, **fields}


# ---- token ------------------------------------------------------------------------------------

def test_token_comes_from_base_url_and_is_shared_across_clients(wx_cfg, fake):
    assert client_for(wx_cfg).draft.count() == 0
    assert client_for(wx_cfg).draft.count() == 0          # a second process: reuses the stored token
    assert fake.calls["stable_token"] == 1
    assert fake.calls["token"] == 0


def test_classic_token_endpoint_when_configured(wx_cfg, fake):
    wx_cfg.wechat.accounts["default"].token_api = "token"
    assert client_for(wx_cfg).draft.count() == 0
    assert fake.calls["token"] == 1 and fake.calls["stable_token"] == 0


def test_expired_token_is_refreshed_once_and_the_call_repeated(wx_cfg, fake):
    client = client_for(wx_cfg)
    client.draft.count()
    fake.expire_tokens()
    assert client.draft.count() == 0
    assert fake.calls["stable_token"] == 2
    assert fake.calls["draft/count"] == 3                  # ok, 42001, ok


def test_a_server_that_always_answers_40001_gets_one_refresh_not_a_loop(wx_cfg, fake):
    fake.inject("draft/count", 40001, times=10_000)
    with pytest.raises(WeChatError) as err:
        client_for(wx_cfg).draft.count()
    assert err.value.errcode == 40001
    assert fake.calls["draft/count"] == 2 and fake.calls["stable_token"] == 2


def test_plain_wechatpy_loops_on_40001_where_peitu_does_not(fake):
    """The trap the spec describes, reproduced against the fake (bounded by a low recursion limit)."""
    import sys

    client = WeChatClient(fake.appid, fake.secret)
    client.API_BASE_URL = fake.url + "/cgi-bin/"
    client.fetch_access_token = lambda: client._fetch_access_token(   # token from the fake too
        fake.url + "/cgi-bin/token", {"grant_type": "client_credential", "appid": fake.appid, "secret": fake.secret})
    fake.inject("draft/count", 40001, times=10_000)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(300)
    try:
        with pytest.raises(RecursionError):
            client.get("draft/count")
    finally:
        sys.setrecursionlimit(limit)
    assert fake.calls["token"] > 10


def test_token_storage_honours_the_ttl(tmp_path):
    store = StoreTokenStorage(Store.open(tmp_path / "s.db"), "scope")
    store.set("k", "v", ttl=1)
    store.set("forever", "v")
    assert store.get("k") == "v"
    time.sleep(1.1)
    assert store.get("k", "gone") == "gone"
    assert store.get("forever") == "v"
    other = StoreTokenStorage(Store.open(tmp_path / "s.db"), "other")
    assert other.get("forever") is None                    # scoped by server


def test_wrong_secret_says_which_variable_to_fix(wx_cfg, monkeypatch):
    monkeypatch.setenv("WECHAT_SECRET", "0" * 32)
    with pytest.raises(WeChatError) as err:
        client_for(wx_cfg).draft.count()
    assert err.value.errcode == 40125 and "WECHAT_SECRET" in str(err.value)
    assert "0" * 32 not in str(err.value)


def test_missing_credentials_name_the_variables(wx_cfg, monkeypatch):
    monkeypatch.delenv("WECHAT_SECRET")
    with pytest.raises(ConfigError, match="WECHAT_SECRET"):
        client_for(wx_cfg)


def test_plain_http_is_refused_except_to_this_machine(wx_cfg, monkeypatch):
    monkeypatch.setenv(BASE_URL_ENV, "http://wechat-proxy.example.com")
    with pytest.raises(ConfigError, match="unencrypted"):
        client_for(wx_cfg)
    monkeypatch.setenv(BASE_URL_ENV, "https://wechat-proxy.example.com/")
    assert client_for(wx_cfg).API_BASE_URL == "https://wechat-proxy.example.com/cgi-bin/"


# ---- errors -----------------------------------------------------------------------------------

def test_ip_whitelist_error_shows_the_ip_wechat_saw(wx_cfg, fake):
    fake.whitelist, fake.caller_ip = {"203.0.113.7"}, "198.51.100.23"
    with pytest.raises(WeChatError) as err:
        client_for(wx_cfg).draft.count()
    assert err.value.errcode == 40164
    assert "198.51.100.23" in str(err.value) and "IP白名单" in str(err.value)


def test_busy_is_retried_then_reported(wx_cfg, fake):
    client = client_for(wx_cfg)
    fake.inject("draft/count", -1, times=2)
    assert client.draft.count() == 0
    assert fake.calls["draft/count"] == 3
    fake.inject("draft/count", -1, times=100)
    with pytest.raises(WeChatError) as err:
        client.draft.count()
    assert err.value.errcode == -1 and "busy" in str(err.value)
    assert fake.calls["draft/count"] == 3 + 4               # first try + 3 retries


def test_daily_quota_is_an_error_that_says_what_to_do(wx_cfg, fake):
    fake.quotas["draft/count"] = 2
    client = client_for(wx_cfg)
    client.draft.count()
    client.draft.count()
    with pytest.raises(WeChatError) as err:
        client.draft.count()
    assert err.value.errcode == 45009 and "tomorrow" in str(err.value)


def test_no_token_or_secret_in_errors_when_the_server_is_gone(wx_cfg, fake):
    client = client_for(wx_cfg, timeout=2)
    client.draft.count()
    token = next(iter(fake.tokens))
    fake.stop()
    with pytest.raises(WeChatError) as err:
        client.draft.count()
    text = str(err.value)
    assert "cannot reach WeChat" in text
    assert token not in text and fake.secret not in text


# ---- uploads ----------------------------------------------------------------------------------

def test_upload_retried_after_token_expiry_sends_the_same_bytes(wx_cfg, fake):
    client = client_for(wx_cfg)
    data = jpeg(600, 300)
    fake.inject("media/uploadimg", 42001)
    url = client.media.upload_image(io.BytesIO(data))       # a file object: read once, re-sent as bytes
    assert fake.calls["media/uploadimg"] == 2
    image_id = url.split("/")[-2]
    assert fake.images[image_id] == data


def test_a_part_without_an_image_extension_gets_40113_from_the_fake(fake):
    token = requests.post(fake.url + "/cgi-bin/stable_token", json={
        "grant_type": "client_credential", "appid": fake.appid, "secret": fake.secret}).json()["access_token"]
    answer = requests.post(fake.url + "/cgi-bin/media/uploadimg", params={"access_token": token},
                           files={"media": io.BytesIO(jpeg())}).json()
    assert answer["errcode"] == 40113
    assert image_filename(jpeg(), "media") == "media.jpg"
    assert image_filename(noise_png(8), "x.jpg") == "x.png"


def test_uploads_go_up_once_per_content(wx_cfg, fake):
    up = uploader(wx_cfg)
    cover = jpeg()
    first = up.cover(cover)
    assert up.cover(cover) == first
    assert up.inline(jpeg(500, 300)) == up.inline(jpeg(500, 300))
    assert len(fake.materials) == 1 and len(fake.images) == 1
    name = fake.materials[first[0]].name
    assert name.startswith("peitu-") and name.endswith(".jpg")


def test_a_cover_whose_answer_was_lost_is_found_not_uploaded_again(wx_cfg, fake):
    """The server stores the material, then the connection dies before the answer (as with kill -9):
    the upload is reconciled by name at once, and a rerun finds it in the ledger."""
    up = uploader(wx_cfg, client_for(wx_cfg, timeout=5))

    def drop(api, server):
        if api == "material/add_material":
            server.on_call = None
            raise ConnectionAbortedError("answer lost")

    fake.on_call = drop
    media_id, url = up.cover(jpeg())
    assert list(fake.materials) == [media_id] and url == fake.materials[media_id].url
    assert fake.calls["material/batchget_material"] == 1
    assert uploader(wx_cfg).cover(jpeg())[0] == media_id
    assert fake.calls["material/add_material"] == 1 and fake.calls["material/batchget_material"] == 1


def test_a_cover_lost_behind_25_editor_uploads_is_found_in_the_whole_list(wx_cfg, fake):
    """A killed upload's cover is looked for through every page of the material list, not a window."""
    for n in range(25):
        fake.add_editor_image(jpeg(300, 200), f"old-{n}.jpg")

    def lose(api, server):
        if api == "material/add_material":
            server.on_call = None
            raise ConnectionAbortedError("answer lost")

    fake.on_call = lose
    fake.inject("material/batchget_material", 41001, times=1)    # and the same-run lookup fails too
    with pytest.raises(WeChatError):
        uploader(wx_cfg).cover(jpeg())
    for n in range(25):                                          # editors keep uploading meanwhile
        fake.add_editor_image(jpeg(300, 200), f"new-{n}.jpg")
    media_id, _ = uploader(wx_cfg).cover(jpeg())
    ours = [m for m in fake.materials.values() if m.name.startswith("peitu-")]
    assert [m.media_id for m in ours] == [media_id] and fake.calls["material/add_material"] == 1
    # 26th of 51, newest first: on the second page, where the newest and oldest 20 never reach; and no further
    assert fake.calls["material/batchget_material"] == 1 + 2


def test_a_refused_cover_is_not_looked_for_and_a_busy_one_is_not_resent_blindly(wx_cfg, fake):
    fake.inject("material/add_material", 40005)
    with pytest.raises(WeChatError):
        uploader(wx_cfg).cover(jpeg())
    fake.inject("material/add_material", -1)                     # busy: WeChat may have done it
    with pytest.raises(WeChatError):
        uploader(wx_cfg).cover(jpeg())
    assert fake.calls["material/add_material"] == 2 and fake.calls["material/batchget_material"] == 1
    uploader(wx_cfg).cover(jpeg())
    assert fake.calls["material/batchget_material"] == 2 and len(fake.materials) == 1


def ledger(cfg: Config) -> list[tuple[str, str]]:
    return [(r["kind"], r["status"]) for r in Store.open(cfg.path(cfg.paths.state)).query(
        "SELECT kind, status FROM wechat_uploads ORDER BY kind")]


def test_the_ledger_keeps_an_intent_only_while_the_outcome_is_unknown(wx_cfg, fake):
    """Refused uploads leave nothing to look for; a lost answer leaves 'sending' for the next run."""
    fake.inject("media/uploadimg", 40005)
    with pytest.raises(WeChatError):
        uploader(wx_cfg).inline(jpeg(400, 300))
    assert ledger(wx_cfg) == []

    def lose(api, server):
        server.on_call = None
        raise ConnectionAbortedError("answer lost")

    fake.on_call = lose
    with pytest.raises(WeChatError):
        uploader(wx_cfg, client_for(wx_cfg, timeout=5)).inline(jpeg(400, 300))
    assert ledger(wx_cfg) == [("uploadimg", "sending")]
    url = uploader(wx_cfg).inline(jpeg(400, 300))            # sent again: WeChat cannot be asked
    assert ledger(wx_cfg) == [("uploadimg", "done")] and len(fake.images) == 2
    assert uploader(wx_cfg).inline(jpeg(400, 300)) == url and fake.calls["media/uploadimg"] == 3


def test_images_over_the_limits_are_refused_before_the_call(wx_cfg, fake):
    up = uploader(wx_cfg)
    big = noise_png(700)
    assert len(big) > 1_000_000
    with pytest.raises(InputError, match="under 1,000,000"):
        up.inline(big)
    with pytest.raises(InputError, match="not an image"):
        up.cover(b"GIF?" + b"\0" * 100)
    assert fake.calls["media/uploadimg"] == 0


def test_the_fake_enforces_uploadimg_size(wx_cfg, fake):
    with pytest.raises(WeChatError) as err:
        client_for(wx_cfg).media.upload_image(("big.png", noise_png(700), "image/png"))
    assert err.value.errcode == 40009 and "1 MB" in str(err.value)


# ---- cover crops -------------------------------------------------------------------------------

def rendition(role: str, w: int, h: int) -> Rendition:
    return Rendition(name=f"{role}.jpg", data=jpeg(w, h), width=w, height=h, format="JPEG", role=role, key="cover")


def hues(width: int = 900, height: int = 383) -> Image.Image:
    """A picture whose every column differs (hue left to right, light top to bottom)."""
    h = Image.linear_gradient("L").rotate(90).resize((width, height))
    v = Image.linear_gradient("L").resize((width, height)).point(lambda x: 120 + x // 2)
    return Image.merge("HSV", (h, Image.new("L", (width, height), 200), v)).convert("RGB")


def rendered(role: str, picture: Image.Image) -> Rendition:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    return Rendition(f"{role}.jpg", out.getvalue(), *picture.size, "JPEG", role, "cover")


def test_the_cover_material_is_the_wide_picture_and_its_centre_square_the_share_card(wx_cfg, fake):
    picture = hues()
    wide, share = rendered("cover", picture), rendered("cover_1x1", picture.crop((258, 0, 641, 383)))
    cover = cover_from([wide, share])
    assert cover.data == wide.data and (cover.width, cover.height) == (900, 383)   # the JPEG as written
    assert cover.crop_235_1 == "0_0_1_1"
    assert cover.crop_1_1 == "0.286667_0_0.712222_1"
    client = client_for(wx_cfg)
    thumb = uploader(wx_cfg, client).cover(cover.data)[0]
    media_id = client.draft.add([article(thumb, pic_crop_235_1=cover.crop_235_1, pic_crop_1_1=cover.crop_1_1)])
    saved = client.draft.get(media_id)[0]
    assert (saved["pic_crop_235_1"], saved["pic_crop_1_1"]) == (cover.crop_235_1, cover.crop_1_1)
    feed, card, material = fetch_cards(fake, media_id)
    assert material.size == feed.size == (900, 383) and card.size == (383, 383)
    assert grey_distance(feed, picture) < 3 and grey_distance(card, picture.crop((258, 0, 641, 383))) < 3


def test_a_share_image_off_centre_is_found_where_it_is_in_the_cover():
    picture = hues()
    cover = cover_from([rendered("cover", picture), rendered("cover_1x1", picture.crop((60, 0, 443, 383)))])
    x1, y1, x2, y2 = (float(v) for v in cover.crop_1_1.split("_"))
    assert abs(x1 * 900 - 60) <= 8 and round((x2 - x1) * 900) == 383 and (y1, y2) == (0, 1)


def test_a_share_image_that_is_no_square_of_the_cover_gets_the_centre_and_a_warning(caplog):
    picture = hues()
    other = picture.resize((383, 163)).resize((383, 383))     # the whole picture squeezed: in no square of it
    with caplog.at_level(logging.WARNING, logger="pipeline.publish.wechat.upload"):
        cover = cover_from([rendered("cover", picture), rendered("cover_1x1", other)])
    assert cover.crop_1_1 == "0.286667_0_0.712222_1"
    assert "may cut the title" in caplog.text


def test_the_fake_centre_crops_a_cover_whose_crops_are_unset(wx_cfg, fake):
    client = client_for(wx_cfg)
    picture = hues(1000, 500)
    thumb = uploader(wx_cfg, client).cover(rendered("cover", picture).data)[0]
    feed, card, material = fetch_cards(fake, client.draft.add([article(thumb)]))
    assert material.size == (1000, 500) and card.size == (500, 500)
    assert feed.size[0] == 1000 and abs(feed.size[1] - 1000 / 2.35) <= 1
    assert grey_distance(card, picture.crop((250, 0, 750, 500))) < 3
    assert grey_distance(feed, picture.crop((0, 37, 1000, 463))) < 3


def test_a_cover_alone_gets_a_centred_square_crop():
    cover = cover_from([rendition("cover", 900, 383)])
    assert cover.crop_235_1 == "0_0_1_1"
    x1, _, x2, _ = (float(v) for v in cover.crop_1_1.split("_"))
    assert round((x2 - x1) * 900) == 383 and abs((x1 + x2) / 2 - 0.5) < 1 / 900


def test_the_fake_refuses_a_square_crop_that_is_not_square(wx_cfg, fake):
    client = client_for(wx_cfg)
    thumb = uploader(wx_cfg, client).cover(jpeg())[0]
    with pytest.raises(WeChatError) as err:
        client.draft.add([article(thumb, pic_crop_1_1="0_0_1_1")])
    assert err.value.errcode == 47001


# ---- draft API ---------------------------------------------------------------------------------

def test_draft_api_round_trip(wx_cfg, fake):
    client = client_for(wx_cfg)
    thumb = uploader(wx_cfg, client).cover(jpeg())[0]
    media_id = client.draft.add([article(thumb), article(thumb, title="第二篇")])
    assert client.draft.count() == 1
    items = client.draft.get(media_id)
    assert [i["title"] for i in items] == ["测试标题", "第二篇"]
    client.draft.update(media_id, 1, article(thumb, title="第二篇（改）", content="<p>新正文</p>"))
    assert client.draft.get(media_id)[1]["content"] == "<p>新正文</p>"
    page = client.draft.batchget(0, 20, no_content=True)
    assert page["total_count"] == 1 and "content" not in page["item"][0]["content"]["news_item"][0]
    with pytest.raises(WeChatError) as err:
        client.draft.update(media_id, 5, article(thumb))
    assert err.value.errcode == 40114
    client.draft.delete(media_id)
    assert client.draft.count() == 0
    with pytest.raises(WeChatError) as err:
        client.draft.get(media_id)
    assert err.value.errcode == 40007


def test_field_limits_are_checked_before_the_call(wx_cfg, fake):
    client = client_for(wx_cfg)
    with pytest.raises(InputError, match="title has 33 characters; WeChat allows at most 32"):
        client.draft.add([article("m", title="标" * 33)])
    with pytest.raises(InputError, match="author has 17"):
        client.draft.add([article("m", author="作" * 17)])
    with pytest.raises(InputError, match="digest has 129"):
        client.draft.add([article("m", digest="摘" * 129)])
    with pytest.raises(InputError, match="fewer than 20,000 characters"):
        client.draft.add([article("m", content="字" * 20_000)])
    with pytest.raises(InputError, match="no cover"):
        client.draft.add([article("")])
    check_article(article("m", title="标" * 32, author="作" * 16, digest="摘" * 128, content="字" * 19_999))
    assert fake.calls["draft/add"] == 0


def test_unknown_cover_is_40007_with_a_hint(wx_cfg, fake):
    with pytest.raises(WeChatError) as err:
        client_for(wx_cfg).draft.add([article("no-such-media")])
    assert err.value.errcode == 40007 and "素材库" in str(err.value)


def test_chinese_is_sent_as_utf8_not_escapes(wx_cfg, fake):
    client = client_for(wx_cfg)
    thumb = uploader(wx_cfg, client).cover(jpeg())[0]
    media_id = client.draft.add([article(thumb)])
    assert client.draft.get(media_id)[0]["title"] == "测试标题"
    token = next(iter(fake.tokens))
    body = '{"articles": [{"title": "\\u6d4b\\u8bd5", "content": "<p>x</p>", "thumb_media_id": "%s"}]}' % thumb
    escaped = requests.post(f"{fake.url}/cgi-bin/draft/add?access_token={token}", data=body.encode()).json()
    assert client.draft.get(escaped["media_id"])[0]["title"] == "\\u6d4b\\u8bd5"   # what WeChat does


def test_body_images_not_from_uploadimg_are_dropped_like_wechat_does(wx_cfg, fake):
    client = client_for(wx_cfg)
    up = uploader(wx_cfg, client)
    thumb, url = up.cover(jpeg())[0], up.inline(jpeg(400, 300))
    content = f'<p><img src="{url}"></p><p><img src="https://example.com/a.jpg"></p>'
    media_id = client.draft.add([article(thumb, content=content)])
    assert client.draft.get(media_id)[0]["content"] == f'<p><img src="{url}"></p><p></p>'
    assert fake.dropped_images == ["https://example.com/a.jpg"]


def test_redirected_logs_carry_no_secret(wx_cfg, fake, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")      # an in-process CLI test may have quietened it
    from pipeline.secrets import RedactingFilter

    client = client_for(wx_cfg)
    client.draft.count()
    fake.expire_tokens()
    client.draft.count()
    filt = RedactingFilter()
    text = "\n".join(r.getMessage() for r in caplog.records if filt.filter(r))
    for token in fake.tokens:
        assert token not in text
    assert fake.secret not in text
    assert "access_token=***" in text                       # urllib3 logged the URL, redacted


def test_storage_is_in_the_state_file(wx_cfg, fake):
    client_for(wx_cfg).draft.count()
    db = sqlite3.connect(wx_cfg.path(wx_cfg.paths.state))
    (scope,), = db.execute("SELECT scope FROM wechat_tokens").fetchall()
    assert scope == fake.url


def test_wechatpy_exception_is_translated(wx_cfg, fake):
    from pipeline.publish.wechat.errors import from_exception

    err = from_exception(WeChatClientException(45009, "reach max api daily quota limit"), api="draft/add")
    assert err.errcode == 45009 and err.where == "WeChat draft/add"
