"""The editors' page in a real browser (Debian's headless Chromium): the script runs, calls the API
and renders the library, an article's prompts and the template editor's live preview."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from pipeline.web import WebServer
from tests.conftest import ARTICLES, FOOD, REPO

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]


def render(url: str, profile: Path, screenshot: Path) -> BeautifulSoup:
    """The page's DOM after its scripts ran (and a screenshot of it, for a person to look at)."""
    base = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", f"--user-data-dir={profile}", "--window-size=1400,1000",
            "--virtual-time-budget=10000"]
    dom = subprocess.run([*base, "--dump-dom", f"--screenshot={screenshot}", url],
                         capture_output=True, text=True, timeout=120, check=True)
    return BeautifulSoup(dom.stdout, "html.parser")


def test_page_renders_library_article_and_editor(wcfg, seeded, tmp_path):
    with WebServer(wcfg, "127.0.0.1", 0, article_dirs=[ARTICLES]).start() as srv:
        library = render(f"{srv.url}#library", tmp_path / "profile", tmp_path / "library.png")
        article = render(f"{srv.url}#article/{REPO / FOOD}", tmp_path / "profile", tmp_path / "article.png")
        editor = render(f"{srv.url}#templates/food", tmp_path / "profile", tmp_path / "editor.png")

    cards = library.select("#grid .card")
    assert [c.select_one(".title").text for c in cards] == ["潮汕牛肉火锅", "手冲咖啡入门"]
    assert all(c.img["src"].startswith("/thumb/") for c in cards)
    assert library.select_one("#lib-count").text == "共 2 张图片"
    assert not library.select_one("#status").get_text(strip=True)           # no error shown

    assert article.select_one("#article-info h2").text.startswith("潮汕牛肉火锅")
    own = article.select_one(".template-block.own")
    assert own is not None and "美食" in own.summary.text and own.has_attr("open")
    assert own.select_one(".plan .prompt").text.strip()
    assert len(article.select(".template-block")) >= 10                     # every template, own first

    assert editor.select_one("#template-name").text == "food"
    assert editor.select_one("#preview-plans .plan strong").text == "cover"
    assert editor.select_one("#template-list a.active").text.startswith("美食")
    assert len(editor.select("#gutter li")) > 10
    assert all(p.stat().st_size > 10_000 for p in tmp_path.glob("*.png"))
