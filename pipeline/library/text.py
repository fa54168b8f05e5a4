"""Chinese-aware text for the library's full-text index: jieba splits, FTS5's unicode61 indexes.

SQLite's own tokenizers see a run of Chinese characters as one word, so both the stored text and the query
are split with jieba's search mode (which also emits the shorter words inside long ones: 咖啡馆 → 咖啡 咖啡馆)
and joined with spaces before FTS5 sees them.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path

import jieba

jieba.setLogLevel(logging.WARNING)      # its import sets DEBUG and prints dictionary loading to stderr
_WORD = re.compile(r"\w", re.UNICODE)
_ASCII_WORD = re.compile(r"^[0-9a-z_]+$")
_lock = threading.Lock()
_userdicts: set[Path] = set()
MAX_TAG = 40


def load_userdict(path: Path) -> None:
    """Teach jieba the operator's words (templates/userdict.txt) once per process."""
    path = path.resolve()
    with _lock:
        if path in _userdicts or not path.is_file():
            return
        jieba.load_userdict(str(path))
        _userdicts.add(path)


def words(text: str) -> list[str]:
    """jieba search-mode words of `text`, lower-cased, without punctuation or spaces."""
    return [w.lower() for w in jieba.cut_for_search(text or "") if _WORD.search(w)]


def tokenise(text: str) -> str:
    """Text as FTS5 should index it: its words separated by spaces."""
    return " ".join(words(text))


def match_query(query: str) -> str:
    """An FTS5 MATCH expression that needs every word of `query`; latin words also match as prefixes
    (latte → lattes). Returns '' when the query has no words."""
    terms = []
    for w in dict.fromkeys(words(query)):
        quoted = '"' + w.replace('"', '""') + '"'
        terms.append(quoted + "*" if _ASCII_WORD.match(w) and len(w) >= 3 else quoted)
    return " AND ".join(terms)


def normalise_tags(tags: Iterable[str]) -> list[str]:
    """Tags as stored: trimmed, inner spaces collapsed, latin lower-cased, no empties or repeats."""
    out: dict[str, None] = {}
    for tag in tags:
        t = " ".join(str(tag).split()).lower()[:MAX_TAG]
        if t and _WORD.search(t):
            out[t] = None
    return list(out)
