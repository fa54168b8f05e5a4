"""The asset library: every image peitu made, its provenance and tags, in the shared state database.

An image is identified by the sha256 of the bytes the provider returned; those bytes are kept beside the
state file under library/<sha[:2]>/<sha>.<ext>, so the record survives an output folder being rewritten.
The files written for it (cover.jpg, cover_1x1.jpg, inline-1.jpg …) are listed with their own hashes, which
is how a WeChat upload of one of them finds its image again. Every article that used an image has a row in
library_uses; that is what the reuse window looks at.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from ..config import Config
from ..errors import InputError
from ..fsutil import atomic_write
from ..images.decode import sniff
from ..models import Article, GeneratedImage, ImagePlan, Rendition
from ..store import Row, Store
from .text import normalise_tags, tokenise, tokenizer

# Providers whose pictures carry article-specific text (the local provider sets the title and headings),
# so another article must never reuse them.
TEXT_BEARING_PROVIDERS = frozenset({"local"})
REUSED_PROVIDER = "library"                 # GeneratedImage.provider of an image taken from the library


@dataclass
class FileRecord:
    """One file written for an image (a rendition in an output folder)."""

    name: str
    role: str
    path: str
    sha256: str
    width: int
    height: int
    bytes: int


@dataclass
class Use:
    article_slug: str
    plan_key: str
    reused: bool
    used_at: float


@dataclass
class Upload:
    account: str
    sha256: str
    media_id: str
    url: str
    uploaded_at: float


@dataclass
class Entry:
    """A library image as stored, with its tags, files, uses and uploads."""

    id: int
    sha256: str
    file: Path
    role: str
    plan_key: str
    prompt: str
    negative_prompt: str
    style: str
    template: str
    template_version: str
    provider: str
    model: str
    seed: int | None
    width: int
    height: int
    article_slug: str
    article_title: str
    article_type: str
    reusable: bool
    origin: str
    plan: dict                          # the ImagePlan it was made from, as a dict ({} when unknown)
    created_at: float
    tags: list[str] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)

    @property
    def media_id(self) -> str:
        """The most recent WeChat media_id of any of this image's files ('' when never uploaded)."""
        return self.uploads[-1].media_id if self.uploads else ""

    @property
    def wechat_url(self) -> str:
        return next((u.url for u in reversed(self.uploads) if u.url), "")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height from the header only (no full decode)."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.size
    except (UnidentifiedImageError, OSError) as err:
        raise InputError(f"not an image the library can store ({err})") from None


def extension_of(data: bytes) -> str:
    fmt = (sniff(data) or "bin").lower()
    return "jpg" if fmt == "jpeg" else fmt


class Library:
    """The library tables in the state store. Open with `Library.open(cfg)` (usable with `with`)."""

    def __init__(self, store: Store, store_dir: Path, cfg: Config | None = None):
        self.store = store
        self.store_dir = store_dir
        self.cfg = cfg

    @classmethod
    def open(cls, cfg: Config) -> Library:
        store = Store.for_config(cfg)
        return cls(store, store.folder / "library", cfg)

    @property
    def tokenizer(self) -> Any:
        """jieba with the operator's user dictionary, loaded on first search or write (~1 s)."""
        return tokenizer(self.cfg)

    def close(self) -> None:
        """Nothing to close: the store is shared by the whole process (kept for `with` blocks)."""

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -----------------------------------------------------------------------------------

    def store_bytes(self, data: bytes) -> tuple[str, Path]:
        """Keep `data` under its hash (written once, atomically); return (sha256, path)."""
        sha = sha256_of(data)
        path = self.store_dir / sha[:2] / f"{sha}.{extension_of(data)}"
        if not path.exists():
            atomic_write(path, data, private=True)
        return sha, path

    def add_image(self, data: bytes, *, plan: ImagePlan | None = None, article: Article | None = None,
                  provider: str = "", model: str = "", seed: int | None = None, tags: Iterable[str] = (),
                  files: Sequence[FileRecord] = (), origin: str = "generated", reused: bool = False,
                  reusable: bool | None = None, now: float | None = None) -> int:
        """Record one image (or, when its bytes are already known, one more use of it); return its id."""
        now = time.time() if now is None else now
        width, height = image_size(data)
        sha, path = self.store_bytes(data)
        slug = article.slug if article else ""
        key = plan.key if plan else ""
        if reusable is None:
            reusable = provider not in TEXT_BEARING_PROVIDERS and provider != ""
        tok = self.tokenizer                                 # loaded before the write lock is taken
        db = self.store
        with db.tx():
            rows = db.query("SELECT id FROM library_images WHERE sha256 = ?", (sha,))
            if rows:
                image_id = rows[0]["id"]
            else:
                image_id = db.query(
                    """INSERT INTO library_images (sha256, file, role, plan_key, prompt, negative_prompt, style,
                       template, template_version, provider, model, seed, width, height, article_slug,
                       article_title, article_type, reusable, origin, plan, created_at)
                       VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id""",
                    (sha, str(path), plan.role if plan else "inline", key,
                     plan.prompt if plan else "", plan.negative_prompt if plan else "",
                     plan.style if plan else "", plan.template if plan else "",
                     plan.template_version if plan else "", provider, model, seed, width, height, slug,
                     article.title if article else "", article.type if article else "", int(reusable),
                     origin, json.dumps(asdict(plan) if plan else {}, ensure_ascii=False), now))[0]["id"]
            for f in files:
                db.execute(
                    "INSERT INTO library_files (image_id, name, role, path, sha256, width, height, bytes) "
                    "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (image_id, path) DO UPDATE SET name = excluded.name, "
                    "role = excluded.role, sha256 = excluded.sha256, width = excluded.width, "
                    "height = excluded.height, bytes = excluded.bytes",
                    (image_id, f.name, f.role, f.path, f.sha256, f.width, f.height, f.bytes))
            if slug:
                add_use(db, image_id, slug, key, reused, now)
            self._add_tags(image_id, tags)
            self._reindex(image_id, tok)
        return image_id

    def tag(self, image_id: int, add: Iterable[str] = (), remove: Iterable[str] = ()) -> list[str]:
        """Add and remove tags of one image; return its tags afterwards."""
        self.get(image_id)                                   # raises when there is no such image
        tok = self.tokenizer
        with self.store.tx():
            for tag in normalise_tags(remove):
                self.store.execute("DELETE FROM library_tags WHERE image_id = ? AND tag = ?", (image_id, tag))
            self._add_tags(image_id, add)
            self._reindex(image_id, tok)
        return self.tags_of(image_id)

    def record_upload(self, sha256: str, media_id: str, url: str = "", *, account: str = "default",
                      now: float | None = None) -> int | None:
        """Note that the file (or original) with this hash went to WeChat; return its image id or None."""
        image_id = self.find_file(sha256)
        if image_id is None:
            return None
        self.store.execute(
            "INSERT INTO library_uploads (image_id, account, sha256, media_id, url, uploaded_at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT (account, sha256) DO UPDATE SET image_id = excluded.image_id, media_id = excluded.media_id, "
            "url = excluded.url, uploaded_at = excluded.uploaded_at",
            (image_id, account, sha256, media_id, url, time.time() if now is None else now))
        return image_id

    def _add_tags(self, image_id: int, tags: Iterable[str]) -> None:
        for t in normalise_tags(tags):
            self.store.execute("INSERT INTO library_tags (image_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING",
                               (image_id, t))

    def _reindex(self, image_id: int, tok: Any) -> None:
        """Rewrite the image's row in the full-text index (FTS5 on SQLite, a tsvector on PostgreSQL)."""
        row = self.store.query("SELECT prompt, article_title FROM library_images WHERE id = ?", (image_id,))[0]
        tags = " ".join(self.tags_of(image_id))
        self.store.execute("DELETE FROM library_fts WHERE rowid = ?", (image_id,))
        self.store.execute("INSERT INTO library_fts (rowid, tags, prompt, title) VALUES (?,?,?,?)",
                           (image_id, tokenise(tags, tok), tokenise(row["prompt"], tok),
                            tokenise(row["article_title"], tok)))

    # --- reading -----------------------------------------------------------------------------------

    def tags_of(self, image_id: int) -> list[str]:
        return [r["tag"] for r in self.store.query(
            "SELECT tag FROM library_tags WHERE image_id = ? ORDER BY rowid", (image_id,))]

    def get(self, image_id: int) -> Entry:
        rows = self.store.query("SELECT * FROM library_images WHERE id = ?", (image_id,))
        if not rows:
            raise InputError(f"图库中没有编号为 {image_id} 的图片 (no library image #{image_id})",
                             hint="peitu library search 列出已有图片")
        return self._entry(rows[0])

    def entries(self, ids: Sequence[int]) -> list[Entry]:
        """Entries for `ids`, in that order."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = {r["id"]: r for r in self.store.query(
            f"SELECT * FROM library_images WHERE id IN ({marks})", list(ids))}
        return [self._entry(rows[i]) for i in ids if i in rows]

    def find_file(self, sha256: str) -> int | None:
        """The image whose original or one of whose files has this hash."""
        rows = self.store.query(
            "SELECT id FROM library_images WHERE sha256 = ? UNION "
            "SELECT image_id FROM library_files WHERE sha256 = ? LIMIT 1", (sha256, sha256))
        return rows[0][0] if rows else None

    def count(self) -> int:
        return self.store.query("SELECT count(*) FROM library_images")[0][0]

    def _entry(self, row: Row) -> Entry:
        values = dict(row)
        values["file"] = Path(values["file"])
        values["reusable"] = bool(values["reusable"])
        values["plan"] = json.loads(values["plan"])
        entry = Entry(**values)
        entry.tags = self.tags_of(entry.id)
        entry.files = [FileRecord(*r) for r in self.store.query(
            "SELECT name, role, path, sha256, width, height, bytes FROM library_files WHERE image_id = ? "
            "ORDER BY rowid", (entry.id,))]
        entry.uses = [Use(r["article_slug"], r["plan_key"], bool(r["reused"]), r["used_at"])
                      for r in self.store.query(
                          "SELECT * FROM library_uses WHERE image_id = ? ORDER BY used_at", (entry.id,))]
        entry.uploads = [Upload(r["account"], r["sha256"], r["media_id"], r["url"], r["uploaded_at"])
                         for r in self.store.query(
                             "SELECT * FROM library_uploads WHERE image_id = ? ORDER BY uploaded_at", (entry.id,))]
        return entry


def add_use(db: Store, image_id: int, slug: str, plan_key: str, reused: bool, now: float) -> None:
    """Note that an article used an image for a plan (once)."""
    db.execute("INSERT INTO library_uses (image_id, article_slug, plan_key, reused, used_at) VALUES (?,?,?,?,?) "
               "ON CONFLICT DO NOTHING", (image_id, slug, plan_key, int(reused), now))


def file_record(rendition: Rendition, path: Path) -> FileRecord:
    return FileRecord(name=rendition.name, role=rendition.role, path=str(path),
                      sha256=sha256_of(rendition.data), width=rendition.width, height=rendition.height,
                      bytes=len(rendition.data))


def record_illustration(cfg: Config, article: Article, plans: Sequence[ImagePlan],
                        images: Mapping[str, GeneratedImage], renditions: Sequence[Rendition] = (),
                        out_dir: Path | None = None, *, library: Library | None = None) -> dict[str, int]:
    """Record every generated image of one article (call after its output folder is written).

    `images` maps plan keys to what the generate stage returned (failed plans are simply absent);
    `renditions` are the files written into `out_dir`. Returns plan key → library id. Recording the same
    article again adds nothing new, and an image taken from the library counts as one more use of it."""
    lib = library or Library.open(cfg)
    try:
        ids: dict[str, int] = {}
        for plan in plans:
            image = images.get(plan.key)
            if image is None:
                continue
            files = [file_record(r, (out_dir / r.name).resolve()) for r in renditions
                     if r.key == plan.key and out_dir is not None]
            reused = image.provider == REUSED_PROVIDER
            ids[plan.key] = lib.add_image(
                image.data, plan=plan, article=article, provider=image.provider, model=image.model,
                seed=image.seed, tags=() if reused else plan.keywords or article.keywords, files=files,
                reused=reused)
        return ids
    finally:
        if library is None:
            lib.close()
