"""The article-type rules' words as one vocabulary: an Aho-Corasick automaton over every word of every
type (config.yaml `article_types.rules`), used to type an article and to know a field's terms.

    vocabulary(types) -> Vocabulary        built once per distinct set of rules
    Vocabulary.find(text) -> Counter       rule word index → occurrences (longest first, no overlaps)
    normalise(text) -> str                 simplified, lower case: the form words are compared in
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..config import ArticleTypes
from .chinese import to_simplified

TERM_WEIGHT = 2.0                      # a rule word this strong is a term of its field (驾照, 相机, 前端, 腌制)


@dataclass(frozen=True)
class Vocabulary:
    """The rule words of every type in one automaton: word → {type: weight}."""

    automaton: Any                     # ahocorasick.Automaton over the normalised words, value = (index, word)
    weights: tuple[dict[str, float], ...]
    terms: frozenset[str]              # words some type weighs at least TERM_WEIGHT: a field's own terms

    def find(self, text: str) -> Counter[int]:
        """How often each rule word occurs in `text` (already normalised): longest match first, no overlaps,
        an English word only where no letter or digit touches it."""
        found: Counter[int] = Counter()
        if not text:
            return found
        for end, (index, word) in self.automaton.iter_long(text):
            start = end - len(word) + 1
            if ((word[0].isascii() and word[0].isalnum() and start > 0 and _ascii_alnum(text[start - 1]))
                    or (word[-1].isascii() and word[-1].isalnum() and end + 1 < len(text)
                        and _ascii_alnum(text[end + 1]))):
                continue
            found[index] += 1
        return found


def _ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def normalise(text: str) -> str:
    """The form rules and text are compared in: simplified Chinese, lower case."""
    return to_simplified(text).lower()


_by_rules: dict[tuple[tuple[str, int, int], ...], tuple[list[dict[str, float]], Vocabulary]] = {}
CACHED_RULES = 8


def vocabulary(types: ArticleTypes) -> Vocabulary:
    """The automaton for these rules: built once per distinct set of rules, and found again for the same
    rule objects without reading their words (the entry holds the objects, so their ids stay theirs)."""
    key = tuple((t, id(rule.keywords), len(rule.keywords)) for t, rule in types.rules.items())
    hit = _by_rules.get(key)
    if hit is None:
        vocab = _vocabulary(tuple((t, tuple(rule.keywords.items())) for t, rule in types.rules.items()))
        if len(_by_rules) >= CACHED_RULES:
            del _by_rules[next(iter(_by_rules))]
        hit = _by_rules[key] = ([rule.keywords for rule in types.rules.values()], vocab)
    return hit[1]


@lru_cache(maxsize=8)
def _vocabulary(rules: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]) -> Vocabulary:
    import ahocorasick

    index: dict[str, int] = {}
    weights: list[dict[str, float]] = []
    for type_id, words in rules:
        for word, weight in words:
            key = normalise(str(word)).strip()
            if not key:
                continue
            if key not in index:
                index[key] = len(weights)
                weights.append({})
            weights[index[key]][type_id] = weights[index[key]].get(type_id, 0.0) + float(weight)
    automaton = ahocorasick.Automaton()
    for key, i in index.items():
        automaton.add_word(key, (i, key))
    if index:
        automaton.make_automaton()
    terms = frozenset(w for w, i in index.items() if max(weights[i].values(), default=0.0) >= TERM_WEIGHT)
    return Vocabulary(automaton, tuple(weights), terms)
