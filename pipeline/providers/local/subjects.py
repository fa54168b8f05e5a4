"""From the words an image should show (ImagePlan.subjects, Chinese or English) to pictures of the
art set. A word finds a picture through, best first: templates/pictures.yaml (词 → 图, editable),
the art set's own Chinese names and tags, the glossary's English against the set's English names and
tags, then the word's head (潮汕牛肉火锅 → 火锅, 锂电池 → 电池). Each picture is used once per image."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .artset import ArtSet

log = logging.getLogger(__name__)

MIN_SCORE = 4.5
FACES = 0                          # emojibase group of faces and hearts: a face is a poor picture of a thing


@dataclass(frozen=True)
class Found:
    """A subject and the picture that shows it; `score` says how direct the match is (4.5 … 10.5)."""

    subject: str
    piece: str
    score: float


def singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@lru_cache(maxsize=4)
def _read_aliases(path: Path, mtime: float, names: frozenset[str]) -> dict[str, str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        log.warning("%s: not read (%s); pictures are found by the art set's own names only", path, err)
        return {}
    out: dict[str, str] = {}
    for value in data.values() if isinstance(data, dict) else ():
        for word, name in (value.items() if isinstance(value, dict) else ()):
            if name in (None, ""):
                out[str(word).strip().lower()] = ""            # no picture for this word, on purpose
                continue
            if str(name) not in names:
                log.warning("%s: %s: no picture named %r in the art set", path, word, name)
                continue
            out[str(word).strip().lower()] = str(name)
    return out


def aliases(path: Path, art: ArtSet) -> dict[str, str]:
    """templates/pictures.yaml as {word (lower case): picture, or "" for none}; {} when there is none."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    return _read_aliases(path, mtime, frozenset(art.pieces))


class Picker:
    """Finds pictures for subjects in one art set with one alias table and one glossary."""

    def __init__(self, art: ArtSet, alias: dict[str, str], translate: Callable[[str], list[str]]):
        self.art, self.alias, self.translate = art, alias, translate
        self.order = {name: i for i, name in enumerate(art.pieces)}
        self.heads = sorted((k for k in alias if not k.isascii()), key=len, reverse=True)

    def find(self, subject: str) -> list[tuple[float, str]]:
        """Candidate pictures for one subject, best first: (score, picture name)."""
        art, word = self.art, " ".join(subject.split())
        low = word.lower()
        scored: dict[str, float] = {}

        def offer(names: list[str] | str | None, score: float) -> None:
            for name in [names] if isinstance(names, str) and names else names or ():
                if art.pieces[name].group == FACES and score < 10:
                    score -= 4                                 # a face only by name or by pictures.yaml
                scored[name] = max(scored.get(name, 0.0), score)

        if self.alias.get(low) == "":
            return []                                          # pictures.yaml: this word draws nothing
        offer(self.alias.get(low), 10.5)
        if len(word) == 1:                                     # 马, 卡: only pictures.yaml may read one character
            return [(score, name) for name, score in scored.items()]
        offer(art.zh_label.get(word), 10)
        offer(art.en_label.get(low), 9)
        offer(art.zh_tag.get(word), 8)
        english = [low] if word.isascii() else [p.lower() for p in self.translate(word)]
        for n, phrase in enumerate(english):
            less = 0.0 if n == len(english) - 1 else 1.5             # 商业养老保险: the last term is the head
            words = [singular(w) for w in phrase.replace("-", " ").split()]
            one = " ".join(words)
            offer(self.alias.get(phrase) or self.alias.get(one), 8 - less)
            offer(art.en_label.get(phrase) or art.en_label.get(one), 7 - less)
            offer(art.en_tag.get(one), 6 - less)
            if len(words) > 1:
                offer(art.en_label.get(words[-1]), 5 - less)       # the head noun: "melatonin pills" → pill
        if not word.isascii() and len(word) >= 2:
            head = next((k for k in self.heads if word.endswith(k) and k != low), None)
            if head:
                offer(self.alias[head], 7 if len(head) >= 2 else 5)
            for label in art.labels_by_length:
                if 2 <= len(label) < len(word) and word.endswith(label):
                    offer(art.zh_label[label], 5.5)
                    break
        return sorted(((s, n) for n, s in scored.items() if s >= MIN_SCORE),
                      key=lambda sn: (-sn[0], self.order[sn[1]]))

    def choose(self, subjects: list[str], limit: int) -> list[Found]:
        """Up to `limit` subjects with a picture each, in the subjects' order; a picture already taken
        by an earlier subject is not taken again, and a subject with no picture is skipped."""
        found: list[Found] = []
        taken: set[str] = set()
        heads: set[str] = set()
        for subject in dict.fromkeys(s.strip() for s in subjects if s.strip()):
            if len(found) >= limit:
                break
            if any(f.subject.endswith(subject) or subject.endswith(f.subject) for f in found) or \
                    (subject.isascii() and any(subject.lower() in self.art.pieces[f.piece].en[0] for f in found)):
                continue                                       # 火锅 after 潮汕牛肉火锅, bowl after steaming bowl
            for score, name in self.find(subject):
                head = self.art.pieces[name].en[0].split()[-1]     # bed, person in bed: one bed is enough
                if name not in taken and head not in heads:
                    found.append(Found(subject, name, score))
                    taken.add(name)
                    heads.add(head)
                    break
        return found
