"""Every provider against its fake, over real HTTP: success, and each fault its protocol can show."""

from __future__ import annotations

import pytest

from pipeline.errors import ProviderError
from pipeline.fakes.providers import FAKES, fake, fake_config, keys_for
from pipeline.generate import generate_all
from pipeline.images.decode import check_whole
from pipeline.models import GeneratedImage, ImagePlan

from .conftest import lines
from pipeline.providers import provider

KEYLESS = ("sdwebui", "comfyui")          # self-hosted servers usually run without a key


def plan(i: int = 0, **kw) -> ImagePlan:
    fields = dict(key=f"inline-{i}", role="inline", prompt=f"a lantern over a river, scene {i}",
                  negative_prompt="text, watermark", style="flat", width=1344, height=576, seed=1000 + i,
                  template="tech", template_version="v1")
    return ImagePlan(**(fields | kw))


@pytest.fixture(params=list(FAKES))
def served(request, tmp_path, monkeypatch):
    """(name, fake, cfg) for each provider, its fake started with fast knobs."""
    name = request.param
    server = fake(name, key=None if name in KEYLESS else f"sk-{name}-test-0123456789",
                  retry_after=0.05, hang_s=2.0, huge_bytes=2_000_000).start()
    for env, value in keys_for({name: server}).items():
        monkeypatch.setenv(env, value)
    cfg = fake_config(tmp_path, {name: server}, cache=False, max_retries=2,
                      settings={name: {"timeout_s": 5}})
    yield name, server, cfg
    server.stop()


def one(cfg, p: ImagePlan | None = None):
    [outcome] = generate_all([p or plan()], cfg)
    return outcome


def test_success_gives_a_checked_image_with_provenance(served):
    name, server, cfg = served
    out = one(cfg)
    assert isinstance(out, GeneratedImage), out
    assert out.provider == name and lines(out) == [f"{name}: ok"]
    width, height = check_whole(out.data, cfg.images.max_pixels)
    assert width >= height                 # a wide image was asked for (Kolors offers square at most)
    assert out.seed == (1000 if provider(name).seeds else None)
    assert len(server.creates()) == 1


@pytest.mark.parametrize("fault", ["429", "500", "502", "503"])
def test_retryable_status_is_retried_then_succeeds(served, fault):
    name, server, cfg = served
    server.inject(fault)
    out = one(cfg)
    assert isinstance(out, GeneratedImage), out
    assert len(server.creates()) == 2
    assert lines(out)[0].startswith(f"{name}: HTTP {fault}, retry 1")


@pytest.mark.parametrize("fault, words", [
    ("400", ["HTTP 400", "check the parameters"]),
    ("401", ["HTTP 401", "key was refused"]),
    ("403", ["HTTP 403", "account"]),
    ("404", ["HTTP 404", "model"]),
])
def test_client_errors_fail_over_at_once_with_advice(served, fault, words):
    name, server, cfg = served
    server.inject(fault)
    err = one(cfg)
    assert isinstance(err, ProviderError)
    text = str(err)
    assert provider(name).label in text and all(w in text for w in words), text
    assert len(server.creates()) == 1                       # never retried
    if fault == "401":
        assert (provider(name).key_env or "") in text


def test_timeout_is_not_resent(served):
    name, server, cfg = served
    cfg.providers.settings[name].timeout_s = 0.5
    server.inject("timeout")
    err = one(cfg)
    assert isinstance(err, ProviderError) and "timed out" in str(err) and "not re-sent" in str(err)
    assert "timeout_s" in str(err)
    assert len(server.creates()) == 1


BAD_ANSWERS = {"malformed": ["answer"], "empty": ["no image"], "truncated": ["truncated"],
               "notimage": ["not an image"], "huge": ["cap"], "expired": ["expired"], "jobfail": ["job failed"]}


def _can_show(name: str, fault: str) -> bool:
    return fault in type(fake(name)).faults_supported


@pytest.mark.parametrize("served, fault", [(name, fault) for name in FAKES for fault in BAD_ANSWERS
                                           if _can_show(name, fault)], indirect=["served"])
def test_bad_answers_are_failures(served, fault):
    """Each fault a provider's protocol can show (no URL faults without URLs, no job faults without jobs)."""
    name, server, cfg = served
    words = BAD_ANSWERS[fault]
    if fault == "huge":
        cfg.providers.max_download_bytes = 1_000_000
    if name == "openai" and fault == "expired":            # only dall-e answers with a URL
        cfg.providers.settings["openai"].model = "dall-e-3"
        cfg.providers.settings["openai"].options = {"input": {"response_format": "url"}}
    server.inject(fault)
    err = one(cfg)
    assert isinstance(err, ProviderError), err
    assert all(w in str(err) for w in words), str(err)
    assert name in str(err)


def test_huge_image_is_refused_by_pixels_when_small_in_bytes(served, tmp_path):
    name, server, cfg = served
    server.huge_bytes = 50_000
    server.inject("huge")
    err = one(cfg)
    assert isinstance(err, ProviderError) and "pixel cap" in str(err), str(err)


def test_different_prompts_give_different_images(served):
    name, server, cfg = served
    a, b = generate_all([plan(1), plan(2)], cfg)
    assert isinstance(a, GeneratedImage) and isinstance(b, GeneratedImage)
    assert a.data != b.data
