"""Write an Illustration to output/<slug>/: images, article.html, manifest.json, preview.html;
replace one regenerated image in such a folder."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from .. import __version__
from ..errors import InputError
from ..fsutil import atomic_write
from ..manifest import NAME, ArticleEntry, FileEntry, ImageEntry, Manifest, PlanEntry
from ..models import GeneratedImage, ImagePlan, Illustration, Rendition
from ..secrets import redact
from .newspic import is_newspic, picture_srcs, plain_text
from .place import place_images
from .theme import Styled, Theme, embedded, image_srcs, style_body
from .webfont import font_face

_env = Environment(loader=PackageLoader("pipeline.publish", "templates"),
                   autoescape=select_autoescape(["html", "j2"]))


def page(template: str, ctx: dict) -> str:
    """A page that carries its font: rendered once to learn its characters, then with their subset."""
    t = _env.get_template(template)
    return t.render(ctx, font_face=font_face(t.render(ctx, font_face="")))


def _file_entry(r: Rendition) -> FileEntry:
    return FileEntry(name=r.name, role=r.role, width=r.width, height=r.height, format=r.format,
                     bytes=len(r.data), sha256=hashlib.sha256(r.data).hexdigest())


def _made(p: ImagePlan, g: GeneratedImage | None) -> dict:
    """What a manifest says of how one image was asked for and made (g is None when it failed)."""
    return {"prompt": p.prompt, "negative_prompt": p.negative_prompt, "style": p.style,
            "template": p.template, "template_version": p.template_version,
            "requested_size": [p.width, p.height], "seed": g.seed if g else p.seed,
            "provider": g.provider if g else None, "model": g.model if g else None,
            "cached": g.cached if g else False, "fallback": g.fallback if g else False,
            "attempts": [redact(str(a)) for a in g.attempts] if g else [],
            "generate_ms": round(g.elapsed_s * 1000, 1) if g else None,
            "depicts": g.depicts if g else [], "depicts_reason": g.depicts_reason if g else ""}


def manifest(ill: Illustration) -> Manifest:
    """Every prompt, provider, seed, size, byte size, sha256 and timing of one article's images."""
    a = ill.article
    files: dict[str, list[FileEntry]] = {}
    for r in ill.renditions:
        files.setdefault(r.key, []).append(_file_entry(r))
    images = []
    for p in ill.plans:
        section = a.sections[p.section_index].heading if p.section_index is not None else None
        error = redact(str(ill.errors[p.key])) if p.key in ill.errors else None
        images.append(ImageEntry(key=p.key, role=p.role, section=section, marker=p.marker_index,
                                 **_made(p, ill.images.get(p.key)), files=files.get(p.key, []), error=error))
    return Manifest(
        peitu=__version__, created=datetime.now(UTC).isoformat(timespec="seconds"),
        article=ArticleEntry(title=a.title, slug=a.slug, source=str(a.source) if a.source else None,
                             author=a.author, digest=a.digest, type=a.type, length=a.length,
                             keywords=a.keywords, cover_named_by_author=a.cover or None),
        plan=PlanEntry.of(ill), images=images,
        timings_ms={k.removesuffix("_s"): round(v * 1000, 1) for k, v in ill.timings.items()})


def styled_body(ill: Illustration, theme: Theme) -> Styled:
    """The article's body with its images placed (by their file names) and its theme inlined: the one
    rendering preview.html shows and, with each image's WeChat URL, the draft holds."""
    srcs = {r.key: r.name for r in ill.renditions if r.role in ("inline", "marker")}
    body = place_images(ill.article, ill.plans, srcs)
    return style_body(body, theme, where=str(ill.article.source or ill.article.slug))


def _embedded_file(src: str, folder: Path) -> str:
    """An image the article carries as a data: URI written beside the pages → its file name; else `src`."""
    found = embedded(src)
    if found is None:
        return src
    atomic_write(folder / found[0], found[1])
    return found[0]


def _copy_author_images(ill: Illustration, srcs: list[str], folder: Path) -> None:
    """Copy images the author placed by relative path (and a local cover) beside the pages,
    so article.html and preview.html show them. Paths that leave the article's folder are skipped."""
    source = ill.article.source
    if source is None:
        return
    base = source.parent.resolve()
    for src in [*srcs, *([ill.article.cover] if ill.article.cover else [])]:
        if "://" in src or src.startswith(("data:", "/")):
            continue
        original = (base / src).resolve()
        if original.is_file() and original.is_relative_to(base):
            atomic_write(folder / original.relative_to(base), original.read_bytes())


def write_output(ill: Illustration, out_root: Path, *, account: str = "peitu 预览",
                 theme: Theme | None = None) -> Path:
    """Write the article's folder; every file is replaced atomically, so a rerun never sees a
    half-written one. The body is styled with `theme` (none: only cleaned to what WeChat keeps), as the
    draft will be. Returns the folder."""
    start = time.perf_counter()
    folder = out_root / ill.article.slug
    for r in ill.renditions:
        atomic_write(folder / r.name, r.data)
    names = {r.role: r.name for r in ill.renditions}
    cover = names.get("cover") or ill.article.cover or None
    if is_newspic(ill.article):
        pictures = [_embedded_file(src, folder) for src in picture_srcs(ill)]
        newspic = {"pictures": pictures, "text": plain_text(ill.article.sections)}
        body, srcs, cover = "", pictures, cover or (pictures[0] if pictures else None)
    else:
        styled = styled_body(ill, theme or Theme())
        body, newspic = styled.html(), None
        for name, data in styled.files.items():
            atomic_write(folder / name, data)
        srcs = image_srcs(body)
    _copy_author_images(ill, srcs, folder)
    ctx = {"a": ill.article, "body": body, "newspic": newspic, "cover": cover, "share": names.get("cover_1x1") or cover,
           "account": account, "theme": theme.name if theme and not newspic else "",
           "errors": {k: redact(str(v)) for k, v in ill.errors.items()},
           "today": datetime.now().strftime("%Y年%m月%d日")}
    atomic_write(folder / "article.html", _env.get_template("article.html.j2").render(ctx))
    atomic_write(folder / "preview.html", page("preview.html.j2", ctx))
    ill.timings["write_s"] = time.perf_counter() - start
    manifest(ill).write(folder)
    return folder


def write_index(out_root: Path, entries: list[dict]) -> Path:
    """output/index.html: one card per article (title, type, cover, link to its preview and to its
    gallery if `peitu gallery` made one), built from every manifest.json under out_root so earlier runs
    stay listed."""
    cards = []
    for path in sorted(out_root.glob(f"*/{NAME}")):
        try:
            m = Manifest.read(path)
        except InputError:
            continue                           # a damaged folder is not listed (library import reports it)
        cards.append({"slug": path.parent.name, "article": m.article.model_dump(), "cover": m.cover_file(),
                      "failed": m.failed()})
    cards += [e for e in entries if e.get("slug") not in {c["slug"] for c in cards}]
    galleries = sorted(p.parent.name for p in out_root.glob("*/gallery.html"))
    path = out_root / "index.html"
    atomic_write(path, page("index.html.j2", {"cards": cards, "galleries": galleries}))
    return path


def replace_image(folder: Path, plan: ImagePlan, image: GeneratedImage, renditions: list[Rendition]) -> None:
    """Put a regenerated image (the renditions of `plan`) in place of plan.key's in an article's folder:
    its files are rewritten atomically and its manifest.json entry updated. The file names stay the same,
    so article.html and preview.html, which show the files by name, need no change. A folder that does
    not exist is nothing to update. Raises InputError, writing nothing, when the manifest is missing or
    unreadable, has no such image, made it with another template, or has other files for it (an image
    that failed last run has no place in article.html yet: illustrate the article again)."""
    if not folder.is_dir():
        return
    data = Manifest.read(folder)
    path = folder / NAME
    entry = data.image(plan.key)
    if entry is None:
        raise InputError(f"这篇文章的输出里没有 {plan.key} (no image {plan.key!r} in the manifest)", where=str(path))
    if entry.template != plan.template:
        raise InputError(f"{plan.key} 是用模板 {entry.template} 生成的，新图用的是 {plan.template}，未替换 "
                         f"(made with another template)", where=str(path))
    if sorted(f.name for f in entry.files) != sorted(r.name for r in renditions):
        raise InputError(f"{plan.key} 上次没有生成成功，article.html 里还没有它的位置 (no files to replace)",
                         where=str(path), hint="重新运行 peitu illustrate 生成这篇文章")
    for r in renditions:
        atomic_write(folder / r.name, r.data)
    updated = entry.model_copy(update={**_made(plan, image), "error": None,
                                       "files": [_file_entry(r) for r in renditions]})
    data.images = [updated if i.key == plan.key else i for i in data.images]
    data.write(folder)
