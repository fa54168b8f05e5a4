"""Exactly once, whatever dies when: `peitu nightly` and `peitu illustrate --upload` run as child processes
against the fake WeChat, are killed (kill -9) at a WeChat call — before WeChat handles it, or after WeChat
did it and before the answer reaches peitu — then run again until they finish. Afterwards: no duplicate
material, no duplicate draft, no body image uploaded twice except the one uploadimg in flight when the
process died (WeChat offers no way to look it up), nothing lost, and the editors' covers untouched.
Also: two nightly runs on one account from two state files are never both working."""

from __future__ import annotations

import hashlib
import io
import signal
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from pipeline.fakes.wechat import FakeWeChat, editor_image

from .conftest import MMBIZ_IMG, check_exactly_once, kill_at, pause_at, peitu, run_to_end, seed, wechat_config

pytestmark = [pytest.mark.slow, pytest.mark.backends("sqlite", "postgresql")]


@dataclass
class Kill:
    api: str
    nth: int = 1
    before: bool = False            # before WeChat handles the call; else after it did, before the answer


def editors_upload_25_images(fake: FakeWeChat) -> None:
    for n in range(25):
        fake.add_editor_image(editor_image(300, 200, hue=n), f"editor-{len(fake.materials)}.jpg")


def editors_save_25_drafts(fake: FakeWeChat) -> None:
    for n in range(25):
        fake.add_editor_draft([{"title": f"编辑后来存的草稿{n}", "content": "<p>正文</p>", "thumb_media_id": ""}])


@dataclass
class Case:
    command: str                                    # "nightly" | "illustrate"
    kills: list[Kill]                               # one killed run each, in turn; then a run to the end
    before: Callable[[FakeWeChat], None] | None = None       # what editors did before the first run
    between: Callable[[FakeWeChat], None] | None = None      # what editors do after the first killed run


CASES = {
    # nightly: token, draft box, body images, cover, the fresh read, the update and the read after it
    "nightly-token": Case("nightly", [Kill("stable_token")]),
    "nightly-draft-batchget": Case("nightly", [Kill("draft/batchget")]),
    "nightly-uploadimg-before": Case("nightly", [Kill("media/uploadimg", 3, before=True)]),
    "nightly-uploadimg-after": Case("nightly", [Kill("media/uploadimg", 3)]),
    "nightly-add-material-before": Case("nightly", [Kill("material/add_material", 1, before=True)]),
    "nightly-add-material-after": Case("nightly", [Kill("material/add_material", 2)]),
    "nightly-add-material-then-its-lookup": Case("nightly", [Kill("material/add_material"),
                                                             Kill("material/batchget_material")]),
    "nightly-cover-lost-among-50-editor-uploads": Case("nightly", [Kill("material/add_material")],
                                                       before=editors_upload_25_images,
                                                       between=editors_upload_25_images),
    "nightly-draft-get": Case("nightly", [Kill("draft/get")]),
    "nightly-draft-update-before": Case("nightly", [Kill("draft/update", 2, before=True)]),
    "nightly-draft-update-after": Case("nightly", [Kill("draft/update", 2)]),
    "nightly-draft-get-after-update": Case("nightly", [Kill("draft/get", 3)]),   # read, fresh read, after
    # illustrate --upload: token, body images (generated and the author's), cover, draft/add and its lookup
    "illustrate-token": Case("illustrate", [Kill("stable_token")]),
    "illustrate-uploadimg-before": Case("illustrate", [Kill("media/uploadimg", 2, before=True)]),
    "illustrate-uploadimg-after": Case("illustrate", [Kill("media/uploadimg", 2)]),
    "illustrate-add-material-before": Case("illustrate", [Kill("material/add_material", before=True)]),
    "illustrate-add-material-after": Case("illustrate", [Kill("material/add_material")]),
    "illustrate-draft-add-before": Case("illustrate", [Kill("draft/add", before=True)]),
    "illustrate-draft-add-after": Case("illustrate", [Kill("draft/add")]),
    "illustrate-draft-add-then-its-lookup": Case("illustrate", [Kill("draft/add"), Kill("draft/batchget")]),
    "illustrate-draft-lost-behind-25-editor-drafts": Case("illustrate", [Kill("draft/add")],
                                                          between=editors_save_25_drafts),
}

TITLE = "早睡的好处"


def article(folder: Path) -> Path:
    """An article with two sections and an image of the author's (a local file)."""
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (90, 120, 200)).save(out, "PNG")
    (folder / "bedroom.png").write_bytes(out.getvalue())
    path = folder / "sleep.md"
    path.write_text(f"---\ntitle: {TITLE}\nauthor: 健康组\n---\n\n## 为什么要早睡\n\n睡眠不足会影响记忆、情绪和免疫力，"
                    "长期熬夜的人更容易生病。\n\n## 怎样养成习惯\n\n固定起床时间，睡前一小时放下手机，卧室保持安静和黑暗。\n\n"
                    "![卧室](bedroom.png)\n", encoding="utf-8")
    return path


def duplicate_body_images(fake: FakeWeChat) -> int:
    """Body images WeChat holds more than once (the same bytes uploaded again)."""
    counts = Counter(hashlib.sha256(data).hexdigest() for data in fake.images.values())
    return sum(n - 1 for n in counts.values())


def check_illustrated_once(fake: FakeWeChat, editor_drafts: int) -> None:
    ours = [d for d in fake.drafts.values() if d.news_item[0]["title"] == TITLE]
    assert len(ours) == 1 and len(fake.drafts) == 1 + editor_drafts                 # no duplicate draft
    item = ours[0].news_item[0]
    peitu_materials = [m for m in fake.materials.values() if m.name.startswith("peitu-")]
    assert [m.media_id for m in peitu_materials] == [item["thumb_media_id"]]        # one cover, no orphan
    images = MMBIZ_IMG.findall(item["content"])
    assert len(images) >= 2 and len(set(images)) == len(images)                     # generated + the author's
    assert all(src.split("/")[-2] in fake.images for src in images)                 # nothing lost
    assert not fake.dropped_images


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_killed_at_any_call_then_rerun_does_everything_exactly_once(tmp_path, fake, case):
    config = wechat_config(tmp_path, fake)
    args = ["nightly"] if case.command == "nightly" else ["illustrate", str(article(tmp_path)), "--upload"]
    drafts = seed(fake, 4) if case.command == "nightly" else {}
    if case.before:
        case.before(fake)
    editor_covers = {m.media_id: m.data for m in fake.materials.values()}
    for n, kill in enumerate(case.kills):
        box: list = []
        kill_at(fake, kill.api, kill.nth, box, before=kill.before)
        box.append(peitu(config, *args))
        rc, out = run_to_end(box[0])
        assert rc == -signal.SIGKILL, f"not killed at {kill}:\n{out}"
        if n == 0 and case.between:
            case.between(fake)
    rc, out = run_to_end(peitu(config, *args))
    assert rc == 0, out

    in_flight = sum(k.api == "media/uploadimg" and not k.before for k in case.kills)
    assert duplicate_body_images(fake) == in_flight                  # only the uploadimg cut off mid-call
    assert all(fake.materials[m].data == data for m, data in editor_covers.items())   # editors' covers untouched
    if case.command == "nightly":
        check_exactly_once(fake, drafts)                              # no duplicate or orphan material
        assert all(fake.drafts[m].updates == 1 for m, d in drafts.items() if d["kind"])
        assert "0 failed" in out
    else:
        check_illustrated_once(fake, 25 if case.between else 0)


def test_two_nightly_runs_on_one_account_from_two_state_files_are_never_both_working(tmp_path, fake):
    """The second run (another state file, the same account) is refused while the first works; it
    touches nothing on WeChat; the first finishes as if alone."""
    drafts = seed(fake, 4)
    first_config, second_config = wechat_config(tmp_path / "one", fake), wechat_config(tmp_path / "two", fake)
    held, release = pause_at(fake, "draft/batchget")
    first = peitu(first_config, "nightly")
    try:
        assert held()
        calls = dict(fake.calls)
        rc, out = run_to_end(peitu(second_config, "nightly"))
        out = " ".join(out.split())
        assert rc == 1 and "another nightly run for WeChat account 'default'" in out and "in progress" in out, out
        assert "held by another process on this machine" in out and fake.secret not in out, out
        assert dict(fake.calls) == calls                              # refused before any call
    finally:
        release()
    rc, out = run_to_end(first)
    assert rc == 0, out
    check_exactly_once(fake, drafts)
    rc, out = run_to_end(peitu(second_config, "nightly"))             # once the first is done, it may run
    assert rc == 0 and "0 illustrated" in out, out                    # it finds every draft done
    check_exactly_once(fake, drafts)
