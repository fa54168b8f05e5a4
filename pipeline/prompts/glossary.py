"""中文 → English keyword glossary (templates/glossary.yaml), offline, longest match first.

Image models read English best, so the English prompt carries glossary translations; a Chinese
word the glossary does not know is left out of it (logged at debug) but stays in keywords_zh.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import TemplateError
from ..yamlsafe import load_yaml

log = logging.getLogger(__name__)
MAX_BYTES = 5_000_000            # a glossary may grow to tens of thousands of terms
ASCII_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9+#.\-]*")


class Glossary:
    """Terms map to an English phrase, or to "" to drop a word on purpose (e.g. 小编).
    English words pass through, except numbers and words with digits that the glossary lacks.

    Within longer text only terms of two or more characters match, so 花 (flowers) does not fire
    inside 花钱; a one-character term matches when it is the whole keyword."""

    def __init__(self, terms: dict[str, str]):
        self.terms = terms
        self.lower = {k.lower(): v for k, v in terms.items() if k.isascii()}
        self.maxlen = max(map(len, terms), default=1)

    def __len__(self) -> int:
        return len(self.terms)

    @classmethod
    def parse(cls, path: Path, text: str) -> Glossary:
        """Read the YAML file: a mapping of terms, optionally grouped (`food: {火锅: hot pot}`)."""
        data = load_yaml(text, str(path), error=TemplateError, max_bytes=MAX_BYTES) or {}
        if not isinstance(data, dict):
            raise TemplateError("the glossary is a mapping of 中文: English", where=str(path))
        terms: dict[str, str] = {}
        _flatten(data, terms, path)
        return cls(terms)

    def segment(self, text: str) -> list[str]:
        """English for every known term in `text`, in order; ASCII words pass through."""
        text = " ".join(text.split())
        if text in self.terms:
            return [self.terms[text]] if self.terms[text] else []
        if text.isascii():                 # an English keyword stays one phrase: "machine learning"
            return self._ascii(text)
        out: list[str] = []
        unknown: list[str] = []
        i, n = 0, len(text)
        while i < n:
            run = ASCII_RUN.match(text, i)
            if run:
                out += self._ascii(run.group().rstrip(".-"))
                i = run.end()
                continue
            for size in range(min(self.maxlen, n - i), 1, -1):
                eng = self.terms.get(text[i:i + size])
                if eng is not None:
                    if eng:
                        out.append(eng)
                    i += size
                    break
            else:
                if _is_cjk(text[i]):
                    unknown.append(text[i])
                i += 1
        if unknown:
            log.debug("glossary: no English for %r in %r", "".join(unknown), text)
        return out

    def _ascii(self, word: str) -> list[str]:
        """An English word as it is (or as the glossary says); numbers and units (7B, 12000) go."""
        eng = self.terms.get(word, self.lower.get(word.lower()))
        if eng is None:
            eng = "" if any(c.isdigit() for c in word) or len(word) < 2 else word
        return [eng] if eng else []

    def translate(self, words: Iterable[str]) -> list[str]:
        """English for a list of keywords, order kept, without duplicates (case-insensitive) and
        without a term that is part of a longer one ("community" beside "community canteen")."""
        terms = dedupe(eng for word in words for eng in self.segment(str(word)))
        low = [f" {t.lower()} " for t in terms]
        return [t for t, mine in zip(terms, low, strict=True)
                if not any(mine in other and mine != other for other in low)]

    def jinja_filter(self, value: Any) -> Any:
        """`{{ section.heading | glossary }}` → "hot pot, Chengdu"; a list gives a list."""
        if isinstance(value, str):
            return ", ".join(self.segment(value))
        return self.translate(value)


def dedupe(words: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for w in words:
        if w and w.lower() not in seen:
            seen.add(w.lower())
            out.append(w)
    return out


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _flatten(data: dict, terms: dict[str, str], path: Path) -> None:
    for key, value in data.items():
        if isinstance(value, dict):
            _flatten(value, terms, path)
        elif value is None or isinstance(value, str):
            terms[str(key).strip()] = (value or "").strip()
        else:
            raise TemplateError(f"'{key}': the English must be text, not {type(value).__name__}",
                                where=str(path))
