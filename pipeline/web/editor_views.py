"""Editor pages' JSON: an article's prompts under every template, the template editor (live preview
through the same sandbox and lint as `peitu templates lint`), and regenerating one image (recorded in the
library and put in place in the article's output folder)."""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..config import Config
from ..errors import InputError, PeituError
from ..fsutil import atomic_write
from ..ingest import parse_article, read_article
from ..library import Library
from ..library.store import FileRecord, file_record
from ..manifest import NAME as MANIFEST, Manifest
from ..models import Article, ImagePlan
from ..prompts import plan_images
from ..prompts.library import NAME, SUFFIX
from ..prompts.lint import Finding, lint_templates
from ..prompts.planner import library_for
from ..publish.output import replace_image
from ..tools import ARTICLE_SUFFIXES, Tools
from .app import HTTPError, JsonBody
from .library_views import summary

MAX_SOURCE = 100_000
SAMPLE = """---
title: 周末去哪儿：城市公园里的手冲咖啡市集
---

周末的城市公园里，一场手冲咖啡市集吸引了不少年轻人。摊主们带来了各自烘焙的咖啡豆。

## 从一颗咖啡豆开始

云南保山的小粒咖啡，经过日晒处理，带着明亮的果酸。摊主现场研磨，水温控制在九十二度。

## 市集里的城市生活

遛狗的人、骑车的人和带着孩子的家庭，在草地上慢慢坐满。咖啡成了城市生活的一种节奏。
"""


def plan_dict(p: ImagePlan, article: Article) -> dict:
    section = article.sections[p.section_index].heading if p.section_index is not None else None
    return {"key": p.key, "role": p.role, "prompt": p.prompt, "negative_prompt": p.negative_prompt,
            "style": p.style, "width": p.width, "height": p.height, "seed": p.seed, "template": p.template,
            "template_version": p.template_version, "section": section, "keywords": p.keywords}


def finding_dict(f: Finding) -> dict:
    where = f"{f.file}:{f.line}" if f.line else f.file
    return {"where": where, "file": f.file, "line": f.line, "message": f.message, "severity": f.level}


class EditorViews:
    def __init__(self, cfg: Config, tools: Tools):
        self.cfg = cfg
        self.tools = tools                               # article paths and the engine, shared with the API
        self.templates_dir = cfg.path(cfg.paths.templates).resolve()
        self._preview_dir = Path(tempfile.mkdtemp(prefix="peitu-web-preview-"))
        self._preview_lock = threading.Lock()
        self._output_lock = threading.Lock()            # one manifest.json rewrite at a time

    def router(self) -> APIRouter:
        r = APIRouter(include_in_schema=False)
        r.add_api_route("/api/meta", self.meta)
        r.add_api_route("/api/article", self.article, methods=["POST"])
        r.add_api_route("/api/templates", self.templates)
        r.add_api_route("/api/templates/{name}", self.template)
        r.add_api_route("/api/templates/{name}/preview", self.preview, methods=["POST"])
        r.add_api_route("/api/templates/{name}", self.save, methods=["POST"])
        r.add_api_route("/api/regenerate", self.regenerate, methods=["POST"])
        r.add_api_route("/api/library/{image_id:int}/regenerate", self.regenerate_entry, methods=["POST"])
        return r

    def close(self) -> None:
        shutil.rmtree(self._preview_dir, ignore_errors=True)

    # --- articles ----------------------------------------------------------------------------

    def known_articles(self) -> list[dict]:
        """Articles in the --articles folders, then those the output folders were made from."""
        found: dict[Path, str] = {}
        for folder in self.tools.article_dirs:
            for p in sorted(folder.glob("*")):
                if p.suffix.lower() in ARTICLE_SUFFIXES and p.is_file():
                    found.setdefault(p.resolve(), p.stem)
        for path in sorted(self.cfg.path(self.cfg.paths.output).glob(f"*/{MANIFEST}")):
            try:
                a = Manifest.read(path).article
            except InputError:
                continue
            if not a.source:
                continue
            source = Path(a.source)
            source = source if source.is_absolute() else (self.cfg.root / source)
            if source.is_file():
                found[source.resolve()] = a.title or source.stem
        return [{"path": self._shown(p), "title": title} for p, title in found.items()]

    def _shown(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.cfg.root.resolve()))
        except ValueError:
            return str(path)

    def _article_path(self, value: str) -> Path:
        """A path the page may read: an article file under the project or an --articles folder, or one
        an output folder was made from."""
        root = self.cfg.root.resolve()
        known = {Path(p["path"]) if Path(p["path"]).is_absolute() else (root / p["path"]).resolve()
                 for p in self.known_articles()}
        return self.tools.article_path(value, also=known)

    def load_article(self, body: dict, *, sample: bool = False) -> Article:
        text, path = body.get("text"), body.get("path")
        if isinstance(text, str) and text.strip():
            if len(text) > MAX_SOURCE:
                raise InputError("文章太长 (article text over 100k characters)")
            return parse_article(text, self.cfg, fmt="markdown")
        if isinstance(path, str) and path.strip():
            return read_article(self._article_path(path.strip()), self.cfg)
        if sample:
            return parse_article(SAMPLE, self.cfg, fmt="markdown")
        raise InputError("请选择、输入或粘贴一篇文章 (give an article path or text)")

    def _style(self, body: dict) -> str | None:
        style = body.get("style") or None
        if style is not None and (not isinstance(style, str) or style not in library_for(self.cfg).style_names()):
            raise InputError(f"unknown style {style!r}")
        return style

    def meta(self) -> dict:
        lib = library_for(self.cfg)
        types = {t: rule.label for t, rule in self.cfg.article_types.rules.items()}
        for name in lib.names():
            types.setdefault(name, lib.label(name))
        starter = lib.source("default") if lib.has("default") else ""
        return {"types": [{"id": k, "label": v} for k, v in types.items()], "styles": lib.style_names(),
                "style": self.cfg.style, "articles": self.known_articles(), "new_template": starter}

    def article(self, body: JsonBody) -> dict:
        article = self.load_article(body)
        style = self._style(body)
        lib = library_for(self.cfg)
        own = [article.type] if lib.has(article.type) else ["default"]
        out = []
        for name in own + [n for n in lib.names() if n not in own]:
            entry: dict[str, Any] = {"name": name, "label": lib.label(name), "plans": [], "error": None}
            try:
                plans = plan_images(replace(article, type=name), self.cfg, style=style)
                entry["plans"] = [plan_dict(p, article) for p in plans]
            except PeituError as err:
                entry["error"] = str(err)
            out.append(entry)
        return {
            "article": {"title": article.title, "slug": article.slug, "type": article.type,
                        "type_label": lib.label(article.type) if lib.has(article.type) else article.type,
                        "keywords": article.keywords, "sections": len(article.sections),
                        "length": article.length},
            "style": next((p["style"] for p in out[0]["plans"]), style or self.cfg.style), "templates": out}

    # --- templates ---------------------------------------------------------------------------

    def _name(self, name: str) -> str:
        if not NAME.match(name):
            raise HTTPError(400, f"模板名只能用小写字母、数字、- 和 _（如 pets）: {name[:40]!r}")
        return name

    def templates(self) -> dict:
        lib = library_for(self.cfg)
        return {"templates": [{"name": n, "label": lib.label(n)} for n in lib.names()]}

    def template(self, name: str) -> dict:
        name = self._name(name)
        lib = library_for(self.cfg)
        return {"name": name, "source": lib.source(name), "path": lib.display(lib.path(name))}

    def _source(self, body: dict) -> str:
        source = body.get("source")
        if not isinstance(source, str):
            raise HTTPError(400, "source must be the template text")
        if len(source) > MAX_SOURCE:
            raise HTTPError(413, "模板太长 (template over 100k characters)")
        return source

    def _check(self, name: str, source: str, article: Article | None) -> tuple[list[dict], list[dict]]:
        """Lint `source` as template `name` and plan `article` with it; nothing is written to the
        templates folder. Returns (findings for this template, plans)."""
        real = self._shown(self.templates_dir / f"{name}{SUFFIX}")
        with self._preview_lock:
            for old in self._preview_dir.glob("*" + SUFFIX):
                old.unlink()
            draft = self._preview_dir / f"{name}{SUFFIX}"
            draft.write_text(source, encoding="utf-8")
            findings = [finding_dict(f._replace(file=real)) for f in lint_templates(self._preview_dir, self.cfg)
                        if self._is(f.file, draft)]
            plans: list[dict] = []
            if article is not None and not any(f["severity"] == "error" for f in findings):
                try:
                    made = plan_images(replace(article, type=name), self.cfg, templates_dir=self._preview_dir)
                    plans = [plan_dict(p, article) for p in made]
                except PeituError as err:          # in this template, or a file it relies on
                    file, _, line = (err.where or "").rpartition(":")
                    if not line.isdigit():
                        file, line = err.where or real, "0"
                    findings.append(finding_dict(Finding(real if self._is(file, draft) else file, int(line),
                                                         err.message)))
        return findings, plans

    def _is(self, shown: str, path: Path) -> bool:
        """Whether a file as lint or an error shows it (maybe relative to the config folder) is `path`."""
        p = Path(shown)
        return bool(shown) and (p if p.is_absolute() else self.cfg.root / p).resolve() == path.resolve()

    def preview(self, name: str, body: JsonBody) -> dict:
        name = self._name(name)
        article = self.load_article(body, sample=True)
        findings, plans = self._check(name, self._source(body), article)
        return {"problems": findings, "plans": plans, "article": {"title": article.title, "type": article.type}}

    def save(self, name: str, body: JsonBody) -> Any:
        name = self._name(name)
        source = self._source(body)
        findings, _ = self._check(name, source, None)
        errors = [f for f in findings if f["severity"] == "error"]
        if errors:
            return JSONResponse({"error": f"模板有 {len(errors)} 处错误，未保存：{errors[0]['where']} "
                                          f"{errors[0]['message']}", "problems": findings}, 400)
        target = (self.templates_dir / f"{name}{SUFFIX}").resolve()
        if target.parent != self.templates_dir:
            raise HTTPError(400, "templates are saved in the templates folder only")
        atomic_write(target, source)
        return {"saved": True, "path": self._shown(target), "problems": findings}

    # --- regenerating ------------------------------------------------------------------------

    def _folder(self, slug: str, files: Sequence[FileRecord] = ()) -> Path | None:
        """The article's output folder: where its files were written, else output/<slug>/ (None if none)."""
        if files:
            return Path(files[0].path).parent
        out_root = self.cfg.path(self.cfg.paths.output).resolve()
        folder = (out_root / slug).resolve() if slug else None
        return folder if folder is not None and folder.parent == out_root else None

    def _make(self, plan: ImagePlan, article: Article, tags: Sequence[str], folder: Path | None) -> dict:
        """Generate `plan` with a new seed, put it in the article's output folder when there is one,
        and record it in the library. The answer's "output" says whether the folder was updated."""
        from ..images import renditions_for

        plan = replace(plan, seed=secrets.randbelow(2**31))
        outcome = self.tools.engine.generate(plan)
        files: list[FileRecord] = []
        output = None
        if folder is not None and folder.is_dir():
            output = {"folder": self._shown(folder), "updated": False, "note": ""}
            try:
                renditions = renditions_for(plan, outcome, self.cfg)
                with self._output_lock:
                    replace_image(folder, plan, outcome, renditions)
                files = [file_record(r, (folder / r.name).resolve()) for r in renditions]
                output["updated"] = True
            except (PeituError, OSError) as err:         # the image is still made and recorded
                output["note"] = str(err)
        with Library.open(self.cfg) as lib:
            image_id = lib.add_image(outcome.data, plan=plan, article=article, provider=outcome.provider,
                                     model=outcome.model, seed=outcome.seed, tags=tags, files=files)
            return summary(lib.get(image_id), self.cfg.schedule.timezone) | {"output": output}

    def regenerate(self, body: JsonBody) -> dict:
        """A new image (new seed) for one plan of an article, recorded in the library and put in
        the article's output folder."""
        article = self.load_article(body)
        template, key = body.get("template") or article.type, body.get("key")
        if not isinstance(template, str) or not NAME.match(template):
            raise HTTPError(400, "template must be a template name")
        plans = plan_images(replace(article, type=template), self.cfg, style=self._style(body))
        plan = next((p for p in plans if p.key == key), None)
        if plan is None:
            raise HTTPError(400, f"this article has no image {key!r} (has: {', '.join(p.key for p in plans)})")
        return self._make(plan, replace(article, type=template), plan.keywords or article.keywords,
                          self._folder(article.slug))

    def regenerate_entry(self, image_id: int) -> dict:
        """Another image from a library image's plan, with a new seed, also put in its article's folder."""
        with Library.open(self.cfg) as lib:
            try:
                entry = lib.get(image_id)
            except InputError as err:
                raise HTTPError(404, err.message) from None
        if not entry.plan:
            raise HTTPError(400, "这张图没有记录生成参数，无法重新生成 (no recorded plan)")
        known = {f.name for f in fields(ImagePlan)}        # records made before a field was added or dropped
        try:
            plan = ImagePlan(**{k: v for k, v in entry.plan.items() if k in known})
        except TypeError:
            raise HTTPError(400, "这张图记录的生成参数不完整，无法重新生成 (incomplete plan)") from None
        article = Article(title=entry.article_title, sections=[], text="", body_html="",
                          slug=entry.article_slug, type=entry.article_type, keywords=entry.tags)
        return self._make(plan, article, entry.tags, self._folder(entry.article_slug, entry.files))
