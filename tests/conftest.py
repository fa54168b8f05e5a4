"""Shared fixtures: a Config from the repository's config.yaml whose state, cache and output
live in a per-test temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.config import Config, load_config

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    """The repository's config, with everything it writes redirected under tmp_path."""
    config = load_config(REPO / "config.yaml")
    config.paths.state = tmp_path / "state.db"
    config.paths.cache = tmp_path / "cache"
    config.paths.output = tmp_path / "output"
    return config


def write_config(folder: Path, **sections: dict) -> Path:
    """A config.yaml in `folder` like the repository's (templates and word lists from the repository),
    whose state, cache and output live in `folder`; `sections` update top-level sections."""
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    for key in ("templates", "styles", "glossary", "userdict", "stopwords"):
        data["paths"][key] = str(REPO / data["paths"][key])
    data["paths"].update(state=str(folder / "state.db"), cache=str(folder / "cache"), output=str(folder / "out"))
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# ── schemas: hostile provider answers ─────────────────────────────────────────────────

class CannedServer:
    """A real HTTP server on 127.0.0.1 that answers every request with one fixed answer: a provider
    gone wrong in a way no fake is built to show. Duck-types what fake_config and keys_for read."""

    def __init__(self, body: bytes, status: int = 200, content_type: str = "application/json"):
        import http.server
        import threading

        self.key, self.seen = "fake-key", 0
        canned = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                canned.seen += 1
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _any

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def canned():
    """canned(body, status=200, content_type=…) → a started CannedServer, stopped after the test."""
    servers: list[CannedServer] = []

    def start(body: bytes, status: int = 200, content_type: str = "application/json") -> CannedServer:
        servers.append(CannedServer(body, status, content_type))
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


# ---- state store, WeChat runs and kill -9 (the store helper's part) ------------------------------------

import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402

from pipeline.fakes.wechat import FakeWeChat, editor_image  # noqa: E402
from pipeline.publish.wechat.client import BASE_URL_ENV  # noqa: E402

MMBIZ_IMG = re.compile(r'<img[^>]*src="(http://mmbiz\.qpic\.cn/[^"]+)"')


@pytest.fixture
def fake(monkeypatch, tmp_path):
    """The fake WeChat on 127.0.0.1, with its AppID and AppSecret in the environment (and the machine-wide
    account locks of this test, and of the runs it starts, in a folder of its own)."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    with FakeWeChat() as server:
        monkeypatch.setenv("WECHAT_APPID", server.appid)
        monkeypatch.setenv("WECHAT_SECRET", server.secret)
        monkeypatch.delenv(BASE_URL_ENV, raising=False)
        yield server


def wechat_config(folder: Path, fake: FakeWeChat, **extra) -> Path:
    """A config file for runs against `fake`: state and output under `folder`, the local provider,
    small images (fast); `extra` replaces top-level sections."""
    data = {
        "paths": {"state": str(folder / "state.db"), "cache": str(folder / "cache"),
                  "output": str(folder / "output"),
                  **{k: str(REPO / "templates" / v) for k, v in (
                      ("templates", "prompts"), ("styles", "styles"), ("glossary", "glossary.yaml"),
                      ("userdict", "userdict.txt"), ("stopwords", "stopwords.txt"))}},
        "images": {"generate_cover": {"width": 672, "height": 288},
                   "generate_inline": {"width": 512, "height": 288}, "inline_count": 2},
        "providers": {"order": ["local"]},
        "article_types": yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))["article_types"],
        "wechat": {"accounts": {"default": {"base_url": fake.url}}},
        **extra,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


PROSE = "这一段讲的是具体的做法和经验，包括准备、步骤、常见问题和解决办法，读者可以照着去做。"


def seed(fake: FakeWeChat, n: int = 20) -> dict[str, dict]:
    """n drafts in four kinds, by i % 4: 0 editor's cover, nothing to do; 1 no cover (cover + images
    after headings); 2 editor's cover + two placeholders; 3 no cover + one named placeholder."""
    drafts = {}
    for i in range(n):
        kind = i % 4
        body = f"<p>第{i}篇的开头。{PROSE}</p><h2>第一部分</h2><p>{PROSE}</p><h2>第二部分</h2><p>{PROSE * 2}</p>"
        if kind == 2:
            body = f"<p>开头。</p><p>【配图】</p><h2>第一部分</h2><p>{PROSE}</p><p>【配图：一只猫在窗台上晒太阳】</p>"
        if kind == 3:
            body = f"<p>第{i}篇。{PROSE}</p><p>【配图：雨后的城市街道，霓虹倒影】</p><h2>小结</h2><p>{PROSE}</p>"
        thumb = fake.add_editor_image(editor_image(hue=i * 9), f"editor-{i}.jpg") if kind in (0, 2) else ""
        media_id = fake.add_editor_draft([{"title": f"测试草稿第{i}篇", "author": "编辑部", "content": body,
                                           "thumb_media_id": thumb}])
        drafts[media_id] = {"kind": kind, "thumb": thumb}
    return drafts


def check_exactly_once(fake: FakeWeChat, drafts: dict[str, dict]) -> None:
    """Every eligible draft illustrated once, editors' covers untouched, no duplicate or orphan material."""
    ours = {m for m, mat in fake.materials.items() if mat.name.startswith("peitu-")}
    used = []
    for media_id, d in drafts.items():
        item = fake.drafts[media_id].news_item[0]
        images = MMBIZ_IMG.findall(item["content"])
        assert all(src.split("/")[-2] in fake.images for src in images)
        assert "【配图" not in item["content"]
        if d["kind"] == 0:
            assert fake.drafts[media_id].updates == 0 and item["thumb_media_id"] == d["thumb"] in fake.materials
            continue
        if d["kind"] == 2:
            assert item["thumb_media_id"] == d["thumb"] in fake.materials   # the editor's cover stays
            assert not item.get("pic_crop_1_1")
            assert len(images) == 2
        else:
            assert item["thumb_media_id"] in ours
            assert item["pic_crop_235_1"] and item["pic_crop_1_1"]
            used.append(item["thumb_media_id"])
            assert len(images) == (2 if d["kind"] == 1 else 1)
        assert len(set(images)) == len(images)
    assert sorted(used) == sorted(ours)                                # one material per cover, none spare
    assert len(set(used)) == len(used)
    assert not fake.dropped_images


def peitu(config: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`peitu --config CONFIG ARGS…` as a child process (output merged into stdout, text)."""
    environ = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "250", **(env or {})}
    return subprocess.Popen([sys.executable, "-c", "from pipeline.cli import main; main()", "--config", str(config),
                             *args], env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def kill_at(fake: FakeWeChat, api: str, nth: int, proc_box: list, *, before: bool = False) -> None:
    """kill -9 the child in `proc_box[0]` at the fake's nth `api` call: after WeChat did it and before
    the answer goes out (the worst case: done, and the caller never knows), or `before` WeChat does it."""
    seen = [0]

    def hook(name: str, server: FakeWeChat) -> None:
        if name != api:
            return
        seen[0] += 1
        if seen[0] == nth:
            server.before_call = server.on_call = None
            os.kill(proc_box[0].pid, signal.SIGKILL)
            if before:
                raise ConnectionAbortedError("killed before WeChat handled the call")

    if before:
        fake.before_call = hook
    else:
        fake.on_call = hook


def run_to_end(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str]:
    out = proc.communicate(timeout=timeout)[0]
    return proc.returncode, out


def pause_at(fake: FakeWeChat, api: str) -> tuple[Callable[[], bool], Callable[[], None]]:
    """Hold the first `api` call until released → (wait until a call is held, release)."""
    import threading

    held, release = threading.Event(), threading.Event()

    def hook(name: str, server: FakeWeChat) -> None:
        if name == api and not held.is_set():
            held.set()
            release.wait(120)

    fake.before_call = hook
    return lambda: held.wait(120), release.set


# ---- covers as WeChat shows them, fonts in pages, the gallery (brief 13b) ---------------------------------

import io  # noqa: E402

import requests  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402
from PIL import Image, ImageChops, ImageStat  # noqa: E402


def fetch_cards(fake: FakeWeChat, media_id: str) -> tuple[Image.Image, Image.Image, Image.Image]:
    """The fake draft box page's feed card (2.35:1 crop), 1:1 card and whole material for a draft's first
    article, loaded as a browser loads them."""
    page = BeautifulSoup(requests.get(fake.url + "/", timeout=10).text, "html.parser")
    article = page.select_one(f'article[data-media-id="{media_id}"]')
    assert article is not None, f"draft {media_id} is not on the draft box page"
    feed, card, material = (Image.open(io.BytesIO(requests.get(fake.url + article.select_one(f"img.{cls}")["src"],
                                                               timeout=10).content)).convert("RGB")
                            for cls in ("wide", "square", "material"))
    return feed, card, material


def grey_distance(a: Image.Image, b: Image.Image) -> float:
    """Mean grey difference (0–255) of two pictures seen as 64 × 64 thumbnails."""
    small = [im.convert("L").resize((64, 64), Image.Resampling.BOX) for im in (a, b)]
    return float(ImageStat.Stat(ImageChops.difference(*small)).mean[0])


CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)")


def screenshot(url: str, png: Path, *, size: tuple[int, int] = (430, 900), env: dict[str, str] | None = None) -> Image.Image:
    """A headless Chromium screenshot of `url` (kept at `png` for a person to look at)."""
    subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--no-first-run", f"--user-data-dir={png.parent / 'chromium-profile'}",
                    f"--window-size={size[0]},{size[1]}", "--virtual-time-budget=5000", f"--screenshot={png}", url],
                   capture_output=True, timeout=120, check=True, env={**os.environ, **(env or {})})
    return Image.open(png).convert("RGB")


def without_cjk_fonts(folder: Path) -> dict[str, str]:
    """Environment for a browser that sees no CJK font: a private fontconfig with DejaVu only."""
    conf = folder / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f'<dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{folder / "fc-cache"}</cachedir>'
                    '</fontconfig>', encoding="utf-8")
    return {"FONTCONFIG_FILE": str(conf)}


def ink(picture: Image.Image) -> int:
    """How many pixels are dark (text and lines on a light page)."""
    return picture.convert("L").point(lambda v: 255 if v < 128 else 0).histogram()[255]


# ── generate: the router, the transport and the fake providers ────────────────────────────────────────

def lines(image) -> list[str]:
    """A GeneratedImage's attempts as the manifest shows them ("zhipu: ok", "openai: failed — …")."""
    return [str(a) for a in image.attempts]


# ---- workers on a broker: Redis for the tests, worker processes (brief 14b) ----------------------------------
#
# Redis: PEITU_TEST_REDIS_URL when .ci/run (or you) started one, else a private redis-server for the session.
# A test that needs it FAILS under CI (CI is set) when none could start, and is skipped elsewhere.

import shutil  # noqa: E402
import socket  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

TEST_REDIS_ENV = "PEITU_TEST_REDIS_URL"


def needs_service(what: str, why: str):
    if os.environ.get("CI"):
        pytest.fail(f"{what} is needed in CI and could not start: {why}", pytrace=False)
    pytest.skip(f"{what} is not available: {why}")


@pytest.fixture(scope="session")
def workers_redis_server():
    """The URL of a Redis server for this session (PEITU_TEST_REDIS_URL's, or a private redis-server)."""
    redis = pytest.importorskip("redis", reason="the redis package is not installed (pip install '.[dev]')")
    if os.environ.get(TEST_REDIS_ENV):
        yield os.environ[TEST_REDIS_ENV]
        return
    binary = shutil.which("redis-server")
    if binary is None:
        needs_service("Redis", "redis-server is not installed (Debian: apt-get install redis-server)")
    folder = tempfile.mkdtemp(prefix="peitu-test-redis-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", folder], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                needs_service("Redis", f"redis-server did not start on port {port}")
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def broker_url(workers_redis_server, monkeypatch) -> str:
    """A Redis database of this test process's own (emptied first), in PEITU_BROKER_URL."""
    import redis

    from urllib.parse import urlsplit

    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    url = urlsplit(workers_redis_server)._replace(path=f"/{1 + worker % 15}").geturl()
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.ConnectionError as err:
        needs_service("Redis", f"the server at {workers_redis_server} does not answer: {err}")
    monkeypatch.setenv("PEITU_BROKER_URL", url)
    return url


def broker_config(folder: Path, fake: FakeWeChat, *, broker: dict | None = None, **extra) -> Path:
    """wechat_config with workers on the broker in PEITU_BROKER_URL (short leases, quick redelivery)."""
    return wechat_config(folder, fake, broker={"url_env": "PEITU_BROKER_URL", "lease_s": 3, "redeliver_after_s": 5,
                                               **(broker or {})}, **extra)


def start_worker(config: Path, *, threads: int = 2, log: Path | None = None) -> subprocess.Popen:
    """`peitu worker` in a process group of its own (kill it all with os.killpg)."""
    out = open(log or os.devnull, "a")
    return subprocess.Popen([sys.executable, "-m", "pipeline", "--config", str(config), "worker", "-t", str(threads)],
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop_workers(*procs: subprocess.Popen) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)


def wait_until(condition, timeout: float = 120.0, what: str = "") -> None:
    """Poll `condition` (something other processes make true) until it holds, or fail."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what or condition}")
        time.sleep(0.05)


def live_workers(url: str) -> int:
    import redis

    from pipeline.queue.health import workers_key

    return len(list(redis.Redis.from_url(url).scan_iter(match=workers_key("peitu"))))
