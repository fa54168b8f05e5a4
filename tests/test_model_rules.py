"""Model rules as data: whatever a plan asks for, the size sent is one the model takes; and for every provider's
every model pattern, the request it builds for a cover, an inline image and a square is one that model's fake
takes (and the fake refuses a size the rule refuses)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.fakes.providers import fake
from pipeline.fakes.providers.base import parse_size
from pipeline.models import ImagePlan
from pipeline.providers import HOSTED, provider
from pipeline.providers.base import Call, Endpoint
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


# ── every provider × every model pattern: the request it builds is one the model (and its fake) takes ──



# a real model name for each pattern whose own text is not one (else the pattern without its stars)
SAMPLES = {
    ("openai", "*"): "chatgpt-image-latest",
    ("siliconflow", "qwen/qwen-image*"): "Qwen/Qwen-Image",
    ("dashscope", "wan2.5*"): "wan2.5-t2i-preview",
    ("seedream", "*seedream-3*"): "doubao-seedream-3-0-t2i-250415",
    ("seedream", "*seedream-4-0*"): "doubao-seedream-4-0-250828",
    ("seedream", "*seedream-4-5*"): "doubao-seedream-4-5-251128",
    ("seedream", "*seedream-5*"): "doubao-seedream-5-0-260128",
    ("seedream", "*"): "ep-20261125143000-abcde",
    ("qwen_image", "qwen-image-2*"): "qwen-image-2.0-pro",
    ("qwen_image", "qwen-image*"): "qwen-image-max",
    ("qwen_image", "*"): "wan2.6-t2i",
}
PLANS = {"cover": (1344, 576), "inline": (1024, 576), "square": (1024, 1024)}
# fakes whose providers document no size rule we could verify (or that draw any size): not held to refusing one
LENIENT = {"huggingface", "fal", "replicate", "wizmodel", "sdwebui", "comfyui"}


def sample(name: str, pattern: str) -> str:
    if (name, pattern) in SAMPLES:
        return SAMPLES[name, pattern]
    return provider(name).model if pattern == "*" else pattern.replace("*", "")


# Gemini, Hunyuan, BFL, Stability and Kling ask in forms these probes do not read (a ratio in a nested
# config, a "W:H" resolution, a multipart form): test_model_rules_hosted.py holds each of their rules.
OWN_TESTS = {"gemini", "hunyuan", "bfl", "stability", "kling"}
CASES = [(name, pattern) for name in HOSTED if name not in OWN_TESTS for pattern in provider(name).models]


def plan(role: str) -> ImagePlan:
    width, height = PLANS[role]
    return ImagePlan(key=role, role=role, prompt="山水之间的一座桥", negative_prompt="text", style="flat", width=width,
                     height=height, seed=20261125, template="travel", template_version="t1")


def size_field(body: Any) -> tuple[dict, str] | None:
    """The dict and key holding the request's size: size / image_size ("WxH", "W*H" or {width, height}),
    aspect_ratio, or width beside height."""
    if isinstance(body, dict):
        for key in ("size", "image_size", "aspect_ratio", "width"):
            if key in body and (key != "width" or "height" in body):
                return body, key
        values = list(body.values())
    else:
        values = body if isinstance(body, list) else []
    return next((found for v in values if (found := size_field(v))), None)


def asked(body: Any) -> tuple[int, int] | str:
    """The size (or aspect ratio) a request asks for."""
    holder, key = size_field(body) or ({}, "")
    value = holder.get(key)
    if key == "aspect_ratio":
        return str(value)
    if key == "width":
        return holder["width"], holder["height"]
    if isinstance(value, dict):
        return value["width"], value["height"]
    size = parse_size(value) or parse_size(value, "*")
    assert size, f"no size in {body}"
    return size


def with_size(body: Any, size: tuple[int, int] | str) -> Any:
    """`body` asking for `size` instead, in the same field and form."""
    body = copy.deepcopy(body)
    holder, key = size_field(body) or ({}, "")
    if isinstance(size, str):
        holder[key] = size
    elif key == "width":
        holder["width"], holder["height"] = size
    elif isinstance(holder[key], dict):
        holder[key] = {"width": size[0], "height": size[1]}
    else:
        holder[key] = f"{size[0]}{'*' if '*' in holder[key] else 'x'}{size[1]}"
    return body


def send(call: Call, body: Any) -> requests.Response:
    return requests.request(call.method, call.url, headers=call.headers, json=body, timeout=10)


def accepted(answer: requests.Response) -> bool:
    """A 2xx that is no error in the provider's own terms (MiniMax refuses with HTTP 200 and base_resp)."""
    if not answer.ok or not answer.headers.get("content-type", "").startswith("application/json"):
        return answer.ok                                            # Hugging Face answers the image itself
    return answer.json().get("base_resp", {}).get("status_code", 0) == 0


@pytest.fixture(scope="module")
def fakes():
    started: dict[str, Any] = {}

    def get(name: str):
        if name not in started:
            started[name] = fake(name, key=None).start()
        return started[name]

    yield get
    for server in started.values():
        server.stop()


def test_every_pattern_is_exercised_by_its_sample():
    for name, pattern in CASES:
        p = provider(name)
        model = sample(name, pattern)
        assert rules_for(model, p.models) is p.models[pattern], (name, pattern, model)


@pytest.mark.parametrize("name, pattern", CASES)
def test_each_model_rule_holds_for_cover_inline_and_square(fakes, name, pattern):
    p, server = provider(name), fakes(name)
    ep = Endpoint(name, server.base_url, sample(name, pattern), None)
    rules = p.rules(ep)
    for role in PLANS:
        call = p.create(plan(role), ep)
        size = asked(call.json)
        if rules.aspects:
            assert size in rules.aspects, (role, size)
        else:
            assert isinstance(size, tuple) and rules.accepts(*size), (role, size, rules.describe())
        answer = send(call, call.json)
        assert accepted(answer), (role, size, answer.status_code, answer.text[:300])
        if name not in LENIENT:                      # the fake holds the model to its rule: a size it refuses
            refused = "7:3" if rules.aspects else (64, 64)
            assert not accepted(send(call, with_size(call.json, refused))), (role, refused)
