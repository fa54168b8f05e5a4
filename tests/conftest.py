"""Shared fixtures: a Config from the repository's config.yaml whose state, cache and output
live in a per-test temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.config import Config, load_config
from pipeline.fakes.server import QuietServer

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def cfg(tmp_path: Path, backend: str) -> Config:
    """The repository's config, with everything it writes redirected under tmp_path (and the state in
    PostgreSQL when the test's backend is; see `backend` below)."""
    config = load_config(REPO / "config.yaml")
    config.state.database_url_env = STATE_URL_ENV if backend == "postgresql" else None
    config.paths.state = tmp_path / "state.db"
    config.paths.cache = tmp_path / "cache"
    config.paths.output = tmp_path / "output"
    return config


def write_config(folder: Path, **sections: dict) -> Path:
    """A config.yaml in `folder` like the repository's (templates and word lists from the repository),
    whose state, cache and output live in `folder`; `sections` update top-level sections."""
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    for key in ("templates", "styles", "themes", "glossary", "userdict", "stopwords", "planner"):
        data["paths"][key] = str(REPO / data["paths"][key])
    data["paths"].update(state=str(folder / "state.db"), cache=str(folder / "cache"), output=str(folder / "out"))
    data["state"] = state_block()
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

        self._server = QuietServer(("127.0.0.1", 0), Handler)
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
def fake(monkeypatch, tmp_path, backend):
    """The fake WeChat on 127.0.0.1, with its AppID and AppSecret in the environment (and the machine-wide
    account locks of this test, and of the runs it starts, in a folder of its own; the state in the test's
    backend)."""
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
                      ("templates", "prompts"), ("styles", "styles"), ("themes", "themes"),
                      ("glossary", "glossary.yaml"), ("userdict", "userdict.txt"), ("stopwords", "stopwords.txt"))}},
        "images": {"generate_cover": {"width": 672, "height": 288},
                   "generate_inline": {"width": 512, "height": 288}, "inline_count": 2},
        "providers": {"order": ["local"]},
        "article_types": yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))["article_types"],
        "wechat": {"accounts": {"default": {"base_url": fake.url}}},
        "state": state_block(),
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

# ---- relay, serve and mcp (part 15b) -------------------------------------------------------------------

RELAY_KEY = "relay-test-key-0123456789-abcdefghijklmnop"


class FrozenClock:
    """An injectable clock for the relay: it moves only when a test says so."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def relay(fake, tmp_path, monkeypatch):
    """`peitu relay` for the fake WeChat on a free port: (server, relay, config path of a client using it).
    The relay read the AppID and AppSecret; the client's environment then holds only the relay key."""
    from pipeline.asgi import AsgiServer
    from pipeline.config import load_config
    from pipeline.relay import build_relay

    monkeypatch.setenv("PEITU_RELAY_KEY", RELAY_KEY)
    built = build_relay(load_config(wechat_config(tmp_path / "relay-host", fake)))
    with AsgiServer(built.app, "127.0.0.1", 0, name="test-relay").start() as server:
        monkeypatch.delenv("WECHAT_APPID")
        monkeypatch.delenv("WECHAT_SECRET")
        client_config = wechat_config(tmp_path / "client", fake, wechat={
            "accounts": {"default": {"relay_url": server.url.rstrip("/"), "base_url": "https://wechat.invalid"}}})
        yield server, built, client_config


API_TOKEN = "api-test-token-0123456789abcdef"
EXAMPLES = REPO / "examples" / "articles"


def small_images(config: Config) -> Config:
    """Smaller generated images (the local provider draws them faster); the renditions keep WeChat's sizes."""
    from pipeline.config import Size

    config.images.generate_cover = Size(width=672, height=288)
    config.images.generate_inline = Size(width=512, height=288)
    return config


@pytest.fixture
def api(cfg):
    """`peitu serve` (the API and the page) for `cfg` on a free port, with examples/articles readable:
    (server, a requests session sending the API token)."""
    import requests

    from pipeline.web import WebServer

    with WebServer(small_images(cfg), "127.0.0.1", 0, article_dirs=[EXAMPLES], api_token=API_TOKEN).start() as srv:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {API_TOKEN}"
            yield srv, session

# ---- themes, image posts, Word articles (brief 15a) -------------------------------------------------------

def js_content(page: Path) -> str:
    """The article body of a preview.html or article.html as written: the themed root <section> inside
    #js_content, character for character."""
    text = page.read_text(encoding="utf-8")
    start = text.index("<section", text.index('id="js_content"'))
    return text[start:text.rindex("</section>") + len("</section>")]


def without_srcs(html: str) -> str:
    """HTML with every <img src> emptied: a local file name and its WeChat URL compare equal."""
    return re.sub(r'(<img\b[^>]*?\ssrc=")[^"]*(")', r"\1\2", html)

# ── 13a: offline pictures, titles and brand ───────────────────────────────────────────

def phash(image) -> int:
    """The 63-bit perceptual hash (DCT of a 32×32 grey thumbnail, the 8×8 lowest frequencies but
    the mean, each above or below their median): near 0 apart for the same picture, ~32 for unrelated."""
    import math

    from PIL import Image

    n, k = 32, 8
    grey = image.convert("L").resize((n, n), Image.Resampling.LANCZOS)
    px = [grey.getpixel((x, y)) for y in range(n) for x in range(n)]
    cos = [[math.cos((2 * x + 1) * u * math.pi / (2 * n)) for x in range(n)] for u in range(k)]
    rows = [[sum(cos[u][x] * px[y * n + x] for x in range(n)) for u in range(k)] for y in range(n)]
    dct = [sum(cos[v][y] * rows[y][u] for y in range(n)) for v in range(k) for u in range(k)][1:]
    median = sorted(dct)[len(dct) // 2]
    return sum(1 << i for i, c in enumerate(dct) if c > median)


def require_art() -> None:
    """Fail (not skip) when `make art` has not built the offline renderer's art set."""
    from pipeline.providers.local.artset import installed

    if installed() is None:
        pytest.fail("the art set is not installed: run `make art` (it needs npm)")

# ---- services: PostgreSQL and Redis for the tests, and the store's two backends (14a) ---------------------
#
# .ci/run starts both servers and exports their URLs; without them (a dev machine) a private one is started
# for the session when its programs are installed. A test that needs a service FAILS under CI (CI is set)
# when it could not start, and is skipped elsewhere with the reason.

import glob  # noqa: E402
import pwd  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import NoReturn  # noqa: E402

POSTGRES_URL_ENV = "PEITU_TEST_POSTGRES_URL"    # a server for the tests: postgresql://user:pw@127.0.0.1:port/db
REDIS_URL_ENV = "PEITU_TEST_REDIS_URL"          # redis://127.0.0.1:port
STATE_URL_ENV = "PEITU_TEST_STATE_URL"          # set by `backend`: this test's own schema on that server


def service_missing(what: str, why: str) -> NoReturn:
    """Fail under CI (the service must be there), skip elsewhere; either way say why."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is needed in CI and could not start: {why}", pytrace=False)
    pytest.skip(f"{what} is not available: {why}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin() -> Path | None:
    """The folder of initdb/pg_ctl: on PATH, or where Debian's postgresql package puts them."""
    found = shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                                                        reverse=True)), None)
    return Path(found).parent if found else None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster in a temporary folder on 127.0.0.1, password-protected. PostgreSQL
    refuses to run as root: then its programs run as the `postgres` user (made by Debian's package)."""

    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        self.user = None
        if os.geteuid() == 0:
            self.user = next((u for u in ("postgres", "nobody") if _has_user(u)), None)
        self.dir = Path(tempfile.mkdtemp(prefix="peitu-pg-"))
        self.password, self.port = secrets.token_hex(12), free_port()
        if self.user:
            shutil.chown(self.dir, self.user)

    def _run(self, *cmd: str, timeout: float = 120) -> None:
        argv = [str(self.bin / cmd[0]), *cmd[1:]]
        if self.user:
            argv = ["runuser", "-u", self.user, "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            log = (self.dir / "log").read_text(errors="replace")[-800:] if (self.dir / "log").exists() else ""
            raise RuntimeError(f"{cmd[0]} failed: {(done.stderr or done.stdout).strip()[-800:]} {log}")

    def start(self) -> str:
        pwfile = self.dir / "pw"
        pwfile.write_text(self.password)
        if self.user:
            shutil.chown(pwfile, self.user)
        self._run("initdb", "-D", str(self.dir / "data"), "-U", "peitu", f"--pwfile={pwfile}", "-A", "scram-sha-256",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-t", "60", "-o",
                  f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off "
                  "-c max_connections=200", "start")
        return f"postgresql://peitu:{self.password}@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop", timeout=60)
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server for this session (.ci/run's, or a private one started here)."""
    if os.environ.get(POSTGRES_URL_ENV):
        yield os.environ[POSTGRES_URL_ENV]
        return
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install '.[dev]')")
    bin_dir = postgres_bin()
    if bin_dir is None:
        service_missing("PostgreSQL", "initdb is not installed (Debian: apt-get install postgresql)")
    server = PrivatePostgres(bin_dir)
    try:
        url = server.start()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as err:
        server.stop()
        why = str(err)
    else:
        why = ""
    if why:
        service_missing("PostgreSQL", why)
    yield url
    server.stop()


def postgres_admin(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql)


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """A database URL whose search_path is a fresh schema of its own (dropped afterwards)."""
    import psycopg
    from sqlalchemy import make_url

    schema = f"t_{secrets.token_hex(6)}"
    why = ""
    try:
        postgres_admin(postgres_server, f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as err:
        why = f"cannot create a schema on the test server: {' '.join(str(err).split())}"
    if why:
        service_missing("PostgreSQL", why)
    url = make_url(postgres_server).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    postgres_admin(postgres_server, f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def backend(request, monkeypatch, tmp_path) -> Iterator[str]:
    """The state store's backend for this test: "sqlite", or both where a module says
    `pytestmark = pytest.mark.backends("sqlite", "postgresql")`. For "postgresql", STATE_URL_ENV holds the URL
    of a fresh schema, and `cfg`, `write_config` and `wechat_config` name it in state.database_url_env (so
    child processes use it too); afterwards no SQLite state file may have been made."""
    name = getattr(request, "param", "sqlite")
    if name == "postgresql":
        monkeypatch.setenv(STATE_URL_ENV, request.getfixturevalue("pg_url"))
    else:
        monkeypatch.delenv(STATE_URL_ENV, raising=False)
    yield name
    if name == "postgresql":
        assert not list(tmp_path.rglob("state.db")), "the state went to SQLite, not PostgreSQL"


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("backends")
    if marker and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", marker.args, indirect=True)


def state_block() -> dict:
    """The config's state block for the current backend (see `backend`)."""
    return {"database_url_env": STATE_URL_ENV} if os.environ.get(STATE_URL_ENV) else {}


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """The URL of a Redis server for this session (.ci/run's, or a private redis-server started here)."""
    if os.environ.get(REDIS_URL_ENV):
        yield os.environ[REDIS_URL_ENV]
        return
    redis = pytest.importorskip("redis", reason="the redis package is not installed (pip install '.[dev]')")
    binary = shutil.which("redis-server")
    if binary is None:
        service_missing("Redis", "redis-server is not installed (Debian: apt-get install redis-server)")
    folder, port = tempfile.mkdtemp(prefix="peitu-redis-"), free_port()
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
                service_missing("Redis", f"redis-server did not start on port {port}")
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """A Redis database of this test worker's own, emptied first: redis://…/N."""
    from urllib.parse import urlsplit

    import redis

    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    url = urlsplit(redis_server)._replace(path=f"/{1 + worker % 15}").geturl()
    try:
        redis.Redis.from_url(url).flushdb()
        return url
    except redis.ConnectionError as err:
        why = f"{REDIS_URL_ENV}'s server does not answer: {err}"
    service_missing("Redis", why)


# ── Gemini, Hunyuan, Black Forest Labs, Stability, Kling; fal's sync host; fakes that take any key (11b) ─────

from pipeline.fakes.providers import fake as fake_provider  # noqa: E402
from pipeline.fakes.providers import fake_config, keys_for  # noqa: E402
from pipeline.models import ImagePlan  # noqa: E402

SHAPES = {"cover": (1344, 576), "inline": (1024, 576), "square": (1024, 1024)}   # what peitu asks for


def plan_of(width: int = 1344, height: int = 576, **kw) -> ImagePlan:
    """An image plan of this size (a cover's by default)."""
    fields = dict(key="cover", role="cover", prompt="山水之间的一座桥, flat illustration",
                  negative_prompt="text, watermark", style="flat", width=width, height=height, seed=20261125,
                  template="travel", template_version="t1")
    return ImagePlan(**(fields | kw))


@pytest.fixture
def hosted(tmp_path, monkeypatch):
    """hosted(name, settings=None, **knobs) → (started fake, a Config whose only provider it is): its key
    in the environment, state under tmp_path, no cache or retries' waits; every fake stopped afterwards."""
    started = []

    def start(name: str, settings: dict | None = None, **knobs):
        server = fake_provider(name, **({"retry_after": 0.05} | knobs)).start()
        started.append(server)
        for env, value in keys_for({name: server}).items():
            monkeypatch.setenv(env, value)
        cfg = fake_config(tmp_path / f"{name}-{len(started)}", {name: server}, cache=False,
                          settings={name: settings or {}})
        return server, cfg

    yield start
    for s in started:
        s.stop()


# ---- the planner: a fake chat model and the settings that point peitu at it (brief 12a) ----------------

from pipeline.config import Planner  # noqa: E402
from pipeline.fakes.chat import FakeChat  # noqa: E402

CHAT_KEY_ENV = "PEITU_TEST_CHAT_KEY"


def planner_settings(server: FakeChat, **extra) -> dict:
    """config `planner:` pointing peitu at a running fake chat model (plain http on 127.0.0.1)."""
    return {"mode": "llm", "base_url": server.base_url, "model": server.model, "key_env": CHAT_KEY_ENV,
            "allow_http": True, "timeout_s": 10, **extra}


def use_chat(cfg: Config, server: FakeChat, **extra) -> Config:
    """`cfg` planning with `server` (fast retries: backoff from 10 ms)."""
    cfg.planner = Planner.model_validate(planner_settings(server, **extra))
    cfg.providers.backoff_base_s = 0.01
    return cfg


@pytest.fixture
def chat(monkeypatch):
    """chat(**knobs) → a started FakeChat (Retry-After 0.05 s unless set) whose key is in the environment."""
    servers: list[FakeChat] = []

    def start(**knobs) -> FakeChat:
        server = FakeChat(**({"retry_after": 0.05} | knobs))
        server.start()
        servers.append(server)
        monkeypatch.setenv(CHAT_KEY_ENV, str(server.key))
        return server

    yield start
    for s in servers:
        s.stop()


# ---- workers on a broker: worker processes on the tests' Redis (brief 14b) -------------------------------------

@pytest.fixture
def broker_url(redis_url, monkeypatch) -> str:
    """This test worker's own Redis database (emptied first), in PEITU_BROKER_URL."""
    monkeypatch.setenv("PEITU_BROKER_URL", redis_url)
    return redis_url


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


# ---- library and web page helpers (shared by the library, reuse and web tests) ----------------------------

from typing import TYPE_CHECKING  # noqa: E402

from pipeline.library import Library  # noqa: E402
from pipeline.models import Article, GeneratedImage, Illustration, Rendition  # noqa: E402
from pipeline.publish.output import write_output  # noqa: E402

if TYPE_CHECKING:
    from pipeline.web import WebServer

ARTICLES = REPO / "examples" / "articles"
FOOD = "examples/articles/food-chaoshan-beef-hotpot.md"


def picture(color: tuple[int, int, int], w: int = 1344, h: int = 576, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, fmt)
    return buf.getvalue()


def make_article(slug: str, title: str, keywords: list[str], type_: str = "food") -> Article:
    return Article(title=title, sections=[], text=title, body_html=f"<p>{title}</p>", slug=slug,
                   keywords=keywords, type=type_)


def make_plan(key: str = "cover", role: str = "cover", prompt: str = "", keywords: list[str] | None = None,
              style: str = "flat", w: int = 1344, h: int = 576) -> ImagePlan:
    return ImagePlan(key=key, role=role, prompt=prompt, negative_prompt="text, watermark", style=style,
                     width=w, height=h, seed=42, template="food", template_version="t1",
                     keywords=keywords or [])


def written_folder(out_root, slug: str, title: str, keywords: list[str], provider: str = "fake") -> Illustration:
    art = make_article(slug, title, keywords)
    plans = [make_plan("cover", "cover", f"{title} cover", keywords),
             make_plan("inline-1", "inline", f"{title} inline", keywords, w=1024, h=576)]
    seed = sum(map(ord, slug)) % 200
    renditions = [Rendition("cover.jpg", picture((seed, 1, 1), 900, 383, "JPEG"), 900, 383, "JPEG", "cover", "cover"),
                  Rendition("cover_1x1.jpg", picture((seed, 1, 1), 383, 383, "JPEG"), 383, 383, "JPEG",
                            "cover_1x1", "cover"),
                  Rendition("inline-1.jpg", picture((1, seed, 1), 1024, 576, "JPEG"), 1024, 576, "JPEG",
                            "inline", "inline-1")]
    ill = Illustration(article=art, plans=plans,
                       images={p.key: GeneratedImage(b"raw", provider, "m", 7, 0.1) for p in plans},
                       renditions=renditions)
    write_output(ill, out_root)
    return ill


@pytest.fixture
def wcfg(cfg, tmp_path):
    """Templates copied to tmp_path, so saving one never touches the repository."""
    shutil.copytree(REPO / "templates" / "prompts", tmp_path / "prompts")
    cfg.paths.templates = tmp_path / "prompts"
    return cfg


@pytest.fixture
def seeded(wcfg):
    with Library.open(wcfg) as lib:
        coffee = lib.add_image(picture((120, 70, 30)), plan=make_plan(prompt="a pour-over coffee dripper",
                                                                      keywords=["咖啡", "手冲"]),
                               article=make_article("pour-over", "手冲咖啡入门", ["咖啡", "手冲"]),
                               provider="local", model="peitu-typographic", seed=3, tags=["咖啡", "手冲"])
        hotpot = lib.add_image(picture((200, 40, 30)), plan=make_plan(prompt="beef hotpot", keywords=["火锅"]),
                               article=make_article("hotpot", "潮汕牛肉火锅", ["火锅"]), provider="local",
                               model="peitu-typographic", seed=4, tags=["火锅"])
    return {"coffee": coffee, "hotpot": hotpot}


class Client:
    """The page's own calls: the token from the page, JSON bodies."""

    def __init__(self, srv: WebServer):
        self.base = srv.url.rstrip("/")
        self.token = srv.page_token

    def get(self, path: str, **kw) -> requests.Response:
        return requests.get(self.base + path, timeout=30, **kw)

    def post(self, path: str, body: dict, *, token: str | None = None, **kw) -> requests.Response:
        headers = {"X-Peitu-Token": self.token if token is None else token, **kw.pop("headers", {})}
        return requests.post(self.base + path, json=body, headers=headers, timeout=60, **kw)


# ---- `peitu sandbox` as a user starts it (the sandbox and plan CLI tests) --------------------------------------

@pytest.fixture
def sandbox(tmp_path):
    """sandbox(*args) → (environment without WECHAT_*/PEITU_* variables, the banner it printed up to "Ctrl-C"):
    `peitu sandbox ARGS` started in tmp_path; stopped with SIGTERM afterwards, and it must exit 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT", "PEITU_"))}
    started: list[subprocess.Popen] = []

    def start(*args: str) -> tuple[dict[str, str], str]:
        proc = subprocess.Popen([sys.executable, "-m", "pipeline", "sandbox", *args], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(proc)
        printed = []
        assert proc.stdout is not None
        for line in proc.stdout:
            printed.append(line)
            if line.startswith("Ctrl-C"):
                break
        return env, "".join(printed)

    yield start
    for proc in started:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


# ---- image plans for the router's tests ------------------------------------------------------------------------

def inline_plans(n: int, **kw) -> list[ImagePlan]:
    """`n` different inline image plans (keys inline-0…, a prompt and seed each); `kw` overrides any field."""
    base = {"role": "inline", "negative_prompt": "text", "style": "flat", "width": 1024, "height": 576,
            "template": "tech", "template_version": "v1"}
    return [ImagePlan(**(base | {"key": f"inline-{i}", "prompt": f"harbour at dawn, view {i}", "seed": i} | kw))
            for i in range(n)]
