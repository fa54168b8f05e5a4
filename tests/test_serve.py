"""`peitu serve`'s API against a real server on a free port: the token, Host and Origin guards, each
endpoint on the examples (what it answers and what it writes), and the OpenAPI schema it publishes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from pipeline.web import WebServer

from .conftest import API_TOKEN, EXAMPLES, small_images, wechat_config

FOOD = EXAMPLES / "food-chaoshan-beef-hotpot.md"
LONG_TITLE = "---\ntitle: " + "很长的标题" * 8 + "\n---\n\n## 小节\n\n正文内容写在这里，讲一件事。\n"


def url(srv: WebServer, path: str) -> str:
    return srv.url.rstrip("/") + path


def test_the_api_needs_the_token_and_this_host(api):
    srv, session = api
    body = {"path": str(FOOD)}
    anonymous = requests.post(url(srv, "/api/v1/check"), json=body, timeout=30)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert "Authorization: Bearer" in anonymous.json()["error"]
    wrong = requests.post(url(srv, "/api/v1/check"), json=body, timeout=30, headers={"Authorization": "Bearer nope"})
    page_token = requests.post(url(srv, "/api/v1/check"), json=body, timeout=30,
                               headers={"Authorization": f"Bearer {srv.page_token}"})
    assert wrong.status_code == page_token.status_code == 401
    assert requests.get(url(srv, "/api/v1/library"), timeout=30).status_code == 401       # reads too
    rebound = session.post(url(srv, "/api/v1/check"), json=body, headers={"Host": f"evil.example:{srv.port}"})
    assert rebound.status_code == 403 and "not this server" in rebound.json()["error"]
    cross = session.post(url(srv, "/api/v1/check"), json=body, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert session.post(url(srv, "/api/v1/check"), json=body).status_code == 200
    big = session.post(url(srv, "/api/v1/check"), data=b"{" + b" " * 2_000_001 + b"}",
                       headers={"Content-Type": "application/json"})
    assert big.status_code == 413
    assert requests.get(url(srv, "/openapi.json"), timeout=30).status_code == 200       # the schema is public


def test_check_answers_findings(api):
    srv, session = api
    ok = session.post(url(srv, "/api/v1/check"), json={"path": str(FOOD)}).json()
    assert ok["ok"] is True and ok["errors"] == 0
    bad = session.post(url(srv, "/api/v1/check"), json={"text": LONG_TITLE}).json()
    assert bad["ok"] is False and bad["errors"] >= 1
    finding = next(f for f in bad["findings"] if f["level"] == "error")
    assert "32" in finding["message"] and finding["file"] == "article.md" and finding["line"] >= 1
    outside = session.post(url(srv, "/api/v1/check"), json={"path": "/etc/passwd"})
    assert outside.status_code == 400 and "只能打开文章文件" in outside.json()["error"]
    nothing = session.post(url(srv, "/api/v1/check"), json={})
    assert nothing.status_code == 400 and "path" in nothing.json()["error"]
    extra = session.post(url(srv, "/api/v1/check"), json={"path": str(FOOD), "paht": "x"})
    assert extra.status_code == 422


def test_plan_says_what_each_image_shows_and_writes_nothing(api, cfg):
    srv, session = api
    out = session.post(url(srv, "/api/v1/plan"), json={"path": str(FOOD), "inline": 2}).json()
    assert out["article"]["type"] == "food" and out["article"]["title"].startswith("潮汕牛肉火锅")
    keys = [i["key"] for i in out["images"]]
    assert keys[0] == "cover" and len([k for k in keys if k.startswith("inline")]) == 2
    inline = out["images"][1]
    assert inline["section"] and inline["prompt"] and inline["negative_prompt"] and inline["template"] == "food"
    assert not cfg.path(cfg.paths.output).exists() and out["planner"] == "rules" and out["fallback"] == ""
    asked = session.post(url(srv, "/api/v1/plan"), json={"path": str(FOOD), "planner": "llm"}).json()
    assert asked["planner"] == "rules" and asked["fallback"], asked            # no chat model's key: rules, and why
    typed = session.post(url(srv, "/api/v1/plan"), json={"path": str(FOOD), "type": "科技", "cover": False}).json()
    assert typed["article"]["type"] == "tech" and typed["images"][0]["key"] != "cover"
    unknown = session.post(url(srv, "/api/v1/plan"), json={"path": str(FOOD), "type": "no-such-type"})
    assert unknown.status_code == 400 and "unknown article type" in unknown.json()["error"]


def test_illustrate_writes_the_folder_and_the_library_finds_it(api):
    srv, session = api
    made = session.post(url(srv, "/api/v1/illustrate"), json={"path": str(FOOD), "inline": 1}, timeout=300).json()
    assert made["status"] == "ok" and made["error"] is None, made
    folder = Path(made["folder"])
    assert folder.name == "food-chaoshan-beef-hotpot" and Path(made["preview_html"]).is_file()
    manifest = json.loads(Path(made["manifest"]).read_text(encoding="utf-8"))
    assert [i["key"] for i in manifest["images"]] == [i["key"] for i in made["images"]] == ["cover", "inline-1"]
    cover = made["images"][0]
    assert cover["ok"] and cover["provider"] == "local" and {Path(f).name for f in cover["files"]} == \
        {"cover.jpg", "cover_1x1.jpg"} and all(Path(f).is_file() for f in cover["files"])
    found = session.get(url(srv, "/api/v1/library"), params={"q": "火锅", "role": "cover"}).json()
    assert found["total"] == 1 and found["items"][0]["article_slug"] == "food-chaoshan-beef-hotpot"
    assert Path(found["items"][0]["file"]).is_file()
    assert session.get(url(srv, "/api/v1/library"), params={"limit": 0}).status_code == 422
    assert session.get(url(srv, "/api/v1/library"), params={"role": "poster"}).status_code == 422
    pasted = session.post(url(srv, "/api/v1/illustrate"), timeout=300,
                          json={"text": "---\ntitle: 周末的咖啡\n---\n\n## 豆子\n\n手冲咖啡的研磨与水温。\n", "inline": 0})
    assert pasted.json()["status"] == "ok" and pasted.json()["article"]["source"] is None


def test_template_preview_gives_that_templates_prompts(api):
    srv, session = api
    food = session.post(url(srv, "/api/v1/templates/preview"), json={"template": "food", "path": str(FOOD)}).json()
    tech = session.post(url(srv, "/api/v1/templates/preview"), json={"template": "tech", "path": str(FOOD)}).json()
    assert food["template"] == "food" and all(i["template"] == "tech" for i in tech["images"])
    assert food["images"][0]["prompt"] != tech["images"][0]["prompt"]
    missing = session.post(url(srv, "/api/v1/templates/preview"), json={"template": "pets", "path": str(FOOD)})
    assert missing.status_code == 400 and "no template 'pets'" in missing.json()["error"]
    assert session.post(url(srv, "/api/v1/templates/preview"),
                        json={"template": "../x", "path": str(FOOD)}).status_code == 422


def test_the_schema_lists_the_endpoints_and_the_bearer_scheme(api):
    srv, _ = api
    schema = requests.get(url(srv, "/openapi.json"), timeout=30).json()
    assert set(schema["paths"]) == {"/api/v1/plan", "/api/v1/illustrate", "/api/v1/check", "/api/v1/library",
                                    "/api/v1/templates/preview"}                 # no page routes, no upload
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    plan = schema["paths"]["/api/v1/plan"]["post"]
    assert plan["operationId"] == "plan" and {"200", "400", "401", "422"} <= set(plan["responses"])


def test_upload_is_opt_in_and_makes_a_draft(fake, tmp_path):
    from pipeline.config import load_config

    ucfg = small_images(load_config(wechat_config(tmp_path, fake)))
    with WebServer(ucfg, "127.0.0.1", 0, article_dirs=[EXAMPLES], api_token=API_TOKEN, allow_upload=True).start() \
            as srv:
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        made = requests.post(url(srv, "/api/v1/upload"), json={"path": str(FOOD), "inline": 1}, headers=headers,
                             timeout=300).json()
        again = requests.post(url(srv, "/api/v1/upload"), json={"path": str(FOOD), "inline": 1}, headers=headers,
                              timeout=300).json()
    assert made["status"] == "ok" and made["media_id"] in fake.drafts, made
    assert again["media_id"] == made["media_id"] and len(fake.drafts) == 1          # the ledger: one draft
    with WebServer(ucfg, "127.0.0.1", 0, api_token=API_TOKEN, allow_upload=False).start() as off:
        refused = requests.post(url(off, "/api/v1/upload"), json={"path": str(FOOD)}, headers=headers, timeout=30)
    assert refused.status_code == 404 and len(fake.drafts) == 1


@pytest.mark.parametrize("env_token", [True, False])
def test_peitu_serve_prints_where_and_the_token_once(tmp_path, env_token):
    (tmp_path / "config.yaml").write_text("paths: {state: state.db}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PEITU_API_TOKEN"}
    if env_token:
        env["PEITU_API_TOKEN"] = API_TOKEN
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "--config", str(tmp_path / "config.yaml"), "serve",
                             "--port", "0", "--api-only"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        line = proc.stdout.readline()
        base = next(w for w in line.split() if w.startswith("http")).removesuffix("api/v1/")
        token = API_TOKEN if env_token else proc.stdout.readline().split()[-1]
        if env_token:
            assert API_TOKEN not in line
        answer = requests.get(base + "api/v1/library", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert answer.status_code == 200 and answer.json() == {"total": 0, "items": []}
        assert requests.get(base, timeout=30).status_code == 404                        # --api-only: no page
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
