"""section_subjects: what an inline image for one section should show — concrete things from that section,
printable (no verbs, fragments or sentence pieces), never the heading as such."""

from __future__ import annotations

import pytest

from pipeline.config import Config
from pipeline.ingest import parse_article
from pipeline.ingest.keywords import is_displayable
from pipeline.ingest.subjects import section_subjects

TRIP = """# 大理四天：洱海、古城和沙溪

这次去大理住了四天，每天都在洱海边上。

## 第一天：大理古城

早上从南门进古城，城墙下有卖乳扇和鲜花饼的小摊。古城的五华楼晚上亮灯，人民路上都是小酒馆。

## 第二天：洱海

租了电动车沿着洱海骑，喜洲的稻田和白族民居很好看。喜洲粑粑刚出炉，洱海边的生态廊道没有汽车。

## 感想

很好。
"""


@pytest.fixture
def trip(cfg: Config):
    return parse_article(TRIP, cfg, fmt="markdown")


def test_subjects_come_from_their_section(cfg: Config, trip) -> None:
    old_town = section_subjects(trip, 1, 4, cfg)
    lake = section_subjects(trip, 2, 4, cfg)
    assert 3 <= len(old_town) <= 4 and 3 <= len(lake) <= 4
    assert {"古城", "乳扇"} & set(old_town) and not {"喜洲", "稻田"} & set(old_town)
    assert "喜洲" in lake and not {"乳扇", "五华楼"} & set(lake)
    assert all(is_displayable(word, cfg) for word in old_town + lake)


def test_the_heading_is_never_a_subject(cfg: Config, trip) -> None:
    assert trip.sections[2].heading == "第二天：洱海"
    assert "洱海" not in section_subjects(trip, 2, 5, cfg)       # the heading as such, once numbering is gone
    assert "第一天：大理古城" not in section_subjects(trip, 1, 5, cfg)


def test_a_thin_section_shows_what_the_article_is_about(cfg: Config, trip) -> None:
    thin = section_subjects(trip, 3, 3, cfg)
    assert len(thin) == 3 and set(thin) <= set(trip.keywords)


def test_no_two_subjects_say_the_same_thing(cfg: Config, trip) -> None:
    for index in range(len(trip.sections)):
        subjects = section_subjects(trip, index, 5, cfg)
        assert not [(a, b) for a in subjects for b in subjects if a != b and a in b]
