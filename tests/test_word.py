"""Word articles (.docx): structure and pictures kept, core properties as front matter, hostile files refused."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
import pytest
from bs4 import BeautifulSoup
from docx.shared import Inches
from PIL import Image

from pipeline.check import check_article
from pipeline.config import load_config
from pipeline.engine import Engine, file_jobs, to_folder
from pipeline.errors import InputError
from pipeline.ingest import read_article
from pipeline.models import IllustrateOptions

from .conftest import js_content, wechat_config

PROSE = "这一段讲的是具体的做法和经验，包括准备、步骤、常见问题和解决办法，读者可以照着去做。"


def picture(fmt: str = "PNG", size: tuple[int, int] = (640, 360), colour: str = "orange", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, fmt)
    return out.getvalue()


def write_docx(path: Path, *, image: bytes | None = None) -> Path:
    """An article as an editor writes it in Word: title and author in the document's properties, a repeated
    title heading, sections, lists, a table and (by default) a picture under the second section."""
    d = docx.Document()
    d.core_properties.title = "社区食堂的一天"
    d.core_properties.author = "编辑部"
    d.core_properties.keywords = "社区食堂, 老人, 早餐"
    d.add_heading("社区食堂的一天", 1)
    d.add_paragraph("早上六点，社区食堂的灯就亮了。" + PROSE)
    d.add_heading("备料", 2)
    d.add_paragraph("面条", style="List Bullet")
    d.add_paragraph("青菜", style="List Bullet")
    d.add_paragraph(PROSE * 2)
    d.add_heading("开门", 2)
    d.add_picture(io.BytesIO(image if image is not None else picture()), width=Inches(3))
    d.add_paragraph(PROSE * 2)
    d.add_heading("账本", 2)
    table = d.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "项目", (0, 1): "金额", (1, 0): "面粉", (1, 1): "120 元"}.items():
        table.cell(r, c).text = text
    d.add_paragraph(PROSE * 2)
    d.save(path)
    return path


def rezip(src: Path, dst: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of a .docx with some parts replaced (None: removed) or added."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            if item.filename not in change:
                new.writestr(item, old.read(item))
        for name, data in change.items():
            if data is not None:
                new.writestr(name, data)
    return dst


@pytest.fixture
def ucfg(tmp_path, fake):
    return load_config(wechat_config(tmp_path, fake))


def test_a_word_article_keeps_its_structure_and_properties(tmp_path, cfg):
    path = write_docx(tmp_path / "canteen.docx")
    article = read_article(path, cfg)
    assert (article.title, article.author) == ("社区食堂的一天", "编辑部")
    assert article.meta["tags"] == ["社区食堂", "老人", "早餐"] and article.slug == "canteen"
    assert [s.heading for s in article.sections] == ["", "备料", "开门", "账本"]
    assert [s.has_image for s in article.sections] == [False, False, True, False]   # the picture is the author's
    soup = BeautifulSoup(article.body_html, "html.parser")
    assert soup.find("h1") is None                                                # the title heading, dropped
    assert [li.get_text() for li in soup.select("ul li")] == ["面条", "青菜"]
    assert [td.get_text() for td in soup.select("table td")] == ["项目", "金额", "面粉", "120 元"]
    assert soup.find("img")["src"].startswith("data:image/png;base64,")
    assert [f.code for f in check_article(path, cfg)] == ["duplicate-h1"]            # a warning: peitu drops it


def test_a_word_article_goes_through_illustrate_and_upload(tmp_path, fake, ucfg):
    path = write_docx(tmp_path / "canteen.docx")
    with Engine(ucfg) as engine:
        [outcome] = engine.run(file_jobs([path], ucfg, IllustrateOptions(), upload=True),
                               to_folder(ucfg, tmp_path / "out", upload=True))
    assert outcome.error is None and outcome.result.upload_error is None, outcome
    folder = outcome.result.folder
    preview = js_content(folder / "preview.html")
    [embedded] = re.findall(r'src="(embedded-[0-9a-f]{12}\.png)"', preview)
    assert (folder / embedded).read_bytes() == picture()                          # saved beside the pages
    sections = [p.section_index for p in outcome.illustration.plans if p.role == "inline"]
    assert 2 not in sections                                                      # none beside the author's
    assert "<table" in preview and "<ul" in preview and "data:" not in preview
    item = fake.drafts[outcome.result.media_id].news_item[0]
    assert (item["title"], item["author"]) == ("社区食堂的一天", "编辑部")
    urls = re.findall(r'<img[^>]*\ssrc="([^"]+)"', item["content"])
    assert picture() in [fake.images[u.split("/")[-2]] for u in urls]             # uploaded like a local image
    assert not fake.dropped_images


def test_a_webp_picture_in_word_is_converted_on_upload(tmp_path, fake, ucfg):
    path = write_docx(tmp_path / "webp.docx")
    with zipfile.ZipFile(path) as z:
        [media] = [n for n in z.namelist() if n.startswith("word/media/")]
    webp = picture("WEBP")
    path = rezip(path, tmp_path / "webp2.docx", {media: webp})
    assert any(f.code == "image-format" for f in check_article(path, ucfg))
    with Engine(ucfg) as engine:
        [outcome] = engine.run(file_jobs([path], ucfg, IllustrateOptions(inline_count=0), upload=True),
                               to_folder(ucfg, tmp_path / "out", upload=True))
    assert outcome.error is None and outcome.result.upload_error is None
    uploaded = list(fake.images.values())
    assert len(uploaded) == 1 and uploaded[0][:3] == b"\xff\xd8\xff"             # WebP → JPEG


def external_link(src: Path, dst: Path, url: str) -> Path:
    """The document with its picture linked to `url` instead of inserted (Word's "Link to File")."""
    with zipfile.ZipFile(src) as z:
        body = z.read("word/document.xml").decode().replace("r:embed=", "r:link=")
        rels = z.read("word/_rels/document.xml.rels").decode()
    rels = re.sub(r'Target="media/[^"]+"', f'Target="{url}" TargetMode="External"', rels)
    return rezip(src, dst, {"word/document.xml": body.encode(), "word/_rels/document.xml.rels": rels.encode()})


def macro_enabled(src: Path, dst: Path) -> Path:
    with zipfile.ZipFile(src) as z:
        types = z.read("[Content_Types].xml").decode()
    types = types.replace("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
                          "application/vnd.ms-word.document.macroEnabled.main+xml")
    return rezip(src, dst, {"[Content_Types].xml": types.encode(), "word/vbaProject.bin": b"\xd0\xcf\x11\xe0macros"})


def zip_bomb(dst: Path) -> Path:
    """A small file whose one part unpacks to 201 MB of zeros."""
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z, z.open("word/document.xml", "w") as f:
        chunk = b"\0" * 1_000_000
        for _ in range(201):
            f.write(chunk)
    return dst


def zip_of(dst: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(dst, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return dst


def old_doc(tmp: Path) -> Path:
    (tmp / "x.docx").write_bytes(b"\xd0\xcf\x11\xe0 an old .doc renamed")
    return tmp / "x.docx"


HOSTILE = {        # what makes the file, and what the error says
    "not a zip": (old_doc, "not a ZIP file"),
    "a zip but not word": (lambda tmp: zip_of(tmp / "notes.docx", {"notes.txt": b"hi"}), "not a Word document"),
    "zip bomb": (lambda tmp: zip_bomb(tmp / "bomb.docx"), "ZIP bomb"),
    "huge picture": (lambda tmp: write_docx(tmp / "huge.docx", image=picture("BMP", (1900, 1900))), "over 10 MB"),
    "pixel bomb": (lambda tmp: write_docx(tmp / "px.docx", image=picture("PNG", (8000, 6000), "white", "1")),
                   "48 megapixels"),
    "macros (.docm)": (lambda tmp: macro_enabled(write_docx(tmp / "m.docx"), tmp / "m.docm"), "macro-enabled"),
    "macros named .docx": (lambda tmp: macro_enabled(write_docx(tmp / "m.docx"), tmp / "m2.docx"), "macro-enabled"),
}


@pytest.mark.parametrize("make,said", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_word_files_are_refused_clearly(tmp_path, cfg, make, said):
    path = make(tmp_path)
    with pytest.raises(InputError, match=said) as err:
        read_article(path, cfg)
    assert err.value.where == str(path) and err.value.hint
    [finding] = check_article(path, cfg)
    assert finding.code == "unreadable" and said in finding.message


def test_a_linked_picture_is_refused_and_never_fetched(tmp_path, cfg, canned):
    server = canned(picture(), content_type="image/png")
    path = external_link(write_docx(tmp_path / "a.docx"), tmp_path / "linked.docx", f"{server.base_url}/pic.png")
    with pytest.raises(InputError, match="linked to a file or web address") as err:
        read_article(path, cfg)
    assert "Insert" in (err.value.hint or "") and server.seen == 0
    local = external_link(write_docx(tmp_path / "b.docx"), tmp_path / "linked-file.docx", "/etc/hostname")
    with pytest.raises(InputError, match="linked"):
        read_article(local, cfg)
