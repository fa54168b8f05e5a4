"""Import existing output folders (output/<slug>/manifest.json) into the library.

Only the written files exist there, so an imported image's bytes are its main file (cover.jpg, inline-1.jpg);
imported covers may carry the title we set on them and are therefore never offered for reuse. An image whose
files are already in the library (recorded when it was made) is skipped, so importing twice adds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import InputError
from ..models import Article, ImagePlan
from .store import TEXT_BEARING_PROVIDERS, FileRecord, Library, sha256_of


@dataclass
class ImportReport:
    articles: int = 0
    added: int = 0
    known: int = 0
    problems: list[str] = field(default_factory=list)      # "where: what" for what could not be read


def import_outputs(lib: Library, root: Path) -> ImportReport:
    """Import every <root>/<slug>/manifest.json; a broken folder is reported and the rest go on."""
    report = ImportReport()
    if not root.is_dir():
        raise InputError(f"没有这个输出文件夹 (no such folder): {root}")
    for manifest in sorted(root.glob("*/manifest.json")):
        try:
            added, known = import_folder(lib, manifest.parent)
        except InputError as err:
            report.problems.append(str(err))
            continue
        report.articles += 1
        report.added += added
        report.known += known
    return report


def _load(manifest: Path) -> dict:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read manifest ({err})", where=str(manifest)) from None
    if not isinstance(data, dict) or not isinstance(data.get("article"), dict) \
            or not isinstance(data.get("images"), list):
        raise InputError("not a peitu manifest (needs 'article' and 'images')", where=str(manifest))
    return data


def import_folder(lib: Library, folder: Path) -> tuple[int, int]:
    """Import one article folder; return (images added, images already known)."""
    manifest = folder / "manifest.json"
    data = _load(manifest)
    a = data["article"]
    article = Article(title=a.get("title") or folder.name, sections=[], text="", body_html="",
                      slug=a.get("slug") or folder.name, type=a.get("type") or "",
                      keywords=list(a.get("keywords") or []))
    try:
        created = datetime.fromisoformat(data["created"]).timestamp()
    except (KeyError, TypeError, ValueError):
        created = manifest.stat().st_mtime
    added = known = 0
    for item in data["images"]:
        try:
            outcome = _import_image(lib, folder, item, article, created)
        except (AttributeError, KeyError, TypeError, ValueError, OSError) as err:
            raise InputError(f"image entry {str(item)[:60]} is malformed ({err!r})", where=str(manifest)) from None
        added += outcome == "added"
        known += outcome == "known"
    return added, known


def _import_image(lib: Library, folder: Path, item: dict, article: Article, created: float) -> str:
    """Import one manifest image entry: 'added', 'known' (already in the library) or 'skipped'."""
    files = [f for f in item.get("files") or []
             if f["name"] == Path(f["name"]).name and (folder / f["name"]).is_file()]
    if item.get("error") or not files:
        return "skipped"
    records = [_file_record(folder, f) for f in files]
    if any(lib.find_file(r.sha256) for r in records):
        return "known"
    role = item.get("role") or "inline"
    main = next((r for r in records if r.role == role), records[0])
    width, height = (item.get("requested_size") or [main.width, main.height])[:2]
    plan = ImagePlan(key=item.get("key") or main.name, role=role, prompt=item.get("prompt") or "",
                     negative_prompt=item.get("negative_prompt") or "", style=item.get("style") or "",
                     width=int(width), height=int(height), seed=item.get("seed") or 0,
                     template=item.get("template") or "", template_version=item.get("template_version") or "")
    provider = item.get("provider") or ""
    lib.add_image(Path(main.path).read_bytes(), plan=plan, article=article, provider=provider,
                  model=item.get("model") or "", seed=item.get("seed"), tags=article.keywords,
                  files=records, origin="imported", now=created,
                  reusable=role != "cover" and provider not in TEXT_BEARING_PROVIDERS | {"", "library"})
    return "added"


def _file_record(folder: Path, f: dict) -> FileRecord:
    path = (folder / f["name"]).resolve()
    data = path.read_bytes()
    return FileRecord(name=f["name"], role=f.get("role") or "", path=str(path), sha256=sha256_of(data),
                      width=int(f.get("width") or 0), height=int(f.get("height") or 0), bytes=len(data))
