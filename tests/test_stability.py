"""Stability AI against the fake Stable Image API: a multipart form (Call.form, sent by the transport), the
image back as bytes (`Accept: image/*`) or base64 JSON, the endpoint and fields per model, and
Stability's errors (a 403 content_moderation is the prompt, not the key)."""

from __future__ import annotations

import json

import pytest
import requests

from pipeline.errors import ProviderError
from pipeline.fakes.providers.stability import form_fields
from pipeline.generate import generate_all, router_for
from pipeline.models import GeneratedImage
from pipeline.providers import provider
from pipeline.providers.base import Answer

from .conftest import plan_of


def test_a_multipart_form_goes_out_and_the_image_bytes_come_back(hosted):
    server, cfg = hosted("stability")
    [out] = generate_all([plan_of()], cfg)
    assert isinstance(out, GeneratedImage), out
    [req] = server.creates()
    assert req.path == "/v2beta/stable-image/generate/core" and req.headers["accept"] == "image/*"
    assert req.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert req.headers["authorization"] == "Bearer fake-key"
    assert form_fields(req) == {"prompt": plan_of().prompt, "aspect_ratio": "21:9", "seed": "20261125",
                                "output_format": "png", "negative_prompt": "text, watermark"}
    assert out.seed == 20261125                                 # from the answer's seed header


def test_sd3_models_post_to_sd3_with_their_name_and_turbo_takes_no_negative_prompt(hosted):
    server, cfg = hosted("stability", settings={"model": "sd3.5-large-turbo", "options": {"accept": "json"}})
    [out] = generate_all([plan_of(1024, 1024)], cfg)
    assert isinstance(out, GeneratedImage), out
    [req] = server.creates()
    fields = form_fields(req)
    assert req.path == "/v2beta/stable-image/generate/sd3" and req.headers["accept"] == "application/json"
    assert fields["model"] == "sd3.5-large-turbo" and fields["aspect_ratio"] == "1:1"
    assert "negative_prompt" not in fields


def test_a_filtered_picture_is_no_image(hosted):
    server, cfg = hosted("stability")
    server.inject("empty")
    [err] = generate_all([plan_of()], cfg)
    assert isinstance(err, ProviderError) and "CONTENT_FILTERED" in str(err)


def test_the_fake_refuses_a_ratio_stability_does_not_list(hosted):
    server, _ = hosted("stability")
    r = requests.post(server.url + "/v2beta/stable-image/generate/ultra", timeout=10,
                      headers={"authorization": "Bearer fake-key", "accept": "image/*"},
                      files={"prompt": (None, "x"), "aspect_ratio": (None, "7:3")})
    assert r.status_code == 400 and r.json()["name"] == "bad_request" and "aspect_ratio" in r.json()["errors"][0]


@pytest.mark.parametrize("status, body, expect", [
    (403, {"id": "a", "name": "content_moderation", "errors": ["Your request was flagged"]}, 400),
    (401, {"id": "b", "name": "unauthorized", "errors": ["Incorrect API key provided"]}, 401),
])
def test_errors_read_stabilitys_shape(status, body, expect):
    fault = provider("stability").fault(Answer(status, {}, json.dumps(body).encode()))
    assert fault.status == expect and fault.message == f"{body['name']}: {body['errors'][0]}"


def test_check_reads_the_account(hosted, monkeypatch):
    server, cfg = hosted("stability")
    assert router_for(cfg).check("stability")[0]
    assert [r.path for r in server.seen] == ["/v1/user/account"]
    monkeypatch.setenv("STABILITY_API_KEY", "sk-wrong")
    ok, message = router_for(cfg.model_copy(deep=True)).check("stability")
    assert not ok and "HTTP 401" in message and "STABILITY_API_KEY" in message
