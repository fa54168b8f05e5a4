"""Model rules as data: whatever a plan asks for, the size sent is one the model takes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.providers.rules import ModelRules, rules_for

FREE = st.builds(
    ModelRules,
    multiple=st.sampled_from([1, 8, 16, 32, 64]),
    min_side=st.integers(64, 512),
    max_side=st.integers(1024, 4096),
    min_pixels=st.one_of(st.none(), st.integers(256 * 256, 1024 * 1024)),
    max_pixels=st.one_of(st.none(), st.integers(1500 * 1500, 4096 * 4096)),
    max_ratio=st.one_of(st.none(), st.floats(1.5, 4.0)),
)
SHAPES = st.tuples(st.integers(1, 8192), st.integers(1, 8192))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(FREE, SHAPES)
def test_any_plan_gets_a_size_the_model_accepts(rules, shape):
    size = rules.size(*shape)
    assert rules.accepts(*size), (rules.describe(), shape, size)


def test_a_cover_gets_the_widest_shape_a_bounded_model_allows():
    rules = ModelRules(multiple=32, min_side=512, max_side=2048, min_pixels=1280 * 1280, max_pixels=1440 * 1440,
                       max_ratio=3.0)
    w, h = rules.size(1344, 576)                  # 2.33:1 asked
    assert rules.accepts(w, h) and 2.2 <= w / h <= 2.4
    assert 1280 * 1280 <= w * h <= 1440 * 1440


def test_fixed_sizes_give_the_closest_shape_and_ratios_the_closest_ratio():
    sizes = ModelRules(sizes=((1024, 1024), (1536, 1024), (1024, 1536)))
    assert sizes.size(1344, 576) == (1536, 1024) and sizes.size(576, 1344) == (1024, 1536)
    ratios = ModelRules(aspects=("1:1", "16:9", "21:9", "4:3"))
    assert ratios.aspect(1344, 576) == "21:9" and ratios.aspect(1000, 1000) == "1:1"


def test_patterns_pick_a_model_family_and_fall_back_to_star():
    table = {"gpt-image-2*": ModelRules(multiple=16), "dall-e-3": ModelRules(sizes=((1024, 1024),)),
             "*": ModelRules()}
    assert rules_for("GPT-Image-2-mini", table).multiple == 16
    assert rules_for("dall-e-3", table).sizes == ((1024, 1024),)
    assert rules_for("something-else", table) == ModelRules()
