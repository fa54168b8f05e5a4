"""`peitu web` over real HTTP: library browsing, article prompts, the template editor, regenerating, guards."""

from __future__ import annotations

import io
import signal
import subprocess
import sys

import pytest
import requests
from PIL import Image

from pipeline.netutil import is_loopback
from pipeline.web import WebServer
from pipeline.web.app import allowed_hosts
from tests.conftest import ARTICLES, FOOD, REPO, Client, picture


@pytest.fixture
def server(wcfg, seeded):
    with WebServer(wcfg, "127.0.0.1", 0, article_dirs=[ARTICLES]).start() as srv:
        yield srv


@pytest.fixture
def client(server):
    return Client(server)


def test_page_and_static_files(client):
    page = client.get("/")
    assert page.status_code == 200 and "图库" in page.text
    assert f'content="{client.token}"' in page.text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert client.get("/static/app.js").headers["Content-Type"].startswith("text/javascript")
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/..%2Fapp.py").status_code == 404
    assert client.get("/nope").status_code == 404


def test_browse_search_and_images(client, seeded):
    everything = client.get("/api/library").json()
    assert everything["total"] == 2 and [i["id"] for i in everything["items"]] == [seeded["hotpot"], seeded["coffee"]]
    found = client.get("/api/library", params={"q": "咖啡"}).json()
    assert [i["article_title"] for i in found["items"]] == ["手冲咖啡入门"]
    assert client.get("/api/library", params={"q": "coffee dripper"}).json()["total"] == 1
    assert client.get("/api/library", params={"since": "不是日期"}).status_code == 400
    detail = client.get(f"/api/library/{seeded['coffee']}").json()
    assert detail["prompt"] == "a pour-over coffee dripper" and detail["tags"] == ["咖啡", "手冲"]
    thumb = client.get(detail["thumb"])
    assert thumb.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.content)).size == (240, 103)
    original = client.get(detail["image"])
    assert original.content == picture((120, 70, 30))
    assert client.get("/api/library/999").status_code == 404
    assert client.get("/thumb/999").status_code == 404


def test_tags_change_through_the_page(client, seeded):
    url = f"/api/library/{seeded['coffee']}/tags"
    out = client.post(url, {"add": ["拿铁"], "remove": ["手冲"]})
    assert out.status_code == 200 and out.json()["tags"] == ["咖啡", "拿铁"]
    assert client.get("/api/library", params={"q": "拿铁"}).json()["total"] == 1
    assert client.post(url, {"add": [1]}).status_code == 400


def test_cross_site_and_foreign_host_requests_are_refused(client, seeded, server):
    url = f"/api/library/{seeded['coffee']}/tags"
    assert client.post(url, {"add": ["x"]}, token="").status_code == 403
    assert client.post(url, {"add": ["x"]}, token="guess").status_code == 403
    assert client.post(url, {"add": ["x"]}, headers={"Origin": "https://evil.example"}).status_code == 403
    form = requests.post(client.base + url, data="add=x", timeout=10,
                         headers={"X-Peitu-Token": client.token, "Content-Type": "text/plain"})
    assert form.status_code == 415
    rebound = client.get("/api/library", headers={"Host": f"evil.example:{server.port}"})
    assert rebound.status_code == 403 and "not this server" in rebound.json()["error"]
    assert client.get("/api/library", headers={"Host": f"localhost:{server.port}"}).status_code == 200
    assert client.get(f"/api/library/{seeded['coffee']}").json()["tags"] == ["咖啡", "手冲"]


def test_only_loopback_is_guarded_by_host_and_other_hosts_need_asking():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert allowed_hosts("127.0.0.1", 8765) == {"127.0.0.1:8765", "localhost:8765", "[::1]:8765"}
    assert allowed_hosts("0.0.0.0", 8765) is None     # given explicitly with --host


def test_article_prompts_for_every_template(client):
    meta = client.get("/api/meta").json()
    assert any(a["path"].endswith("food-chaoshan-beef-hotpot.md") for a in meta["articles"])
    data = client.post("/api/article", {"path": str(REPO / FOOD)}).json()
    assert data["article"]["type"] == "food" and data["article"]["type_label"] == "美食"
    assert data["style"] == "watercolor"                      # the article's front matter asks for it
    names = [t["name"] for t in data["templates"]]
    assert names[0] == "food" and {"tech", "travel", "default"} <= set(names)
    food = data["templates"][0]
    assert food["error"] is None and food["plans"][0]["key"] == "cover" and food["plans"][0]["prompt"]
    assert all(p["template"] == "food" for p in food["plans"])
    tech = next(t for t in data["templates"] if t["name"] == "tech")
    assert tech["plans"][0]["prompt"] != food["plans"][0]["prompt"]
    pasted = client.post("/api/article", {"text": "---\ntitle: 周末的咖啡\n---\n\n## 豆子\n\n手冲咖啡的研磨。\n"})
    assert pasted.status_code == 200 and pasted.json()["article"]["title"] == "周末的咖啡"
    outside = client.post("/api/article", {"path": "/etc/passwd"})
    assert outside.status_code == 400 and "只能打开文章文件" in outside.json()["error"]


def test_template_preview_points_at_the_line_and_writes_nothing(client, wcfg):
    path = wcfg.paths.templates / "food.j2"
    before = path.read_text(encoding="utf-8")
    broken = before.replace("{% block negative %}", "{% block negative %}\n{{ no_such_thing }}")
    line = broken.splitlines().index("{{ no_such_thing }}") + 1
    out = client.post("/api/templates/food/preview", {"source": broken}).json()
    problem = next(p for p in out["problems"] if "no_such_thing" in p["message"])
    assert problem["line"] == line and problem["where"] == f"{path}:{line}" and problem["severity"] == "error"
    assert out["plans"] == []
    edited = before.replace("{% block cover_prompt %}", "{% block cover_prompt %}zz-marker, ")
    good = client.post("/api/templates/food/preview", {"source": edited, "path": str(REPO / FOOD)}).json()
    assert [p for p in good["problems"] if p["severity"] == "error"] == []
    assert good["plans"][0]["prompt"].startswith("zz-marker") and good["article"]["title"].startswith("潮汕牛肉火锅")
    assert path.read_text(encoding="utf-8") == before


def test_template_save_requires_a_clean_lint(client, wcfg):
    path = wcfg.paths.templates / "food.j2"
    before = path.read_text(encoding="utf-8")
    bad = client.post("/api/templates/food", {"source": "{% block cover_prompt %}{{ title }"})
    assert bad.status_code == 400 and "未保存" in bad.json()["error"] and bad.json()["problems"][0]["line"] == 1
    assert path.read_text(encoding="utf-8") == before
    edited = before.replace("{% block cover_prompt %}", "{% block cover_prompt %}saved-marker, ")
    ok = client.post("/api/templates/food", {"source": edited})
    assert ok.status_code == 200 and path.read_text(encoding="utf-8") == edited
    assert client.get("/api/templates/food").json()["source"] == edited
    new = client.post("/api/templates/pets", {"source": before})
    assert new.status_code == 200 and (wcfg.paths.templates / "pets.j2").is_file()
    assert "pets" in [t["name"] for t in client.get("/api/templates").json()["templates"]]
    assert client.post("/api/templates/Bad%20Name", {"source": before}).status_code == 400
    assert client.post("/api/templates/_base", {"source": before}).status_code == 400
    assert client.get("/api/templates/..%2F..%2Fconfig").status_code in (400, 404)
    assert not (wcfg.paths.templates.parent / "config.j2").exists()


def test_regenerate_one_image_records_it(client, seeded):
    made = client.post("/api/regenerate", {"path": str(REPO / FOOD), "key": "cover"})
    assert made.status_code == 200, made.text
    entry = client.get(f"/api/library/{made.json()['id']}").json()
    assert entry["article_slug"] == "food-chaoshan-beef-hotpot" and entry["plan_key"] == "cover"
    assert entry["provider"] == "local" and entry["template"] == "food" and entry["prompt"]
    assert client.get(entry["thumb"]).status_code == 200
    again = client.post(f"/api/library/{made.json()['id']}/regenerate", {}).json()
    second = client.get(f"/api/library/{again['id']}").json()
    assert again["id"] != made.json()["id"] and second["prompt"] == entry["prompt"]
    assert second["seed"] != entry["seed"]
    assert client.post("/api/regenerate", {"path": str(REPO / FOOD), "key": "inline-99"}).status_code == 400


def test_peitu_web_command_serves_on_loopback_and_stops_on_ctrl_c(tmp_path):
    (tmp_path / "config.yaml").write_text("paths: {state: state.db}\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "--config", str(tmp_path / "config.yaml"),
                             "web", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = next(w for w in line.split() if w.startswith("http"))
        assert url.startswith("http://127.0.0.1:") and "(Ctrl+C 退出)" in line
        page = requests.get(url, timeout=30)
        assert page.status_code == 200 and "peitu-token" in page.text
        assert requests.get(url + "api/library", timeout=30).json() == {"total": 0, "items": []}
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
