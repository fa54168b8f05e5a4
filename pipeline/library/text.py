"""Chinese-aware text for the library's full-text index: jieba splits, FTS5's unicode61 (SQLite) or a
tsvector with the 'simple' configuration (PostgreSQL) indexes.

SQLite's own tokenizers see a run of Chinese characters as one word, so both the stored text and the query
are split with jieba's search mode (which also emits the shorter words inside long ones: 咖啡馆 → 咖啡 咖啡馆)
and joined with spaces before FTS5 sees them. The tokenizer is ingest's (with the operator's user
dictionary), so tags and the words of a search are cut the way keywords were.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_WORD = re.compile(r"\w", re.UNICODE)
_RUNS = re.compile(r"([\u3400-\u9fff\uf900-\ufaff]+)")      # CJK runs go to jieba, the rest is split here
_LATIN = re.compile(r"\w+")
_ASCII_WORD = re.compile(r"^[0-9a-z_]+$")
MAX_TAG = 40


def tokenizer(cfg: Any = None) -> Any:
    """ingest's jieba tokenizer for cfg's user dictionary (built once per process, on first use)."""
    from ..ingest.keywords import lexicon

    return lexicon(cfg).tokenizer


def words(text: str, tok: Any = None) -> list[str]:
    """Words of `text`, lower-cased, without punctuation or spaces: Chinese in jieba's search mode,
    everything else by word characters (prompts are mostly English, which jieba would only slow down)."""
    out: list[str] = []
    for i, run in enumerate(_RUNS.split(text or "")):
        if i % 2:
            out += [w for w in (tok or tokenizer()).cut_for_search(run) if _WORD.search(w)]
        else:
            out += _LATIN.findall(run.lower())
    return [w.lower() for w in out]


def tokenise(text: str, tok: Any = None) -> str:
    """Text as FTS5 should index it: its words separated by spaces."""
    return " ".join(words(text, tok))


def match_query(query: str, tok: Any = None) -> str:
    """An FTS5 MATCH expression that needs every word of `query`; latin words also match as prefixes
    (latte → lattes). Returns '' when the query has no words."""
    terms = []
    for w in dict.fromkeys(words(query, tok)):
        quoted = '"' + w.replace('"', '""') + '"'
        terms.append(quoted + "*" if _ASCII_WORD.match(w) and len(w) >= 3 else quoted)
    return " AND ".join(terms)


def ts_query(query: str, tok: Any = None) -> str:
    """The same as `match_query` for PostgreSQL's to_tsquery('simple', …): every word, latin ones of three
    letters or more also as prefixes. Returns '' when the query has no words."""
    terms = []
    for w in dict.fromkeys(words(query, tok)):
        quoted = "'" + w.replace("\\", "\\\\").replace("'", "''") + "'"
        terms.append(quoted + ":*" if _ASCII_WORD.match(w) and len(w) >= 3 else quoted)
    return " & ".join(terms)


def normalise_tags(tags: Iterable[str]) -> list[str]:
    """Tags as stored: trimmed, inner spaces collapsed, latin lower-cased, no empties or repeats."""
    out: dict[str, None] = {}
    for tag in tags:
        t = " ".join(str(tag).split()).lower()[:MAX_TAG]
        if t and _WORD.search(t):
            out[t] = None
    return list(out)
