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
import sqlite3
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
from ..state import connect, schema
from .text import normalise_tags, tokenise, tokenizer

DDL = """
CREATE TABLE IF NOT EXISTS library_images (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    file TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'inline',
    plan_key TEXT NOT NULL DEFAULT '',
    prompt TEXT NOT NULL DEFAULT '',
    negative_prompt TEXT NOT NULL DEFAULT '',
    style TEXT NOT NULL DEFAULT '',
    template TEXT NOT NULL DEFAULT '',
    template_version TEXT NOT NULL DEFAULT '',
    provider TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    seed INTEGER,
    width INTEGER NOT NULL DEFAULT 0,
    height INTEGER NOT NULL DEFAULT 0,
    article_slug TEXT NOT NULL DEFAULT '',
    article_title TEXT NOT NULL DEFAULT '',
    article_type TEXT NOT NULL DEFAULT '',
    reusable INTEGER NOT NULL DEFAULT 0,
    origin TEXT NOT NULL DEFAULT 'generated',
    plan TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS library_images_created ON library_images(created_at);
CREATE INDEX IF NOT EXISTS library_images_type ON library_images(article_type);
CREATE TABLE IF NOT EXISTS library_tags (
    image_id INTEGER NOT NULL REFERENCES library_images(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (image_id, tag)
);
CREATE INDEX IF NOT EXISTS library_tags_tag ON library_tags(tag);
CREATE TABLE IF NOT EXISTS library_files (
    image_id INTEGER NOT NULL REFERENCES library_images(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (image_id, path)
);
CREATE INDEX IF NOT EXISTS library_files_sha ON library_files(sha256);
CREATE TABLE IF NOT EXISTS library_uses (
    image_id INTEGER NOT NULL REFERENCES library_images(id) ON DELETE CASCADE,
    article_slug TEXT NOT NULL,
    plan_key TEXT NOT NULL,
    reused INTEGER NOT NULL DEFAULT 0,
    used_at REAL NOT NULL,
    PRIMARY KEY (image_id, article_slug, plan_key)
);
CREATE INDEX IF NOT EXISTS library_uses_slug ON library_uses(article_slug);
CREATE TABLE IF NOT EXISTS library_uploads (
    image_id INTEGER NOT NULL REFERENCES library_images(id) ON DELETE CASCADE,
    account TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    media_id TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    uploaded_at REAL NOT NULL,
    PRIMARY KEY (account, sha256)
);
CREATE VIRTUAL TABLE IF NOT EXISTS library_fts USING fts5(
    tags, prompt, title, tokenize = 'unicode61 remove_diacritics 2'
);
"""

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
    """The library tables on one connection. Open with `Library.open(cfg)`; close when done."""

    def __init__(self, conn: sqlite3.Connection, store_dir: Path, cfg: Config | None = None):
        self.conn = conn
        self.store_dir = store_dir
        self.cfg = cfg
        schema(conn, DDL)

    @classmethod
    def open(cls, cfg: Config) -> Library:
        state = cfg.path(cfg.paths.state)
        return cls(connect(state), state.parent / "library", cfg)

    @property
    def tokenizer(self) -> Any:
        """jieba with the operator's user dictionary, loaded on first search or write (~1 s)."""
        return tokenizer(self.cfg)

    def close(self) -> None:
        self.conn.close()

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
            atomic_write(path, data)
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
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            row = self.conn.execute("SELECT id FROM library_images WHERE sha256 = ?", (sha,)).fetchone()
            if row:
                image_id = row["id"]
            else:
                image_id = self.conn.execute(
                    """INSERT INTO library_images (sha256, file, role, plan_key, prompt, negative_prompt, style,
                       template, template_version, provider, model, seed, width, height, article_slug,
                       article_title, article_type, reusable, origin, plan, created_at)
                       VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                    (sha, str(path), plan.role if plan else "inline", key,
                     plan.prompt if plan else "", plan.negative_prompt if plan else "",
                     plan.style if plan else "", plan.template if plan else "",
                     plan.template_version if plan else "", provider, model, seed, width, height, slug,
                     article.title if article else "", article.type if article else "", int(reusable),
                     origin, json.dumps(asdict(plan) if plan else {}, ensure_ascii=False), now)).lastrowid
            for f in files:
                self.conn.execute(
                    "INSERT OR REPLACE INTO library_files VALUES (?,?,?,?,?,?,?,?)",
                    (image_id, f.name, f.role, f.path, f.sha256, f.width, f.height, f.bytes))
            if slug:
                self.conn.execute(
                    "INSERT OR IGNORE INTO library_uses VALUES (?,?,?,?,?)",
                    (image_id, slug, key, int(reused), now))
            self._add_tags(image_id, tags)
            self._reindex(image_id, tok)
        return image_id

    def tag(self, image_id: int, add: Iterable[str] = (), remove: Iterable[str] = ()) -> list[str]:
        """Add and remove tags of one image; return its tags afterwards."""
        self.get(image_id)                                   # raises when there is no such image
        tok = self.tokenizer
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            for tag in normalise_tags(remove):
                self.conn.execute("DELETE FROM library_tags WHERE image_id = ? AND tag = ?", (image_id, tag))
            self._add_tags(image_id, add)
            self._reindex(image_id, tok)
        return self.tags_of(image_id)

    def record_upload(self, sha256: str, media_id: str, url: str = "", *, account: str = "default",
                      now: float | None = None) -> int | None:
        """Note that the file (or original) with this hash went to WeChat; return its image id or None."""
        image_id = self.find_file(sha256)
        if image_id is None:
            return None
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO library_uploads VALUES (?,?,?,?,?,?)",
                              (image_id, account, sha256, media_id, url, time.time() if now is None else now))
        return image_id

    def _add_tags(self, image_id: int, tags: Iterable[str]) -> None:
        self.conn.executemany("INSERT OR IGNORE INTO library_tags VALUES (?, ?)",
                              [(image_id, t) for t in normalise_tags(tags)])

    def _reindex(self, image_id: int, tok: Any) -> None:
        row = self.conn.execute("SELECT prompt, article_title FROM library_images WHERE id = ?",
                                (image_id,)).fetchone()
        tags = " ".join(self.tags_of(image_id))
        self.conn.execute("DELETE FROM library_fts WHERE rowid = ?", (image_id,))
        self.conn.execute("INSERT INTO library_fts (rowid, tags, prompt, title) VALUES (?,?,?,?)",
                          (image_id, tokenise(tags, tok), tokenise(row["prompt"], tok),
                           tokenise(row["article_title"], tok)))

    # --- reading -----------------------------------------------------------------------------------

    def tags_of(self, image_id: int) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT tag FROM library_tags WHERE image_id = ? ORDER BY rowid", (image_id,))]

    def get(self, image_id: int) -> Entry:
        row = self.conn.execute("SELECT * FROM library_images WHERE id = ?", (image_id,)).fetchone()
        if not row:
            raise InputError(f"图库中没有编号为 {image_id} 的图片 (no library image #{image_id})",
                             hint="peitu library search 列出已有图片")
        return self._entry(row)

    def entries(self, ids: Sequence[int]) -> list[Entry]:
        """Entries for `ids`, in that order."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = {r["id"]: r for r in self.conn.execute(
            f"SELECT * FROM library_images WHERE id IN ({marks})", list(ids))}
        return [self._entry(rows[i]) for i in ids if i in rows]

    def find_file(self, sha256: str) -> int | None:
        """The image whose original or one of whose files has this hash."""
        row = self.conn.execute(
            "SELECT id FROM library_images WHERE sha256 = ? UNION "
            "SELECT image_id FROM library_files WHERE sha256 = ? LIMIT 1", (sha256, sha256)).fetchone()
        return row[0] if row else None

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM library_images").fetchone()[0]

    def _entry(self, row: sqlite3.Row) -> Entry:
        values = dict(row)
        values["file"] = Path(values["file"])
        values["reusable"] = bool(values["reusable"])
        values["plan"] = json.loads(values["plan"])
        entry = Entry(**values)
        entry.tags = self.tags_of(entry.id)
        entry.files = [FileRecord(**{k: r[k] for k in r.keys() if k != "image_id"}) for r in self.conn.execute(
            "SELECT * FROM library_files WHERE image_id = ? ORDER BY rowid", (entry.id,))]
        entry.uses = [Use(r["article_slug"], r["plan_key"], bool(r["reused"]), r["used_at"])
                      for r in self.conn.execute(
                          "SELECT * FROM library_uses WHERE image_id = ? ORDER BY used_at", (entry.id,))]
        entry.uploads = [Upload(r["account"], r["sha256"], r["media_id"], r["url"], r["uploaded_at"])
                         for r in self.conn.execute(
                             "SELECT * FROM library_uploads WHERE image_id = ? ORDER BY uploaded_at", (entry.id,))]
        return entry


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
