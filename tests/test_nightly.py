"""The nightly job end to end: real wechatpy client and peitu against the fake WeChat over HTTP."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

from pipeline.config import Config, load_config
from pipeline.fakes.wechat import FakeWeChat, seed_sandbox
from pipeline.nightly import run_nightly
from pipeline.publish.wechat.article import has_placeholder, mark_placeholders, placeholder_pattern

from .conftest import MMBIZ_IMG, REPO, check_exactly_once, kill_at, peitu, run_to_end, seed, wechat_config

pytestmark = pytest.mark.backends("sqlite", "postgresql")


@pytest.fixture
def ncfg(tmp_path, fake) -> Config:
    return load_config(wechat_config(tmp_path, fake))


def test_placeholder_forms():
    pattern = placeholder_pattern("【配图】")
    assert pattern.search("看【配图】").group("prompt") is None
    assert pattern.search("【配图：长城 日落】").group("prompt") == "长城 日落"
    assert pattern.search("【配图:cat】").group("prompt") == "cat"
    assert not has_placeholder("<p>配图</p>", "【配图】")
    assert has_placeholder("<p><span>文字【配图】</span></p>", "【配图】")
    html, prompts = mark_placeholders("<p>上一段讲长城。</p><p>【配图】</p><p>前【配图：猫】后</p>", "【配图】")
    assert prompts == ["上一段讲长城。", "猫"]
    assert html.count("data-peitu-placeholder") == 2 and "前<img" in html and "后</p>" in html


def test_sandbox_drafts_illustrated_and_rerun_skips(ncfg, fake):
    ids = seed_sandbox(fake)
    first = run_nightly(ncfg)
    assert (first.drafts, first.failed, first.stopped) == (len(ids), 0, "")
    assert first.illustrated == 4 and first.not_needed == 2
    calls = dict(fake.calls)
    second = run_nightly(ncfg)
    assert second.done_before == 4 and second.illustrated == 0
    assert {k: v for k, v in fake.calls.items() if k not in ("draft/batchget",)} == \
           {k: v for k, v in calls.items() if k not in ("draft/batchget",)}
    noodles = fake.drafts[ids[1]].news_item[0]
    assert noodles["thumb_media_id"] and len(MMBIZ_IMG.findall(noodles["content"])) == 2
    two = fake.drafts[ids[-1]].news_item
    assert two[0]["thumb_media_id"] == fake.drafts[ids[-1]].news_item[0]["thumb_media_id"]
    assert fake.materials[two[1]["thumb_media_id"]].name.startswith("peitu-")


def test_editor_changes_after_illustration_are_respected(ncfg, fake):
    ids = seed_sandbox(fake)
    run_nightly(ncfg)
    draft = fake.drafts[ids[0]]
    item = dict(draft.news_item[0])
    item["content"] += "<p>编辑又加了一段，并要一张图：【配图：机房里的服务器机柜】</p>"
    draft.news_item[0] = item
    report = run_nightly(ncfg)
    assert report.illustrated == 1
    after = fake.drafts[ids[0]].news_item[0]
    assert after["thumb_media_id"] == item["thumb_media_id"]          # peitu's earlier cover is kept
    assert "【配图" not in after["content"]
    assert len(MMBIZ_IMG.findall(after["content"])) == len(MMBIZ_IMG.findall(item["content"])) + 1


def test_force_replaces_an_editor_cover(ncfg, fake):
    ids = seed_sandbox(fake)
    finished = ids[3]
    editor_cover = fake.drafts[finished].news_item[0]["thumb_media_id"]
    run_nightly(ncfg, only={finished})
    assert fake.drafts[finished].news_item[0]["thumb_media_id"] == editor_cover
    run_nightly(ncfg, only={finished}, force=True)
    assert fake.drafts[finished].news_item[0]["thumb_media_id"] != editor_cover
    assert editor_cover in fake.materials                              # replaced, never deleted


def test_dry_run_changes_nothing_and_says_would(ncfg, fake):
    seed_sandbox(fake)
    report = run_nightly(ncfg, dry_run=True)
    assert report.would_illustrate == 4 and report.illustrated == 0
    assert "4 would illustrate" in report.line() and " illustrated" not in report.line()
    assert fake.calls["draft/update"] == 0 and fake.calls["material/add_material"] == 0
    assert fake.calls["media/uploadimg"] == 0


def test_a_draft_edited_during_the_run_is_left_for_the_next(ncfg, fake):
    ids = seed_sandbox(fake)
    target = ids[2]

    def editor_types(api, server):
        if api == "media/uploadimg":
            server.on_call = None
            d = server.drafts[target]
            d.news_item[0] = dict(d.news_item[0], content=d.news_item[0]["content"] + "<p>刚加的一句。</p>")

    fake.on_call = editor_types
    report = run_nightly(ncfg, only={target})
    assert report.failed == 1 and "changed while" in report.errors[0]
    assert fake.drafts[target].updates == 0
    assert run_nightly(ncfg, only={target}).illustrated == 1
    assert "刚加的一句" in fake.drafts[target].news_item[0]["content"]


@pytest.mark.slow
def test_twenty_drafts_with_token_expiry_busy_and_daily_quota(ncfg, fake):
    drafts = seed(fake, 20)
    fake.inject("media/uploadimg", 42001, after=5)          # every token dies mid-run
    fake.inject("draft/get", -1, after=3)                    # WeChat busy once
    fake.quotas["draft/update"] = 8                          # the day's quota ends after 8 updates
    first = run_nightly(ncfg)
    assert first.illustrated == 8 and "45009" in first.stopped and first.failed == 0
    assert sum(d.updates for d in fake.drafts.values()) == 8
    assert fake.calls["stable_token"] == 2

    fake.reset_quotas()                                      # the next day
    second = run_nightly(ncfg)
    assert second.illustrated == 7 and second.resumed == 1 and not second.stopped
    assert second.done_before == 8 and second.not_needed == 5
    check_exactly_once(fake, drafts)
    assert all(fake.drafts[m].updates == 1 for m, d in drafts.items() if d["kind"])

    uploads = fake.calls["media/uploadimg"] + fake.calls["material/add_material"]
    third = run_nightly(ncfg)
    assert third.done_before == 15 and third.illustrated == 0
    assert fake.calls["media/uploadimg"] + fake.calls["material/add_material"] == uploads


@pytest.mark.slow
def test_kill_9_mid_run_then_rerun_illustrates_each_draft_once(tmp_path, fake):
    config = wechat_config(tmp_path, fake)
    drafts = seed(fake, 12)
    box: list = []
    kill_at(fake, "material/add_material", 3, box)           # cut off mid-upload of a cover
    box.append(peitu(config, "nightly"))
    rc, out = run_to_end(box[0])
    assert rc == -signal.SIGKILL, out
    assert len([m for m in fake.materials.values() if m.name.startswith("peitu-")]) == 3

    box.clear()
    kill_at(fake, "draft/update", 2, box)                    # cut off after WeChat applied an update
    box.append(peitu(config, "nightly"))
    rc, out = run_to_end(box[0])
    assert rc == -signal.SIGKILL, out

    rc, out = run_to_end(peitu(config, "nightly"))
    assert rc == 0, out
    assert re.search(r"nightly \[default\]: 12 drafts .* 0 failed", out), out
    check_exactly_once(fake, drafts)
    assert all(fake.drafts[m].updates in (1, 2) for m, d in drafts.items() if d["kind"])
    assert sum(fake.drafts[m].updates == 2 for m in drafts) <= 1  # only the update whose answer was lost
    assert fake.calls["material/add_material"] == 6           # 6 covers, none sent twice


def test_each_account_has_its_own_keys_drafts_style_and_schedule(tmp_path, fake, monkeypatch):
    from pipeline.publish.wechat.client import account_config

    other = FakeWeChat(appid="wx0food0000000000a", secret="f" * 32).start()
    try:
        monkeypatch.setenv("FOOD_APPID", other.appid)
        monkeypatch.setenv("FOOD_SECRET", other.secret)
        config = wechat_config(tmp_path, fake, wechat={"accounts": {
            "default": {"base_url": fake.url},
            "food": {"base_url": other.url, "appid_env": "FOOD_APPID", "secret_env": "FOOD_SECRET",
                     "style": "watercolor", "templates": str(REPO / "templates" / "prompts"),
                     "schedule": {"time": "05:30", "timezone": "Asia/Shanghai"}}}})
        cfg = load_config(config)
        food = account_config(cfg, "food")
        assert (food.style, food.schedule.time, account_config(cfg, "default").schedule.time) == \
               ("watercolor", "05:30", "02:00")
        seed_sandbox(fake)
        seed_sandbox(other)
        assert run_nightly(cfg, "default").illustrated == 4
        assert sum(other.calls.values()) == 0
        assert run_nightly(cfg, "food").illustrated == 4
        assert other.calls["stable_token"] == 1 and len(other.materials) == len(fake.materials)
    finally:
        other.stop()


def test_a_draft_deleted_mid_run_is_reported_and_the_rest_go_on(ncfg, fake):
    ids = seed_sandbox(fake)

    def editor_deletes(api, server):
        if api == "material/add_material":
            server.on_call = None
            server.drafts.pop(ids[0])

    fake.on_call = editor_deletes
    report = run_nightly(ncfg)
    assert report.failed == 1 and report.illustrated == 3
    assert any("deleted while" in e for e in report.errors)


@pytest.mark.slow
def test_debug_logs_show_requests_but_never_the_token_or_secret(tmp_path, fake):
    config = wechat_config(tmp_path, fake, wechat={"accounts": {"default": {"base_url": fake.url,
                                                                            "token_api": "token"}}})
    seed_sandbox(fake)
    fake.inject("draft/update", 42001, after=1)                # a refresh mid-run, logged too
    run = subprocess.run([sys.executable, "-m", "pipeline", "--debug", "--config", str(config), "nightly"],
                         env={**os.environ, "COLUMNS": "250"}, capture_output=True, text=True, timeout=300)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert fake.calls["token"] == 2
    assert "→ WeChat POST draft/update" in out and "→ WeChat token" in out
    assert fake.secret not in out
    assert not any(token in out for token in fake.tokens)
