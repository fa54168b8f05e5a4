"""The art set the local renderer draws from: Fluent Emoji Flat (MIT, Microsoft) with emojibase's
Chinese and English names and tags (MIT), so a word from an article finds a picture.

`make art` builds it once (see artbuild.py) into artdata/ beside this module: an index
(artdata/index.json: each picture's name, group and words, the common pictures first) and one SVG
file per picture. Nothing is downloaded or indexed at run time: a run reads the index once per
process and an SVG only when it draws that picture.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HOME = Path(__file__).with_name("artdata")


@dataclass(frozen=True)
class Piece:
    """One picture of the set: its file name, emojibase group and subgroup, and the words that find it
    (Chinese: the label first, then the tags; English: label, tags and the words of its name)."""

    name: str
    group: int
    subgroup: int
    zh: tuple[str, ...]
    en: tuple[str, ...]


class ArtSet:
    """The installed set: look pieces up by word, read their SVG."""

    def __init__(self, folder: Path = HOME):
        self.folder = folder
        data = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        self.source: str = data["source"]
        self.pieces = {p[0]: Piece(p[0], p[1], p[2], tuple(p[3]), tuple(p[4])) for p in data["pieces"]}
        self.zh_label: dict[str, list[str]] = {}
        self.zh_tag: dict[str, list[str]] = {}
        self.en_label: dict[str, list[str]] = {}
        self.en_tag: dict[str, list[str]] = {}
        for p in self.pieces.values():
            if p.zh:
                self.zh_label.setdefault(p.zh[0], []).append(p.name)
            for tag in p.zh[1:]:
                self.zh_tag.setdefault(tag, []).append(p.name)
            if p.en:
                self.en_label.setdefault(p.en[0], []).append(p.name)
            for tag in p.en[1:]:
                self.en_tag.setdefault(tag, []).append(p.name)
        self.labels_by_length = sorted(self.zh_label, key=len, reverse=True)

    def __len__(self) -> int:
        return len(self.pieces)

    def svg(self, name: str) -> str:
        return (self.folder / "svg" / f"{name}.svg").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def installed() -> ArtSet | None:
    """The set `make art` built, or None when it was not built (the renderer then draws patterns)."""
    if not (HOME / "index.json").is_file():
        return None
    return ArtSet(HOME)


def status() -> str:
    """One line on the installed art set, for `peitu providers`."""
    art = installed()
    if art is None:
        return "art set not installed: pictures are patterns (run make art; it needs npm)"
    return f"{len(art)} pictures of Fluent Emoji Flat (MIT)"
