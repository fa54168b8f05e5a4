"""`peitu illustrate --upload` as a user runs it, against the fake WeChat server over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.fakes.wechat import FakeWeChat

from .conftest import REPO, write_config

ARTICLE = REPO / "examples" / "articles" / "career-first-time-manager.md"


@pytest.fixture
def fake():
    with FakeWeChat() as server:
        yield server


def run(tmp_path: Path, fake: FakeWeChat, *args: str) -> subprocess.CompletedProcess:
    config = write_config(tmp_path, wechat={"accounts": {"default": {"base_url": fake.url}}})
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT")}
    env.update(WECHAT_APPID=fake.appid, WECHAT_SECRET=fake.secret)
    return subprocess.run([sys.executable, "-m", "pipeline", "--config", str(config),
                           "illustrate", *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)


def test_upload_creates_one_draft_and_a_rerun_adds_none(tmp_path, fake):
    first = run(tmp_path, fake, str(ARTICLE), "--upload")
    assert first.returncode == 0, first.stderr
    assert len(fake.drafts) == 1
    (draft,) = fake.drafts.values()
    item = draft.news_item[0]
    assert item["title"].startswith("第一次当管理者")
    assert item["thumb_media_id"] in fake.materials
    assert item["content"].count("<img") >= 1 and not fake.dropped_images
    assert fake.secret not in first.stderr + first.stdout
    uploads = fake.calls["media/uploadimg"], fake.calls["material/add_material"]

    second = run(tmp_path, fake, str(ARTICLE), "--upload")
    assert second.returncode == 0, second.stderr
    assert len(fake.drafts) == 1
    assert (fake.calls["media/uploadimg"], fake.calls["material/add_material"]) == uploads


def test_article_failing_check_is_not_uploaded(tmp_path, fake):
    long_title = tmp_path / "long.md"
    long_title.write_text("---\ntitle: " + "很长的标题" * 8 + "\n---\n\n## 小节\n\n正文内容写在这里，讲一件事。\n",
                          encoding="utf-8")
    result = run(tmp_path, fake, str(long_title), str(ARTICLE), "--upload")
    assert result.returncode == 1
    assert "long.md" in result.stderr and "32" in result.stderr
    assert len(fake.drafts) == 1
