"""Regenerating one image in `peitu web` puts it in the article's output folder: the files, manifest.json
(and, since the names stay, article.html and preview.html keep showing it). Over real HTTP, plus
replace_image on its own."""

from __future__ import annotations

import hashlib
import json

import pytest

from pipeline.engine import Engine
from pipeline.errors import InputError
from pipeline.ingest import read_article
from pipeline.library import Library, record_illustration
from pipeline.models import Attempt, GeneratedImage, IllustrateOptions, Illustration, Rendition
from pipeline.publish.output import replace_image, write_output
from pipeline.web import WebServer
from tests.conftest import ARTICLES, FOOD, REPO, Client, make_article, make_plan, picture


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def images_of(folder) -> dict[str, dict]:
    return {i["key"]: i for i in json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["images"]}


@pytest.fixture
def illustrated(cfg):
    """The food example illustrated (cover + one inline image) into the config's output folder and recorded."""
    article = read_article(REPO / FOOD, cfg)
    ill = Engine(cfg).illustrate(article, IllustrateOptions(inline_count=1))
    assert ill.ok, ill.errors
    folder = write_output(ill, cfg.path(cfg.paths.output))
    ids = record_illustration(cfg, article, ill.plans, ill.images, ill.renditions, folder)
    return folder, ids


@pytest.fixture
def client(cfg, illustrated):
    with WebServer(cfg, "127.0.0.1", 0, article_dirs=[ARTICLES]).start() as srv:
        yield Client(srv)


def test_regenerated_cover_replaces_the_one_in_the_output_folder(client, illustrated, cfg):
    folder, ids = illustrated
    cover, share = (folder / "cover.jpg").read_bytes(), (folder / "cover_1x1.jpg").read_bytes()
    pages = {n: (folder / n).read_text(encoding="utf-8") for n in ("article.html", "preview.html")}
    before = images_of(folder)

    made = client.post("/api/regenerate", {"path": str(REPO / FOOD), "key": "cover"})
    assert made.status_code == 200, made.text
    out = made.json()["output"]
    assert out["updated"] is True and out["folder"].endswith("food-chaoshan-beef-hotpot"), out

    after = images_of(folder)
    new_cover = (folder / "cover.jpg").read_bytes()
    assert new_cover != cover and (folder / "cover_1x1.jpg").read_bytes() != share
    files = {f["name"]: f for f in after["cover"]["files"]}
    assert files["cover.jpg"]["sha256"] == sha(new_cover) and files["cover.jpg"]["bytes"] == len(new_cover)
    assert files["cover_1x1.jpg"]["sha256"] == sha((folder / "cover_1x1.jpg").read_bytes())
    assert (files["cover.jpg"]["width"], files["cover.jpg"]["height"]) == (900, 383)
    assert after["cover"]["seed"] != before["cover"]["seed"] and after["cover"]["provider"] == "local"
    assert after["cover"]["prompt"] == before["cover"]["prompt"] and after["inline-1"] == before["inline-1"]
    # same names, so the pages already show the new files
    assert {n: (folder / n).read_text(encoding="utf-8") for n in pages} == pages
    assert 'src="cover.jpg"' in pages["preview.html"]
    assert not list(folder.glob(".*.tmp"))

    entry = client.get(f"/api/library/{made.json()['id']}").json()
    assert entry["id"] != ids["cover"] and entry["seed"] == after["cover"]["seed"]
    assert {f["name"]: f["sha256"] for f in entry["files"]} == {n: f["sha256"] for n, f in files.items()}
    with Library.open(cfg) as lib:                     # an upload of the new cover.jpg finds the new image
        assert lib.find_file(sha(new_cover)) == entry["id"]

    again = client.post(f"/api/library/{entry['id']}/regenerate", {}).json()
    assert again["output"]["updated"] is True
    assert (folder / "cover.jpg").read_bytes() != new_cover
    assert images_of(folder)["cover"]["seed"] not in (before["cover"]["seed"], after["cover"]["seed"])


def test_a_cover_from_another_template_leaves_the_output_alone(client, illustrated):
    folder, _ = illustrated
    cover, manifest = (folder / "cover.jpg").read_bytes(), (folder / "manifest.json").read_bytes()
    made = client.post("/api/regenerate", {"path": str(REPO / FOOD), "key": "cover", "template": "tech"})
    assert made.status_code == 200, made.text
    out = made.json()["output"]
    assert out["updated"] is False and "food" in out["note"] and "tech" in out["note"]
    assert (folder / "cover.jpg").read_bytes() == cover and (folder / "manifest.json").read_bytes() == manifest
    assert client.get(f"/api/library/{made.json()['id']}").json()["files"] == []


def test_without_an_output_folder_only_the_library_gets_it(cfg, tmp_path):
    with WebServer(cfg, "127.0.0.1", 0, article_dirs=[ARTICLES]).start() as srv:
        made = Client(srv).post("/api/regenerate", {"path": str(REPO / FOOD), "key": "cover"})
    assert made.status_code == 200 and made.json()["output"] is None
    assert not (tmp_path / "output").exists()


# --- replace_image -----------------------------------------------------------------------------------


def jpeg(colour, w, h) -> bytes:
    return picture(colour, w, h, "JPEG")


@pytest.fixture
def folder(tmp_path):
    """An article folder with a cover and a failed inline image, written by write_output."""
    plans = [make_plan("cover", "cover", "咖啡 cover", ["咖啡"]),
             make_plan("inline-1", "inline", "咖啡 inline", ["咖啡"], w=1024, h=576)]
    ill = Illustration(article=make_article("coffee", "手冲咖啡", ["咖啡"]), plans=plans,
                       images={"cover": GeneratedImage(b"raw", "fake", "m1", 7, 0.5)},
                       renditions=[Rendition("cover.jpg", jpeg((1, 2, 3), 900, 383), 900, 383, "JPEG", "cover", "cover"),
                                   Rendition("cover_1x1.jpg", jpeg((1, 2, 3), 383, 383), 383, 383, "JPEG",
                                             "cover_1x1", "cover")],
                       errors={"inline-1": InputError("fake failure")})
    return write_output(ill, tmp_path / "out"), plans


def new_cover() -> list[Rendition]:
    return [Rendition("cover.jpg", jpeg((200, 100, 50), 900, 383), 900, 383, "JPEG", "cover", "cover"),
            Rendition("cover_1x1.jpg", jpeg((200, 100, 50), 383, 383), 383, 383, "JPEG", "cover_1x1", "cover")]


def test_replace_image_rewrites_files_and_the_manifest_entry(folder):
    path, plans = folder
    renditions = new_cover()
    replace_image(path, plans[0], GeneratedImage(b"new", "siliconflow", "flux", 99, 1.25, attempts=[Attempt("siliconflow", "ok")]),
                  renditions)
    assert (path / "cover.jpg").read_bytes() == renditions[0].data
    assert (path / "cover_1x1.jpg").read_bytes() == renditions[1].data
    cover = images_of(path)["cover"]
    assert (cover["seed"], cover["provider"], cover["model"], cover["generate_ms"]) == (99, "siliconflow", "flux", 1250.0)
    assert cover["attempts"] == ["siliconflow: ok"] and cover["error"] is None and cover["prompt"] == "咖啡 cover"
    assert [(f["name"], f["sha256"], f["bytes"], f["width"]) for f in cover["files"]] == \
        [(r.name, sha(r.data), len(r.data), r.width) for r in renditions]
    assert images_of(path)["inline-1"]["error"] == "fake failure"
    assert not list(path.glob(".*.tmp"))


def test_replace_image_refuses_what_it_cannot_place_and_writes_nothing(folder, tmp_path):
    path, plans = folder
    image = GeneratedImage(b"new", "local", "m", 5, 0.1)
    inline = [Rendition("inline-1.jpg", jpeg((9, 9, 9), 1024, 576), 1024, 576, "JPEG", "inline", "inline-1")]
    with pytest.raises(InputError, match="上次没有生成成功"):        # failed last run: not in article.html
        replace_image(path, plans[1], image, inline)
    assert not (path / "inline-1.jpg").exists()
    other = make_plan("inline-7", "inline", "x", [])
    with pytest.raises(InputError, match="inline-7"):
        replace_image(path, other, image, [])
    (path / "manifest.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(InputError, match="manifest.json 读不了") as err:
        replace_image(path, plans[0], image, new_cover())
    assert err.value.where == str(path / "manifest.json")
    (path / "manifest.json").unlink()
    with pytest.raises(InputError, match="没有 manifest.json"):
        replace_image(path, plans[0], image, new_cover())
    assert (path / "cover.jpg").read_bytes() == jpeg((1, 2, 3), 900, 383)
    replace_image(tmp_path / "nowhere", plans[0], image, new_cover())     # no folder: nothing to update
    assert not (tmp_path / "nowhere").exists()
