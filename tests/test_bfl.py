"""Black Forest Labs FLUX against the fake BFL API: submit with x-key, poll the polling_url, fetch the result
from the delivery host (another origin: the fake's second port) without the key; sizes per model."""

from __future__ import annotations

import pytest
import requests

from pipeline.errors import ProviderError
from pipeline.generate import generate_all, router_for
from pipeline.models import GeneratedImage

from .conftest import plan_of


def test_submit_poll_and_fetch_the_delivery_url_without_the_key(hosted):
    server, cfg = hosted("bfl", polls=2)
    [out] = generate_all([plan_of()], cfg)
    assert isinstance(out, GeneratedImage), out
    [create] = server.creates()
    assert create.path == "/v1/flux-2-pro" and create.headers["x-key"] == "fake-key"
    assert create.json == {"prompt": plan_of().prompt, "seed": 20261125, "output_format": "png",
                           "width": 1344, "height": 576}
    polls = [r for r in server.seen if r.path == "/v1/get_result"]
    assert len(polls) == 2 and all(r.query["id"] for r in polls)
    delivery = server.delivery_url.rsplit(":", 1)[1]
    [download] = [r for r in server.seen if r.path.startswith("/files/")]
    assert str(download.port) == delivery                      # from the delivery host …
    assert "x-key" not in download.headers                     # … which never gets the key
    assert out.seed == 20261125                                # as the result reports it


@pytest.mark.parametrize("model, sent", [("flux-pro-1.1-ultra", {"aspect_ratio": "21:9"}),
                                         ("flux-kontext-pro", {"aspect_ratio": "21:9"}),
                                         ("flux-pro-1.1", {"width": 1344, "height": 576}),
                                         ("flux-dev", {"width": 1344, "height": 576})])
def test_each_model_is_asked_in_its_own_terms(hosted, model, sent):
    server, cfg = hosted("bfl", settings={"model": model})
    [out] = generate_all([plan_of()], cfg)
    assert isinstance(out, GeneratedImage), out
    body = server.creates()[0].json
    assert {k: body[k] for k in sent} == sent and not ({"width", "aspect_ratio"} - set(sent)) & set(body)


@pytest.mark.parametrize("model, body", [("flux-2-pro", {"width": 1000, "height": 576}),       # not ×16
                                         ("flux-2-pro", {"width": 2048, "height": 2064}),      # over 4 MP
                                         ("flux-pro-1.1", {"width": 1536, "height": 640}),     # over 1440
                                         ("flux-pro-1.1-ultra", {"aspect_ratio": "3:1"})])     # wider than 21:9
def test_the_fake_refuses_sizes_the_model_does_not_take(hosted, model, body):
    server, _ = hosted("bfl")
    r = requests.post(f"{server.base_url}/{model}", json={"prompt": "x", **body}, headers={"x-key": "fake-key"},
                      timeout=10)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "value_error"


def test_a_moderated_or_failed_job_fails_over_with_its_status(hosted):
    server, cfg = hosted("bfl")
    server.inject("jobfail")
    [err] = generate_all([plan_of()], cfg)
    assert isinstance(err, ProviderError) and "the job failed: Error (error: Generation failed" in str(err)


def test_check_reads_the_credits_and_a_wrong_key_is_refused(hosted, monkeypatch):
    server, cfg = hosted("bfl")
    ok, message = router_for(cfg).check("bfl")
    assert ok, message
    assert [r.path for r in server.seen] == ["/v1/credits"] and not server.jobs
    monkeypatch.setenv("BFL_API_KEY", "bfl-wrong")
    ok, message = router_for(cfg.model_copy(deep=True)).check("bfl")
    assert not ok and "HTTP 401" in message and "BFL_API_KEY" in message
