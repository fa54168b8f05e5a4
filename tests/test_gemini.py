"""Google Gemini image models against the fake Gemini API: what goes on the wire, how the aspect ratio is
chosen per model, how Google's errors read (a refused key is HTTP 400 API_KEY_INVALID; a 429 says how
long to wait), and answers that carry no image."""

from __future__ import annotations

import json

import pytest
import requests

from pipeline.errors import ProviderError
from pipeline.generate import generate_all, router_for
from pipeline.images.decode import check_whole
from pipeline.models import GeneratedImage
from pipeline.providers import provider
from pipeline.providers.base import Answer, Call, Endpoint

from .conftest import plan_of


def test_generate_content_with_the_key_header_and_the_aspect_ratio(hosted):
    server, cfg = hosted("gemini")
    [out] = generate_all([plan_of()], cfg)
    assert isinstance(out, GeneratedImage), out
    [req] = server.creates()
    assert req.path == "/v1beta/models/gemini-2.5-flash-image:generateContent"
    assert req.headers["x-goog-api-key"] == "fake-key" and "authorization" not in req.headers
    assert req.json == {"contents": [{"role": "user", "parts": [{"text": plan_of().prompt}]}],
                        "generationConfig": {"responseModalities": ["IMAGE"], "imageConfig": {"aspectRatio": "21:9"}}}
    width, height = check_whole(out.data, cfg.images.max_pixels)
    assert 2.2 < width / height < 2.5                       # the fake draws the ratio asked for
    assert out.seed is None                                 # no seed in the image config


@pytest.mark.parametrize("model, shape, aspect", [
    ("gemini-2.5-flash-image", (4000, 500), "21:9"),        # the widest it has
    ("gemini-3.1-flash-image-preview", (4000, 500), "8:1"),  # 3.1 Flash adds 1:4 … 8:1
    ("gemini-3-pro-image-preview", (1024, 1280), "4:5"),
])
def test_each_model_gets_its_nearest_ratio_and_the_fake_draws_it(hosted, model, shape, aspect):
    server, cfg = hosted("gemini", settings={"model": model, "options": {"image_size": "2K"} if "3" in model else {}})
    [out] = generate_all([plan_of(*shape)], cfg)
    assert isinstance(out, GeneratedImage), out
    image = server.creates()[0].json["generationConfig"]["imageConfig"]
    assert image["aspectRatio"] == aspect
    assert image.get("imageSize") == ("2K" if "3" in model else None)


def test_the_fake_refuses_a_ratio_or_size_the_model_does_not_take(hosted):
    server, _ = hosted("gemini")
    url = server.base_url + "/models/gemini-2.5-flash-image:generateContent"
    for image in ({"aspectRatio": "8:1"}, {"aspectRatio": "1:1", "imageSize": "4K"}):
        r = requests.post(url, headers={"x-goog-api-key": "fake-key"}, timeout=10,
                          json={"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"imageConfig": image}})
        assert r.status_code == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_a_refused_key_is_http_400_api_key_invalid_and_reads_as_the_key(hosted, monkeypatch):
    server, cfg = hosted("gemini")
    assert router_for(cfg).check("gemini")[0]
    assert server.seen[-1].path == "/v1beta/models/gemini-2.5-flash-image"
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-wrong")
    r = requests.get(server.base_url + "/models/x", headers={"x-goog-api-key": "AIza-wrong"}, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    ok, message = router_for(cfg.model_copy(deep=True)).check("gemini")        # a new router reads the key anew
    assert not ok and "HTTP 401" in message and "API key not valid" in message and "GEMINI_API_KEY" in message


def test_a_429_waits_the_retry_delay_google_gives(hosted):
    server, cfg = hosted("gemini", retry_after=0.4)
    cfg.providers.backoff_max_s = 5
    server.inject("429")
    [out] = generate_all([plan_of()], cfg)
    first, second = server.creates()
    assert isinstance(out, GeneratedImage) and second.at - first.at >= 0.4
    body = json.dumps({"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}]}}).encode()
    fault = provider("gemini").fault(Answer(429, {}, body))
    assert (fault.status, fault.retry_after) == (429, 37.0) and fault.message.startswith("RESOURCE_EXHAUSTED: quota")


@pytest.mark.parametrize("body, says", [
    ({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}},
     "the prompt was blocked (PROHIBITED_CONTENT): no image"),
    ({"candidates": [{"content": {"parts": [{"text": "I can't draw that."}]}, "finishReason": "STOP"}]},
     "no image in the answer (STOP): the model said “I can't draw that.”"),
    ({"candidates": [{"finishReason": "IMAGE_SAFETY"}]}, "no image in the answer (IMAGE_SAFETY)"),
])
def test_an_answer_without_an_image_is_the_job_failing(body, says):
    p = provider("gemini")
    reply = p.parse(Answer(200, {}, json.dumps(body).encode()), Call("POST", "https://x", step="create"),
                    Endpoint("gemini", p.base_url, p.model, "k"))
    assert reply.error == says and not reply.images


def test_a_text_only_answer_fails_over(hosted):
    server, cfg = hosted("gemini")
    server.inject("empty")
    [err] = generate_all([plan_of()], cfg)
    assert isinstance(err, ProviderError) and "no image in the answer" in str(err) and "the model said" in str(err)
