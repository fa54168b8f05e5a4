"""What an inline image for one section should show: its concrete subjects.

    section_subjects(article, section_index, k=4, cfg=None) -> list[str]

Subjects are keywords fit to print (keywords.is_displayable: names, nouns, a field's terms; no verbs,
fragments or sentence pieces), taken in this order until there are k:
  1. the section's own keywords (ingest ranks them when the article is read),
  2. the article's keywords that the section's text mentions,
  3. the article's other keywords, so a section with little of its own still shows what the article is about
     (starting at a different one in each section, so such sections do not all show the same).
A word holding or held by one already taken (马拉松 beside 长沙马拉松) is left out, and so is the section's
heading as such ("三、第一天：抵达大理" is no subject; 大理 from its text can be)."""

from __future__ import annotations

import re

from ..config import Config
from ..models import Article
from .keywords import is_displayable

DEFAULT_K = 4
# numbering and punctuation around a heading's words: "三、", "1.", "第一天：", "（上）"
NUMBERING = re.compile(r"^\s*(?:[0-9]+|[一二三四五六七八九十百]+)\s*[、.．:：)）]\s*"
                       r"|^\s*第[0-9一二三四五六七八九十百]+[章节部分篇天站]\s*[:：、]?\s*")
PUNCTUATION = re.compile(r"[\s\W_]+")


def section_subjects(article: Article, section_index: int, k: int = DEFAULT_K,
                     cfg: Config | None = None) -> list[str]:
    """Up to k concrete subjects for an image of article.sections[section_index] (see the module
    docstring); fewer only when the whole article has fewer printable keywords."""
    section = article.sections[section_index]
    text = "\n".join([section.heading, *section.paragraphs]).lower()
    heading = _bare(section.heading)
    turn = section_index % max(len(article.keywords), 1)
    others = [*article.keywords[turn:], *article.keywords[:turn]]
    ranked = [*section.keywords, *(w for w in article.keywords if w.lower() in text), *others]
    subjects: list[str] = []
    for word in ranked:
        if len(subjects) == k:
            break
        low = word.lower()
        if (not low or (heading and _bare(word) == heading)
                or any(low in s.lower() or s.lower() in low for s in subjects)
                or not is_displayable(word, cfg)):
            continue
        subjects.append(word)
    return subjects


def _bare(text: str) -> str:
    """A heading or word without its numbering, punctuation and case: what 'the heading as such' means."""
    return PUNCTUATION.sub("", NUMBERING.sub("", text)).lower()
