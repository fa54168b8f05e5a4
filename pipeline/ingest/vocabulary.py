"""The article-type rules' words as one vocabulary: an Aho-Corasick automaton over every word of every
type (config.yaml `article_types.rules`), used to type an article and to know a field's terms.

    vocabulary(types) -> Vocabulary        built once per distinct set of rules
    Vocabulary.find(text) -> Counter       rule word index → occurrences (longest first, no overlaps)
    normalise(text) -> str                 simplified, lower case: the form words are compared in
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..config import ArticleTypes
from .chinese import to_simplified

TERM_WEIGHT = 2.0                      # a rule word this strong is a term of its field (驾照, 相机, 前端, 腌制)


@dataclass(frozen=True)
class Vocabulary:
    """The rule words of every type in one automaton; word i weighs weights[i] for each of its types."""

    automaton: Any                     # ahocorasick.Automaton over the normalised words, value = word index
    words: tuple[str, ...]             # normalised words, by index
    weights: tuple[tuple[tuple[str, float], ...], ...]    # (type, weight) pairs, by index
    terms: frozenset[str]              # words some type weighs at least TERM_WEIGHT: a field's own terms

    def find(self, text: str) -> Counter[int]:
        """How often each rule word occurs in `text` (already normalised): longest match first, no overlaps,
        an English word only where no letter or digit touches it."""
        found: Counter[int] = Counter()
        if not text:
            return found
        for end, index in self.automaton.iter_long(text):
            word = self.words[index]
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
        rules = tuple((t, tuple(rule.keywords.items())) for t, rule in types.rules.items())
        vocab = _vocabulary(hash(rules), rules)
        if len(_by_rules) >= CACHED_RULES:
            del _by_rules[next(iter(_by_rules))]
        hit = _by_rules[key] = ([rule.keywords for rule in types.rules.values()], vocab)
    return hit[1]


_built: dict[int, Vocabulary] = {}


def _vocabulary(fingerprint: int, rules: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]) -> Vocabulary:
    """Build (or find, for rules of the same words and weights) the vocabulary of `rules`."""
    vocab = _built.get(fingerprint)
    if vocab is not None:
        return vocab
    import ahocorasick

    weights: dict[str, dict[str, float]] = {}
    for type_id, words in rules:
        for word, weight in words:
            key = normalise(str(word)).strip()
            if key:
                weights.setdefault(key, {})
                weights[key][type_id] = weights[key].get(type_id, 0.0) + float(weight)
    automaton = ahocorasick.Automaton()
    for i, key in enumerate(weights):
        automaton.add_word(key, i)
    if weights:
        automaton.make_automaton()
    terms = frozenset(w for w, by_type in weights.items() if max(by_type.values()) >= TERM_WEIGHT)
    vocab = Vocabulary(automaton, tuple(weights), tuple(tuple(by_type.items()) for by_type in weights.values()),
                       terms)
    if len(_built) >= CACHED_RULES:
        del _built[next(iter(_built))]
    _built[fingerprint] = vocab
    return vocab
