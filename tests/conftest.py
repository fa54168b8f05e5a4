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
