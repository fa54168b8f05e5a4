"""Generated images by what made them: the same prompt, negative prompt, size, seed, style and
template (with its version) give back the stored image without a call."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from ..fsutil import atomic_write
from ..models import Attempt, GeneratedImage, ImagePlan
from ..store import Store


def cache_key(plan: ImagePlan, provider: str | None = None) -> str:
    """`provider` is set only when the caller forces one: then only its images count."""
    parts = [plan.prompt, plan.negative_prompt, plan.width, plan.height, plan.seed, plan.style,
             plan.template, plan.template_version, provider]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


class Cache:
    def __init__(self, store: Store, folder: Path):
        self.store = store
        self.folder = folder

    def _file(self, sha: str) -> Path:
        return self.folder / sha[:2] / f"{sha}.img"

    def get(self, key: str) -> GeneratedImage | None:
        rows = self.store.query("SELECT * FROM image_cache WHERE key = ?", (key,))
        if not rows:
            return None
        row = rows[0]
        try:
            data = self._file(row["sha256"]).read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != row["sha256"]:
            return None                          # damaged file: make the image again
        return GeneratedImage(data=data, provider=row["provider"], model=row["model"], seed=row["seed"],
                              elapsed_s=0.0, cached=True, attempts=[Attempt(row["provider"], "cached")])

    def put(self, key: str, image: GeneratedImage) -> None:
        sha = hashlib.sha256(image.data).hexdigest()
        path = self._file(sha)
        if not path.exists():
            atomic_write(path, image.data, private=True)
        with self.store.tx() as db:
            db.execute("INSERT INTO image_cache (key, sha256, provider, model, seed, created) VALUES (?,?,?,?,?,?) "
                       "ON CONFLICT (key) DO UPDATE SET sha256 = excluded.sha256, provider = excluded.provider, "
                       "model = excluded.model, seed = excluded.seed, created = excluded.created",
                       (key, sha, image.provider, image.model, image.seed, time.time()))
