"""The rules planner: ingest's analysis as a Plan, offline and in milliseconds.

Sections: the `count` eligible ones with the most prose and keywords, in article order. Subjects: what
ingest's `section_subjects` finds for the section (its printable keywords, then the article's that it
mentions), never the heading's own text. Kind: from the section's words (a route → map, figures or steps
→ diagram), else the type's usual picture. Prompts are left to the type template."""

from __future__ import annotations

import re

from ..config import Config
from ..ingest import section_subjects
from ..models import Article
from . import author
from .schema import MAX_KEYWORDS, CoverIdea, ImageIdea, Kind, Plan
from .words import nouns_in, subjects_of

KEYWORD_WEIGHT = 40          # a section keyword counts like this many characters of prose
SUBJECTS = 4                 # an inline image's: what ingest finds for its section
COVER_SUBJECTS = 6           # the cover's: the title's nouns (面, 书 count), then the article's keywords
LONG_TITLE = 16              # characters: a longer title gets a display title for the cover
BREAKS = re.compile(r"[：:｜|—–\-－，,。！？!?（(【\[]+")
TYPE_KINDS: dict[str, Kind] = {
    "food": "object", "tech": "object", "finance": "diagram", "auto": "object", "culture": "object",
    "education": "person", "career": "person", "sports": "person",
    "travel": "scene", "health": "scene", "news": "scene", "lifestyle": "scene", "realestate": "scene",
}
MAP_WORDS = re.compile(r"路线|地图|行程|线路|自驾|沿着|途经|出发|抵达")
STEP_WORDS = re.compile(r"步骤|流程|第[一二三四五六七八九十]步|首先.*然后|对比|比例|占比|增长|下降")
FIGURES = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|元|万|亿|倍|个百分点)")


def rules_plan(article: Article, cfg: Config, count: int) -> Plan:
    """The rules' plan for `article` with up to `count` inline images (the author's limits applied)."""
    images = []
    for i in pick_sections(article, count):
        subjects = section_subjects(article, i, SUBJECTS, cfg)
        images.append(ImageIdea(section=i, purpose=_purpose(article, i, subjects), kind=_kind(article, i),
                                subjects=subjects))
    keywords = list(article.keywords[:MAX_KEYWORDS])
    in_title = [k for k in article.keywords if k in article.title]
    subjects = subjects_of([*nouns_in(article.title, shortest=1), *in_title, *article.keywords])   # 面, 书 count
    cover = CoverIdea(concept="、".join(keywords[:3]), kind=TYPE_KINDS.get(article.type, "scene"),
                      subjects=subjects[:COVER_SUBJECTS], display_title=display_title(article.title))
    return Plan(type=article.type, keywords=keywords, cover=cover, images=images)


def pick_sections(article: Article, count: int) -> list[int]:
    """Indexes of the `count` eligible sections most worth an image, in article order.
    Score: characters of prose plus KEYWORD_WEIGHT per keyword."""
    ok = author.eligible(article)
    scored = [(len(s.text) + KEYWORD_WEIGHT * len(s.keywords), i) for i, s in enumerate(article.sections) if ok[i]]
    best = sorted(scored, key=lambda si: (-si[0], si[1]))[:max(count, 0)]
    return sorted(i for _, i in best)




def _kind(article: Article, index: int) -> Kind:
    text = article.sections[index].text
    if MAP_WORDS.search(text) and article.type in ("travel", "sports", "auto", "default"):
        return "map"
    if len(FIGURES.findall(text)) >= 3 or STEP_WORDS.search(text):
        return "diagram"
    return TYPE_KINDS.get(article.type, "scene")


def _purpose(article: Article, index: int, subjects: list[str]) -> str:
    heading = article.sections[index].heading.strip()
    return f"让读者看到「{heading}」里的{'、'.join(subjects[:2])}" if subjects else f"在「{heading}」处停一停"


def display_title(title: str) -> str:
    """A shorter title for the cover when `title` is long: its first phrase when that says enough
    (4–14 characters), else ""."""
    title = title.strip()
    if len(title) <= LONG_TITLE:
        return ""
    head = BREAKS.split(title, maxsplit=1)[0].strip()
    return head if 4 <= len(head) <= 14 else ""
