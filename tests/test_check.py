"""`peitu check`: findings with file and line, JSON output, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from pipeline.check import check_article
from pipeline.cli import cli
from pipeline.config import Config

from .conftest import write_config

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "articles"
LONG_TITLE = "这是一个非常非常长的标题，长到超过了微信公众号允许的三十二个字的上限了吧"


def write(folder: Path, text: str, name: str = "post.md") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def codes(findings: list) -> dict[str, tuple[str, int]]:
    return {f.code: (f.level, f.line) for f in findings}


def test_a_clean_article_has_no_findings(cfg: Config, tmp_path: Path) -> None:
    Image.new("RGB", (90, 38), "orange").save(tmp_path / "cover.jpg")
    text = (FIXTURES / "frontmatter-full.md").read_text(encoding="utf-8")
    path = write(tmp_path, text.replace("https://example.com/covers/hotpot.jpg", "cover.jpg"))
    assert check_article(path, cfg) == []


def test_wechat_field_limits_with_front_matter_lines(cfg: Config, tmp_path: Path) -> None:
    path = write(tmp_path, f"---\ntags: [a]\ntitle: {LONG_TITLE}\nauthor: 一个名字特别特别特别长的作者先生女士\n"
                           f"description: {'摘' * 130}\n---\n\n正文。\n")
    found = codes(check_article(path, cfg))
    assert found["title-too-long"] == ("error", 3)
    assert found["author-too-long"] == ("error", 4)
    assert found["digest-too-long"] == ("warning", 5)              # peitu cuts it to 128
    assert all(f.file == str(path) for f in check_article(path, cfg))


def test_title_from_h1_too_long_points_at_the_heading(cfg: Config, tmp_path: Path) -> None:
    path = write(tmp_path, f"引言。\n\n# {LONG_TITLE}\n\n正文。\n")
    assert codes(check_article(path, cfg))["title-too-long"] == ("error", 3)


def test_repeated_h1_is_a_warning_at_its_line(cfg: Config, tmp_path: Path) -> None:
    path = write(tmp_path, "---\ntitle: 春天的菜\n---\n\n# 春天的菜\n\n正文。\n")
    findings = check_article(path, cfg)
    assert codes(findings) == {"duplicate-h1": ("warning", 5)}


def test_missing_and_oversized_and_webp_images(cfg: Config, tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    Image.new("RGB", (8, 8), "red").save(tmp_path / "img" / "ok.png")
    Image.new("RGB", (8, 8), "red").save(tmp_path / "img" / "pic.webp", "WEBP")
    big = tmp_path / "img" / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff\xe0" + bytes(1_100_000))
    path = write(tmp_path, "# 图片\n\n第一段。\n\n![ok](img/ok.png)\n\n![没有](img/missing.png)\n\n"
                           "![w](img/pic.webp)\n\n![大](img/big.jpg)\n\n![远程](https://example.com/a.png)\n"
                           "\n<img src=\"img/also-missing.jpg\">\n")
    found = check_article(path, cfg)
    missing = sorted((f.line, f.message) for f in found if f.code == "missing-image")
    assert [line for line, _ in missing] == [7, 15]
    assert "img/missing.png" in missing[0][1]
    assert codes(found)["image-format"] == ("warning", 9)
    assert codes(found)["image-too-large"] == ("warning", 11)
    assert not any("ok.png" in f.message or "example.com" in f.message for f in found)


def test_cover_conflicts_missing_cover_and_url_as_media_id(cfg: Config, tmp_path: Path) -> None:
    Image.new("RGB", (8, 8)).save(tmp_path / "cover.png")
    path = write(tmp_path, "---\ncover: cover.png\nfeatureImage: other.png\n"
                           "thumb_media_id: https://mmbiz.qpic.cn/x.jpg\n---\n\n正文。\n")
    found = check_article(path, cfg)
    conflict = [f for f in found if f.code == "cover-conflict"]
    assert conflict[0].line == 3 and "cover: cover.png is used" in conflict[0].message
    assert codes(found)["url-as-media-id"] == ("error", 4)
    path = write(tmp_path, "---\ncoverImage: nowhere.png\n---\n\n正文。\n", "b.md")
    assert codes(check_article(path, cfg))["missing-image"] == ("error", 2)


def test_same_cover_under_two_keys_is_no_conflict_but_a_url_cover_warns(cfg: Config, tmp_path: Path) -> None:
    path = write(tmp_path, "---\ncover: https://x.cn/c.png\nimage: https://x.cn/c.png\ntitle: 封面\n---\n\n正文。\n")
    assert codes(check_article(path, cfg)) == {"cover-url": ("warning", 2)}


def test_an_article_without_a_title_is_reported_and_no_h2_is_promoted(cfg: Config, tmp_path: Path) -> None:
    path = write(tmp_path, "开头一段。\n\n## 第一节\n\n第一节的内容。\n", "周末随笔.md")
    [finding] = check_article(path, cfg)
    assert (finding.code, finding.level, finding.line) == ("no-title", "warning", 1)
    assert "没有标题" in finding.message and "“周末随笔”" in finding.message and "第一节" not in finding.message
    for titled in ("---\ntitle: 有标题\n---\n\n正文。\n", "# 有标题\n\n正文。\n"):
        assert check_article(write(tmp_path, titled), cfg) == []
    page = write(tmp_path, "<html><head><title>页面标题</title></head><body><h2>小节</h2><p>正文。</p></body></html>",
                 "page.html")
    assert check_article(page, cfg) == []
    bare = write(tmp_path, "<section><h2>小节</h2><p>正文。</p></section>", "bare.html")
    assert codes(check_article(bare, cfg)) == {"no-title": ("warning", 1)}
    run = CliRunner().invoke(cli, ["check", str(path)])
    assert run.exit_code == 0 and "没有标题" in run.output                      # a warning, not an error


def test_body_over_wechat_limits(cfg: Config, tmp_path: Path) -> None:
    paragraphs = "\n\n".join("很长的正文内容。" * 60 for _ in range(50))
    path = write(tmp_path, f"# 长文\n\n{paragraphs}\n")
    found = codes(check_article(path, cfg))
    assert found["body-too-long"][0] == "error"
    assert "body-too-large" not in found


def test_broken_input_is_a_finding_not_a_crash(cfg: Config, tmp_path: Path) -> None:
    path = write(tmp_path, "---\ntitle: ok\nauthor: [oops\n---\n\n正文。\n")
    [finding] = check_article(path, cfg)
    assert finding.code == "unreadable" and finding.level == "error" and finding.line in (3, 4)
    [finding] = check_article(tmp_path / "absent.md", cfg)
    assert finding.code == "unreadable" and "not found" in finding.message
    path = write(tmp_path, "---\npeitu:\n  inline: lots\ntitle: 选项\n---\n\n正文。\n", "opt.md")
    assert codes(check_article(path, cfg)) == {"bad-option": ("error", 2)}
    path = write(tmp_path, "# 标题\n\n![图](__generate:一只猫|size=wide__)\n", "mk.md")
    assert codes(check_article(path, cfg)) == {"unreadable": ("error", 3)}


def test_image_post_needs_no_body(cfg: Config, tmp_path: Path) -> None:
    for i in range(21):
        Image.new("RGB", (60, 40), "teal").save(tmp_path / f"img{i}.jpg")
    items = "\n".join(f"  - img{i}.jpg" for i in range(21))
    path = write(tmp_path, f"---\ntitle: 小绿书\ntype: image\nimage_list:\n{items}\n---\n")
    assert codes(check_article(path, cfg)) == {"too-many-images": ("error", 4)}


def test_cli_table_json_and_exit_codes(cfg: Config, tmp_path: Path) -> None:
    bad = write(tmp_path, f"---\ntitle: {LONG_TITLE}\n---\n\n正文。\n", "bad.md")
    warn = write(tmp_path, "---\ntitle: 标题\n---\n\n# 标题\n\n正文。\n", "warn.md")
    runner = CliRunner()
    result = runner.invoke(cli, ["check", str(bad), str(warn)], standalone_mode=False,
                           env={"COLUMNS": "400"})                 # long tmp paths are not folded
    assert result.exception is None and result.return_value == 1
    assert "title-too-long" in result.output and "bad.md:2" in result.output and "1 个错误" in result.output
    result = runner.invoke(cli, ["check", "--json", str(warn)], standalone_mode=False)
    assert result.return_value == 0
    data = json.loads(result.output)
    assert data == [{"level": "warning", "code": "duplicate-h1", "file": str(warn), "line": 5,
                     "message": data[0]["message"]}]


def test_illustrate_says_when_the_file_name_became_the_title(tmp_path: Path) -> None:
    path = write(tmp_path, "开头一段，讲讲周末去了哪里，看见了什么。\n\n## 第一节\n\n第一节的内容写得长一些，好让它配图。\n",
                 "周末随笔.md")
    config = write_config(tmp_path)
    run = CliRunner().invoke(cli, ["--config", str(config), "illustrate", str(path), "--inline", "0",
                                   "--out", str(tmp_path / "out")])
    assert run.exit_code == 0, run.output
    assert "没有标题" in run.output and "周末随笔" in run.output
    manifest = json.loads(next((tmp_path / "out").glob("*/manifest.json")).read_text(encoding="utf-8"))
    assert manifest["article"]["title"] == "周末随笔"


# ---- the cover peitu made: WeChat's 1:1 card must show the composed share image ------------------------

def illustrated(cfg: Config, path: Path) -> Path:
    """Illustrate `path` into cfg's output folder as `peitu illustrate` does (local provider, cover only)."""
    from pipeline.engine import Engine, file_jobs, to_folder
    from pipeline.models import IllustrateOptions

    with Engine(cfg) as engine:
        [outcome] = engine.run(file_jobs([path], cfg, IllustrateOptions(inline_count=0, provider="local")),
                               to_folder(cfg, cfg.path(cfg.paths.output)))
    assert outcome.result is not None
    return outcome.result.folder


def test_a_made_cover_whose_share_image_is_a_square_of_it_passes(cfg: Config, tmp_path: Path) -> None:
    path = write(tmp_path, "---\ntitle: 秋天的第一碗牛肉面\n---\n\n天气一凉，就想吃一碗热乎乎的牛肉面。\n")
    folder = illustrated(cfg, path)
    assert (folder / "cover_1x1.jpg").is_file()
    assert check_article(path, cfg, made=True) == []


def test_a_made_cover_whose_1x1_crop_would_cut_the_title_is_a_warning(cfg: Config, tmp_path: Path) -> None:
    path = write(tmp_path, "---\ntitle: 秋天的第一碗牛肉面\n---\n\n天气一凉，就想吃一碗热乎乎的牛肉面。\n")
    folder = illustrated(cfg, path)
    with Image.open(folder / "cover.jpg") as cover:          # the whole cover squeezed: in no square of it
        cover.resize((383, 383)).save(folder / "cover_1x1.jpg")
    [finding] = check_article(path, cfg, made=True)
    assert (finding.level, finding.code, finding.file) == ("warning", "cover-crop", str(folder))
    assert "cover_1x1.jpg" in finding.message and "title may be cut" in finding.message
    assert check_article(path, cfg) == []                     # before illustrating (peitu illustrate's check): not looked at
    (tmp_path / "elsewhere").mkdir()
    other = write(tmp_path / "elsewhere", path.read_text(encoding="utf-8"))
    assert check_article(other, cfg, made=True) == []         # same slug, another article: not its cover


def test_check_command_reports_the_cover_crop(cfg: Config, tmp_path: Path) -> None:
    from .conftest import write_config

    config = write_config(tmp_path)
    path = write(tmp_path, "---\ntitle: 秋天的第一碗牛肉面\n---\n\n天气一凉，就想吃一碗热乎乎的牛肉面。\n")
    cfg.paths.output = tmp_path / "out"
    folder = illustrated(cfg, path)
    with Image.open(folder / "cover.jpg") as cover:
        cover.resize((383, 383)).save(folder / "cover_1x1.jpg")
    result = CliRunner().invoke(cli, ["--config", str(config), "check", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert [f["code"] for f in json.loads(result.output)] == ["cover-crop"]
