"""Drafts that look like the preview: the article theme inlined into style=, cut to what WeChat keeps,
and the same HTML in preview.html and in the draft on the (fake) WeChat."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from pipeline.check import check_article
from pipeline.config import load_config
from pipeline.engine import Engine, file_jobs, to_folder
from pipeline.errors import ConfigError, InputError
from pipeline.ingest import read_article
from pipeline.models import IllustrateOptions
from pipeline.publish.sanitize import MAX_STYLE, clean_style, sanitize
from pipeline.publish.theme import Theme, load_theme, style_body
from pipeline.publish.wechat.article import upload_illustration

from .conftest import REPO, js_content, wechat_config, without_srcs

EXAMPLE = REPO / "examples" / "articles" / "tech-edge-ai.md"        # headings, a table, a code block


@pytest.fixture
def ucfg(tmp_path, fake):
    return load_config(wechat_config(tmp_path, fake))


def test_a_sandbox_upload_carries_the_theme_and_preview_html_holds_the_same_html(tmp_path, fake, ucfg):
    out = tmp_path / "out"
    with Engine(ucfg) as engine:
        [outcome] = engine.run(file_jobs([EXAMPLE], ucfg, IllustrateOptions(), upload=True),
                               to_folder(ucfg, out, upload=True))
    assert outcome.error is None and outcome.result.upload_error is None, outcome.result
    item = fake.drafts[outcome.result.media_id].news_item[0]
    draft = BeautifulSoup(item["content"], "html.parser")
    for tag in ("h2", "table", "th", "td", "pre", "p"):
        assert all(el.get("style") for el in draft.find_all(tag)), f"<{tag}> without style= in the draft"
    assert "border-left:4px solid #07c160" in draft.find("h2")["style"]          # templates/themes/default.css
    assert "background:#f6f8fa" in draft.find("pre")["style"]
    assert not re.search(r"<style|\sclass=|\sid=", item["content"]) and not fake.dropped_images

    folder = outcome.result.folder
    preview = js_content(folder / "preview.html")
    assert without_srcs(preview) == without_srcs(item["content"])              # the same HTML, byte for byte
    local = re.findall(r'<img[^>]*\ssrc="([^"]+)"', preview)
    remote = re.findall(r'<img[^>]*\ssrc="([^"]+)"', item["content"])
    assert len(local) == len(remote) >= 1
    for name, url in zip(local, remote, strict=True):                          # each file went up as itself
        assert fake.images[url.split("/")[-2]] == (folder / name).read_bytes()
    assert without_srcs(js_content(folder / "article.html")) == without_srcs(preview)


def test_front_matter_and_account_choose_the_theme(tmp_path, fake):
    path = tmp_path / "ink.md"
    path.write_text("---\ntitle: 泉州\ntheme: ink\n---\n\n## 开元寺\n\n东西塔立在开元寺里，已经八百年了。\n", encoding="utf-8")
    cfg = load_config(wechat_config(tmp_path, fake))
    assert load_theme(cfg, read_article(path, cfg)).name == "ink"
    html = style_body(read_article(path, cfg).body_html, load_theme(cfg, read_article(path, cfg))).html()
    assert "text-indent:2em" in html and "#b22222" in html
    path.write_text(path.read_text(encoding="utf-8").replace("theme: ink", "theme: neon"), encoding="utf-8")
    with pytest.raises(InputError, match="unknown theme 'neon'.*") as err:
        load_theme(cfg, read_article(path, cfg))
    assert "default, ink, plain" in (err.value.hint or "")
    assert [f.code for f in check_article(path, cfg)] == ["unknown-theme"]

    from pipeline.publish.wechat.client import account_config
    accounts = {"default": {"base_url": fake.url}, "culture": {"base_url": fake.url, "theme": "plain"}}
    cfg = load_config(wechat_config(tmp_path / "acct", fake, wechat={"accounts": accounts}))
    plain = tmp_path / "plain.md"
    plain.write_text("---\ntitle: 泉州\n---\n\n## 开元寺\n\n东西塔。\n", encoding="utf-8")
    assert load_theme(account_config(cfg, "culture"), read_article(plain, cfg)).name == "plain"
    with pytest.raises(ConfigError, match="wechat.accounts.culture.theme: theme 'neon' has no file"):
        accounts["culture"]["theme"] = "neon"
        load_config(wechat_config(tmp_path / "bad", fake, wechat={"accounts": accounts}))


def test_check_measures_the_body_with_its_inline_styles(cfg, tmp_path):
    body = "\n\n".join("短句在此。" for _ in range(1000))                # 1,000 <p>: ~14,000 characters bare
    path = tmp_path / "long.md"
    path.write_text(f"---\ntitle: 很多短段落\n---\n\n{body}\n", encoding="utf-8")
    article = read_article(path, cfg)
    assert len(article.body_html) < 20_000
    [finding] = check_article(path, cfg)
    assert (finding.code, finding.level) == ("body-too-long", "error")
    assert "theme: plain" in finding.message and "含主题 default" in finding.message
    path.write_text(f"---\ntitle: 很多短段落\ntheme: plain\n---\n\n{body}\n", encoding="utf-8")
    assert check_article(path, cfg) == []


def test_an_upload_over_the_limit_after_inlining_sends_nothing(tmp_path, fake, ucfg):
    path = tmp_path / "long.md"
    path.write_text("---\ntitle: 很多短段落\n---\n\n" + "\n\n".join("短句在此。" for _ in range(1000)) + "\n",
                    encoding="utf-8")
    ill = Engine(ucfg).illustrate(read_article(path, ucfg), IllustrateOptions(inline_count=0, cover=False))
    with pytest.raises(InputError, match="with its inline styles") as err:
        upload_illustration(ill, ucfg)
    assert "theme: plain" in (err.value.hint or "")
    assert sum(fake.calls.values()) == 0


# What hostile HTML in an article must not carry into the preview or the draft. Each: the article's HTML,
# what must be gone from the result, what must be left of it.
HOSTILE = [
    ("script", "<p>a<script>alert(1)</script>b</p>", ["script", "alert"], ["ab"]),
    ("on* handlers", '<p onclick="steal()">x<img src="pic.jpg" onerror="steal()"></p>', ["onclick", "onerror", "steal"],
     ['src="pic.jpg"']),
    ("javascript: link", '<a href="javascript:alert(1)">go</a><a href="JaVaScRiPt:alert(2)">go</a>',
     ["javascript", "alert", "href"], ["go"]),
    ("css url()", '<p style="color:red;background:url(javascript:alert(1))">x</p>', ["url(", "javascript"],
     ['style="color:red"']),
    ("css background-image", '<p style="background-image:url(http://evil.example/t.png)">x</p>', ["evil", "url("], []),
    ("css expression()", '<p style="width:expression(alert(1));color:blue">x</p>', ["expression", "alert"],
     ['style="color:blue"']),
    ("css escape", r'<p style="color:u\72l(http://evil.example/t)">x</p>', ["evil", "url"], ["<p>x</p>"]),
    ("position hack", '<section style="position:fixed;top:0;left:0;z-index:9999;float:left;margin:0">x</section>',
     ["position", "z-index", "float", "top:", "left:"], ['style="margin:0"']),
    ("style and link", '<style>p{color:red}</style><link rel="stylesheet" href="http://evil.example/x.css"><p>x</p>',
     ["<style", "<link", "evil", "color:red"], ["<p>x</p>"]),
    ("frames and forms", '<iframe src="http://evil.example"></iframe><form><input name="pw"><button>ok</button></form>'
     '<object data="x.swf"></object><embed src="x.swf">', ["iframe", "form", "input", "button", "object", "embed",
                                                           "evil", "swf"], []),
    ("svg", '<svg onload="alert(1)"><script>alert(2)</script></svg><p>x</p>', ["svg", "onload", "alert"], ["<p>x</p>"]),
    ("meta and base", '<meta http-equiv="refresh" content="0;url=http://evil.example"><base href="http://evil.example/">'
     "<p>x</p>", ["meta", "base", "evil"], ["<p>x</p>"]),
    ("ids and classes", '<h2 id="s1" class="big" data-x="1">T</h2>', ["id=", "class=", "data-x"], ["<h2>T</h2>"]),
    ("external image", '<p><img src="https://evil.example/track.png">x</p>', ["evil", "<img"], ["x"]),
    ("data: image that is no picture", '<p><img src="data:image/png;base64,PHNjcmlwdD4=">x</p>', ["data:", "<img"],
     ["x"]),
]


@pytest.mark.parametrize("html,gone,kept", [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_html_leaves_only_what_wechat_keeps(html, gone, kept):
    out = style_body(html, Theme()).html()
    for bad in gone:
        assert bad.lower() not in out.lower(), f"{bad!r} survived: {out}"
    for good in kept:
        assert good in out, f"{good!r} is gone: {out}"


def test_huge_and_repeated_inline_styles_are_capped():
    huge = "color:red;" + "margin:0;" * 20_000 + "padding:1px"
    out = sanitize(f'<p style="{huge}">x</p>')
    style = re.search(r'style="([^"]*)"', out).group(1)
    assert style.startswith("color:red;margin:0") and len(style) <= MAX_STYLE
    assert clean_style("COLOR : Red ; Position:absolute") == "color:Red"


def test_a_stylesheet_link_is_never_fetched(canned):
    server = canned(b"p{color:red}", content_type="text/css")
    page = f'<link rel="stylesheet" href="{server.base_url}/x.css"><p>x</p>'
    out = style_body(page, load_theme(load_config(REPO / "config.yaml"))).html()
    assert server.seen == 0 and "<link" not in out and "color:red" not in out


def test_hostile_article_file_goes_through_illustrate_clean(tmp_path, cfg):
    path = tmp_path / "hostile.html"
    path.write_text("<html><head><title>恶意的文章</title><style>h2{color:red}</style></head><body>"
                    + "".join(h[1] for h in HOSTILE) + "<h2>小节</h2><p>" + "正文内容写在这里。" * 10 + "</p></body></html>",
                    encoding="utf-8")
    out = tmp_path / "out"
    with Engine(cfg) as engine:
        [outcome] = engine.run(file_jobs([path], cfg, IllustrateOptions(inline_count=0, cover=False)),
                               to_folder(cfg, out))
    assert outcome.error is None
    body = js_content(outcome.result.folder / "preview.html")
    for bad in ("script", "onerror", "onclick", "javascript", "expression", "url(", "position", "evil", "iframe"):
        assert bad not in body.lower(), bad
    assert 'style="' in body and "小节" in body
