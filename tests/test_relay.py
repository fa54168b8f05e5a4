"""`peitu relay` against the fake WeChat over real HTTP: signed calls pass and come back as WeChat answered;
unsigned, forged, altered, replayed, stale, future-dated, off-list, oversized and too frequent ones are
refused with a reason and never reach WeChat; nothing secret is logged; `peitu illustrate --upload` and
`peitu nightly` work through it with no AppID or AppSecret on the client."""

from __future__ import annotations

import io
import logging
import os
import secrets
import time
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image

from pipeline.asgi import AsgiServer
from pipeline.config import load_config
from pipeline.doctor import run_checks
from pipeline.errors import ConfigError, WeChatError
from pipeline.fakes.wechat import editor_image
from pipeline.publish.wechat.client import RelayedClient, build_client
from pipeline.relay import ALLOWED, build_relay, signing
from pipeline.relay.signing import CLIENT, NONCE, SIGNATURE, TIMESTAMP

from .conftest import MMBIZ_IMG, RELAY_KEY, REPO, FrozenClock, peitu, run_to_end, seed, wechat_config

ARTICLE = REPO / "examples" / "articles" / "career-first-time-manager.md"


def send(base: str, method: str, path: str, body: bytes = b"", *, key: str = RELAY_KEY, client: str = "default",
         timestamp: float | None = None, age: float = 0, nonce: str | None = None, signed_path: str | None = None,
         signed_body: bytes | None = None, drop: tuple[str, ...] = (), headers: dict | None = None) -> requests.Response:
    """A request signed as a client would (or deliberately wrongly: another key, path or body than sent)."""
    url = base.rstrip("/") + path
    parts = urlsplit(base.rstrip("/") + (signed_path or path))
    ts = str(int(time.time() - age if timestamp is None else timestamp))
    nonce = nonce or secrets.token_urlsafe(18)
    target = signing.canonical_target(parts.path, parts.query)
    sig = signing.sign(key, method, target, body if signed_body is None else signed_body, ts, nonce, client)
    sent = {CLIENT: client, TIMESTAMP: ts, NONCE: nonce, SIGNATURE: sig, **(headers or {})}
    for name in drop:
        sent.pop(name)
    return requests.request(method, url, data=body, headers=sent, timeout=30)


def jpeg(w: int = 300, h: int = 200) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (200, 90, 40)).save(buf, "JPEG")
    return buf.getvalue()


def client_of(config) -> RelayedClient:
    client = build_client(load_config(config))
    assert isinstance(client, RelayedClient)
    return client


def test_signed_calls_pass_with_the_relays_token(relay, fake):
    server, _, config = relay
    client = client_of(config)
    assert client.draft.count() == 0
    cover = client.material.add("image", ("cover.jpg", editor_image(), "image/jpeg"))
    url = client.media.upload_image(("inline.jpg", jpeg(), "image/jpeg"))
    assert cover["media_id"] in fake.materials and url.split("/")[-2] in fake.images
    media_id = client.draft.add([{"title": "经由中继", "content": f'<p>正文</p><img src="{url}">',
                                  "thumb_media_id": cover["media_id"]}])
    assert fake.drafts[media_id].news_item[0]["title"] == "经由中继" and not fake.dropped_images
    assert client.material.get(cover["media_id"]).content == editor_image()        # binary answers pass too
    assert client.draft.batchget(0, 20)["total_count"] == 1
    assert fake.calls["stable_token"] == 1                         # the relay's one token, fetched once
    assert client.scope == f"{server.url.rstrip('/')}|relay:default"


def test_every_call_peitu_makes_is_on_the_list_and_nothing_else():
    assert {api for _, api in ALLOWED} == {
        "material/add_material", "material/batchget_material", "material/get_material", "material/del_material",
        "material/get_materialcount", "media/uploadimg", "draft/add", "draft/get", "draft/update",
        "draft/batchget", "draft/count", "draft/delete"}


REFUSED = [
    # what, (method, path, send() options), status, the reason given
    ("unsigned", ("GET", "/cgi-bin/draft/count", {"drop": (CLIENT, TIMESTAMP, NONCE, SIGNATURE)}), 401, "unsigned"),
    ("no signature", ("GET", "/cgi-bin/draft/count", {"drop": (SIGNATURE,)}), 401, "unsigned"),
    ("another key", ("GET", "/cgi-bin/draft/count", {"key": "x" * 40}), 401, "bad signature"),
    ("unknown client", ("GET", "/cgi-bin/draft/count", {"client": "laptop"}), 401, "unknown client 'laptop'"),
    ("body altered", ("POST", "/cgi-bin/draft/delete", {"signed_body": b'{"media_id": "a"}'}), 401, "bad signature"),
    ("path altered", ("POST", "/cgi-bin/draft/delete", {"signed_path": "/cgi-bin/draft/get"}), 401, "bad signature"),
    ("query altered", ("POST", "/cgi-bin/material/add_material?type=thumb",
                       {"signed_path": "/cgi-bin/material/add_material?type=image"}), 401, "bad signature"),
    ("wrong method", ("POST", "/cgi-bin/draft/count", {}), 403, "not relayed: POST"),
    ("stale", ("GET", "/cgi-bin/draft/count", {"age": 400}), 401, "stale request"),
    ("future-dated", ("GET", "/cgi-bin/draft/count", {"age": -400}), 401, "in the future"),
    ("short nonce", ("GET", "/cgi-bin/draft/count", {"nonce": "abc"}), 401, "X-Peitu-Nonce"),
    ("token endpoint", ("GET", "/cgi-bin/token?grant_type=client_credential", {}), 403, "not relayed"),
    ("stable token", ("POST", "/cgi-bin/stable_token", {}), 403, "not relayed"),
    ("user list", ("GET", "/cgi-bin/user/get", {}), 403, "not relayed"),
    ("publishing", ("POST", "/cgi-bin/freepublish/submit", {}), 403, "not relayed"),
    ("outside cgi-bin", ("GET", "/sns/userinfo", {}), 404, "not relayed"),
    ("oversized", ("POST", "/cgi-bin/media/uploadimg", {"body": b"\0" * 11_000_001}), 413, "over the relay's limit"),
]


@pytest.mark.parametrize("what, request_, status, reason", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_with_a_reason_and_never_forwarded(relay, fake, what, request_, status, reason):
    server, _, _ = relay
    method, path, options = request_
    options = dict(options)
    answer = send(server.url, method, path, options.pop("body", b""), **options)
    assert answer.status_code == status, answer.text
    assert reason in answer.json()["error"]
    assert sum(fake.calls.values()) == 0


def test_a_replayed_request_is_refused(relay, fake):
    server, _, _ = relay
    nonce, now = secrets.token_urlsafe(18), time.time()
    first = send(server.url, "GET", "/cgi-bin/draft/count", nonce=nonce, timestamp=now)
    again = send(server.url, "GET", "/cgi-bin/draft/count", nonce=nonce, timestamp=now)
    assert first.status_code == 200 and first.json() == {"total_count": 0}
    assert again.status_code == 401 and "replayed" in again.json()["error"]
    assert fake.calls["draft/count"] == 1


def test_a_token_the_client_sends_is_dropped(relay, fake):
    server, _, _ = relay
    answer = send(server.url, "GET", "/cgi-bin/draft/count?access_token=forged")
    assert answer.status_code == 200 and answer.json() == {"total_count": 0}


def test_each_client_is_rate_limited_on_the_relays_clock(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("PEITU_RELAY_KEY", RELAY_KEY)
    monkeypatch.setenv("PEITU_RELAY_KEY_2", RELAY_KEY[::-1])
    cfg = load_config(wechat_config(tmp_path, fake))
    cfg.relay = cfg.relay.model_copy(update={"burst": 2, "rate_per_minute": 30,
                                             "clients": {"default": "PEITU_RELAY_KEY", "other": "PEITU_RELAY_KEY_2"}})
    clock = FrozenClock(time.time())
    with AsgiServer(build_relay(cfg, clock=clock).app, "127.0.0.1", 0).start() as server:
        def count(client: str = "default", key: str = RELAY_KEY) -> requests.Response:
            return send(server.url, "GET", "/cgi-bin/draft/count", timestamp=clock.now, client=client, key=key)

        assert [count().status_code for _ in range(2)] == [200, 200]
        limited = count()
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
        assert "30/min" in limited.json()["error"]
        assert count("other", RELAY_KEY[::-1]).status_code == 200          # another client has its own budget
        clock.now += 2
        assert count().status_code == 200
        clock.now += 1000                                                 # the relay's clock moved on: stale
        assert "stale" in send(server.url, "GET", "/cgi-bin/draft/count").json()["error"]
    assert fake.calls["draft/count"] == 4


def test_an_expired_token_is_refreshed_by_the_relay(relay, fake):
    _, _, config = relay
    client = client_of(config)
    assert client.draft.count() == 0
    fake.expire_tokens()
    assert client.draft.count() == 0
    assert fake.calls["stable_token"] == 2 and fake.calls["draft/count"] == 3


def test_relay_refusals_reach_the_user_as_clear_errors(relay, fake, monkeypatch):
    _, _, config = relay
    monkeypatch.setenv("PEITU_RELAY_KEY", "y" * 40)
    with pytest.raises(WeChatError) as err:
        client_of(config).draft.count()
    assert "refused the call (401)" in err.value.message and "bad signature" in err.value.message
    assert "PEITU_RELAY_KEY" in (err.value.hint or "")
    monkeypatch.setenv("PEITU_RELAY_KEY", "short")
    with pytest.raises(ConfigError, match="at least 32 characters"):
        client_of(config)
    monkeypatch.delenv("PEITU_RELAY_KEY")
    with pytest.raises(ConfigError, match="PEITU_RELAY_KEY") as missing:
        client_of(config)
    assert "peitu relay --new-key" in (missing.value.hint or "")
    assert sum(fake.calls.values()) == 0


def test_relay_refuses_to_start_without_good_keys(fake, tmp_path, monkeypatch):
    cfg = load_config(wechat_config(tmp_path, fake))
    monkeypatch.delenv("PEITU_RELAY_KEY", raising=False)
    with pytest.raises(ConfigError, match="relay client 'default' needs a key"):
        build_relay(cfg)
    monkeypatch.setenv("PEITU_RELAY_KEY", RELAY_KEY)
    monkeypatch.setenv("PEITU_RELAY_KEY_2", RELAY_KEY)
    cfg.relay = cfg.relay.model_copy(update={"clients": {"a": "PEITU_RELAY_KEY", "b": "PEITU_RELAY_KEY_2"}})
    with pytest.raises(ConfigError, match="share one key"):
        build_relay(cfg)


def test_40164_at_the_relay_names_its_ip_and_doctor_says_whitelist_the_relay(relay, fake):
    _, _, config = relay
    fake.whitelist, fake.caller_ip = {"203.0.113.7"}, "198.51.100.23"
    with pytest.raises(WeChatError) as err:
        client_of(config).draft.count()
    assert err.value.errcode == 40164 and "198.51.100.23" in err.value.message
    assert "could not get an access token" in err.value.message
    check = {c.area: c for c in run_checks(config)}["wechat default"]
    assert check.status == "fail" and "relay host" in check.fix


def test_doctor_suggests_the_relay_when_it_sees_40164(tmp_path, fake):
    fake.whitelist, fake.caller_ip = {"203.0.113.7"}, "198.51.100.23"
    check = {c.area: c for c in run_checks(wechat_config(tmp_path, fake))}["wechat default"]
    assert check.status == "fail" and "peitu relay" in check.fix and "relay_url" in check.fix


def test_doctor_checks_a_relayed_account_through_the_relay(relay, fake):
    _, _, config = relay
    check = {c.area: c for c in run_checks(config)}["wechat default"]
    assert check.status == "ok" and "through the relay" in check.found, check


def test_nothing_secret_is_logged(relay, fake, caplog):
    server, _, config = relay
    caplog.set_level(logging.DEBUG)
    client = client_of(config)
    client.draft.count()
    client.media.upload_image(("inline.jpg", jpeg(), "image/jpeg"))
    forged = send(server.url, "GET", "/cgi-bin/draft/count?access_token=leak-me-please", key="z" * 40)
    assert forged.status_code == 401
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("pipeline"))
    assert "relay default GET /cgi-bin/draft/count → 200" in ours       # (urllib3's debug lines are the
    assert "refused GET /cgi-bin/draft/count" in ours                   # CLI's redacting handler's job)
    for secret in [RELAY_KEY, "z" * 40, fake.secret, "leak-me-please", *fake.tokens]:
        assert secret not in ours


def test_illustrate_upload_and_nightly_through_the_relay(relay, fake):
    server, _, config = relay
    assert "WECHAT_APPID" not in os.environ and "WECHAT_SECRET" not in os.environ
    code, out = run_to_end(peitu(config, "illustrate", str(ARTICLE), "--upload"))
    assert code == 0, out
    [draft] = fake.drafts.values()
    item = draft.news_item[0]
    assert item["title"].startswith("第一次当管理者") and item["thumb_media_id"] in fake.materials
    assert MMBIZ_IMG.findall(item["content"]) and not fake.dropped_images
    drafts = seed(fake, 4)
    code, out = run_to_end(peitu(config, "nightly"))
    assert code == 0, out
    assert all(fake.drafts[m].updates == (0 if d["kind"] == 0 else 1) for m, d in drafts.items()), out
    assert fake.calls["stable_token"] == 1                        # only the relay ever asked for a token
    assert RELAY_KEY not in out and fake.secret not in out
