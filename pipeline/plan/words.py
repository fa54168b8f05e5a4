"""Words that can be drawn: the subjects of a picture are keywords and nouns of the text, never a
sentence. Junk (上床, 篇文章, 心里有个数) stays out through the part of speech: a word made with a pronoun,
adverb, preposition, conjunction, particle or measure word is not a subject."""

from __future__ import annotations

import re
from functools import lru_cache

NOT_SUBJECT = ("r", "d", "p", "c", "u", "y", "q", "e", "o", "x", "w")
EN_SKIP = {"the", "and", "with", "from", "into", "onto", "over", "under", "for", "that", "this", "its", "their",
           "some", "very", "light", "style", "photo", "image", "picture", "scene", "view", "shot", "close", "text"}
MAX_SUBJECTS = 12
NUMERALS = set("一二两三四五六七八九十百千万几半0123456789")


@lru_cache(maxsize=4096)
def _flags(word: str) -> tuple[str, ...]:
    """jieba's part of speech for each word of `word` (an article's keywords recur in its plans)."""
    from ..ingest.keywords import shared_lexicon

    return tuple(p.flag for p in shared_lexicon().posseg.lcut(word) if p.word.strip())


def subjects_of(words: list[str]) -> list[str]:
    """The drawable words among `words`, in order, without repeats: no pronoun, adverb, preposition,
    conjunction, particle or measure word in them, not a quantity (八块钱, 十几个部位)."""
    out: list[str] = []
    for word in words:
        word = " ".join(str(word).split())
        if not word or word in out or word[0] in NUMERALS:
            continue
        if not word.isascii():
            flags = _flags(word)
            if not flags or any(f.startswith(NOT_SUBJECT) for f in flags):
                continue
        out.append(word)
        if len(out) >= MAX_SUBJECTS:
            break
    return out


def nouns_in(text: str, shortest: int = 2) -> list[str]:
    """The nouns of a phrase or sentence in order (Chinese by part of speech, `shortest` characters or
    more; English words of three letters or more that are not function words)."""
    from ..ingest.keywords import shared_lexicon

    out: list[str] = []
    for pair in shared_lexicon().posseg.lcut(text, HMM=False):      # dictionary words: fast, and nouns are in it
        word = pair.word.strip()
        if word.isascii():
            out += [w for w in re.findall(r"[A-Za-z]{3,}", word) if w.lower() not in EN_SKIP]
        elif len(word) >= shortest and (pair.flag.startswith("n") or pair.flag in ("vn", "j")):
            out.append(word)
    return list(dict.fromkeys(out))

