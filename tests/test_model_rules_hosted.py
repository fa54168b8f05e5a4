"""No new provider is asked for a size or ratio its model refuses: for each provider × each model pattern
in its rules table, a cover (1344×576 asked), an inline (1024×576) and a square are asked in a shape the
rules accept, and the protocol's fake — which holds every request to the documented rule and refuses
the rest (see each provider's tests) — makes all three."""

from __future__ import annotations

import fnmatch

import pytest

from pipeline.generate import generate_all
from pipeline.models import GeneratedImage
from pipeline.providers import provider
from pipeline.providers.base import Call, Endpoint

from .conftest import SHAPES, plan_of

MODELS = {   # one model name for each pattern of each table, first match first
    "gemini": ["gemini-3.1-flash-image-preview", "gemini-3-pro-image-preview", "gemini-2.5-flash-image"],
    "bfl": ["flux-2-pro", "flux-pro-1.1-ultra", "flux-kontext-pro", "flux-pro-1.1"],
    "stability": ["ultra", "core", "sd3.5-large-turbo", "sd3.5-flash", "sd3.5-large"],
    "hunyuan": ["hunyuan-image"],
    "kling": ["kling-v2-1"],
}


def sent(name: str, call: Call) -> str | tuple[int, int]:
    """The ratio (a string) or the size (width, height) a create call asks for."""
    if name == "gemini":
        return call.json["generationConfig"]["imageConfig"]["aspectRatio"]
    if name == "stability":
        return call.form["aspect_ratio"]
    if name == "hunyuan":
        w, h = call.json["Resolution"].split(":")
        return int(w), int(h)
    body = call.json
    return body["aspect_ratio"] if "aspect_ratio" in body else (body["width"], body["height"])


def ratio(shape: str | tuple[int, int]) -> float:
    w, h = map(int, shape.split(":")) if isinstance(shape, str) else shape
    return w / h


def test_every_pattern_of_every_table_is_tested():
    for name, models in MODELS.items():
        table = provider(name).models
        first = {next(p for p in table if fnmatch.fnmatchcase(m.lower(), p.lower())) for m in models}
        assert first == set(table), name


@pytest.mark.parametrize("name, model", [(n, m) for n, models in MODELS.items() for m in models])
def test_each_model_is_asked_only_what_it_takes(hosted, name, model):
    p = provider(name)
    ep = Endpoint(name, p.base_url, model, "k")
    rules = p.rules(ep)
    plans = [plan_of(w, h, key=kind, role="cover" if kind == "cover" else "inline")
             for kind, (w, h) in SHAPES.items()]
    for plan in plans:
        shape = sent(name, p.create(plan, ep))
        if rules.aspects:
            assert shape in rules.aspects, (plan.key, shape)
        else:
            assert isinstance(shape, tuple) and rules.accepts(*shape), (plan.key, shape, rules.describe())
    wide = sent(name, p.create(plans[0], ep))
    assert ratio(wide) >= 16 / 9 - 0.01, wide              # a cover gets a wide shape to crop from
    _, cfg = hosted(name, settings={"model": model})
    outs = generate_all(plans, cfg)
    assert all(isinstance(o, GeneratedImage) for o in outs), outs
