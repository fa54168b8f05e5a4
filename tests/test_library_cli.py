"""`peitu library …` end to end on a config in a temporary folder."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.errors import InputError
from tests.conftest import written_folder


@pytest.fixture
def run(tmp_path):
    (tmp_path / "config.yaml").write_text(
        "paths: {output: output, state: state/state.db}\n"
        "article_types:\n  rules:\n    food: {label: 美食}\n    tech: {label: 科技}\n", encoding="utf-8")
    written_folder(tmp_path / "output", "hotpot", "潮汕牛肉火锅的十二个部位", ["牛肉", "火锅", "潮汕"])
    written_folder(tmp_path / "output", "latte", "在家做一杯拿铁", ["咖啡", "拿铁", "奶泡"])

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--config", str(tmp_path / "config.yaml"), "library", *args],
                                  catch_exceptions=True)
    return invoke


def test_import_search_show_tag_export(run, tmp_path):
    imported = run("import")
    assert imported.exit_code == 0, imported.output
    assert "2 篇文章，新增 4 张，已有 0 张" in imported.output
    found = run("search", "火锅", "--type", "美食", "--role", "cover")
    assert found.exit_code == 0 and "潮汕牛肉火锅" in found.output and "拿铁" not in found.output
    assert "1 张图片" in found.output
    image_id = found.output.split("│")[1].strip()
    shown = run("show", image_id)
    assert "hotpot" in shown.output and "cover.jpg" in shown.output and "潮汕牛肉火锅的十二个部位 cover" in shown.output
    tagged = run("tag", image_id, "+涮肉", "-潮汕", "鲜切")           # "-潮汕" is a removal, not an option
    assert tagged.exit_code == 0 and tagged.output.strip() == f"#{image_id} 标签: 牛肉、火锅、涮肉、鲜切"
    assert "潮汕牛肉火锅" in run("search", "涮肉").output
    exported = run("export", "--format", "json")
    data = json.loads(exported.output)
    assert len(data) == 4 and {d["article_slug"] for d in data} == {"hotpot", "latte"}
    out = tmp_path / "covers.csv"
    assert run("export", "--role", "cover", "--out", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert sorted(r["article_slug"] for r in rows) == ["hotpot", "latte"]


def test_errors_say_what_to_do(run):
    run("import")
    missing = run("show", "99")
    assert isinstance(missing.exception, InputError) and "#99" in str(missing.exception)
    bad = run("search", "--since", "上周二")
    assert isinstance(bad.exception, InputError) and "7d" in str(bad.exception)
    assert "没有找到图片" in run("search", "不存在的词").output
