"""`peitu sandbox` as a user runs it: start it, follow what it prints, see the drafts illustrated."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests

from .conftest import REPO


@pytest.mark.slow
def test_the_printed_steps_illustrate_the_sandbox_drafts(tmp_path, sandbox):
    env, text = sandbox()
    url = re.search(r"WeChat sandbox: (http://127\.0\.0\.1:\d+)", text).group(1)
    exports = dict(re.findall(r"(\w+)=(\S+)", re.search(r"export (.+)", text).group(1)))
    assert set(exports) == {"PEITU_WECHAT_BASE_URL", "WECHAT_APPID", "WECHAT_SECRET"}
    before = requests.get(url + "/", timeout=10).text
    assert "草稿箱" in before and before.count('class="cover none"') == 3

    (tmp_path / "config.yaml").write_text((REPO / "config.yaml").read_text(encoding="utf-8").replace(
        "templates/", str(REPO / "templates") + "/"), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pipeline", "nightly"], cwd=tmp_path, env={**env, **exports},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "4 illustrated" in run.stderr and exports["WECHAT_SECRET"] not in run.stderr

    after = requests.get(url + "/", timeout=10).text
    assert 'class="cover none"' not in after and "【配图" not in after
    image = re.search(r'src="(/mmbiz/[^"]+)"', after).group(1)
    assert requests.get(url + image, timeout=10).content[:3] == b"\xff\xd8\xff"
