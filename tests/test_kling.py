"""Kling 可灵 against the fake Kling API: an HS256 JWT made from the AccessKey and SecretKey on every call
(checked by the fake with PyJWT), an async task polled to the end, and Kling's business codes (1100–1102
come as HTTP 429 but are the account: no retry)."""

from __future__ import annotations

import json
import time

import pytest
import requests

from pipeline.errors import ProviderError
from pipeline.generate import generate_all, router_for
from pipeline.models import GeneratedImage
from pipeline.providers import provider
from pipeline.providers.base import Answer
from pipeline.providers.kling import token

from .conftest import plan_of

KEY = "ak-fake-0123456789:sk-fake-secret-0123456789abcdefghij"


def test_a_task_with_a_jwt_on_every_call(hosted):
    jwt = pytest.importorskip("jwt")
    server, cfg = hosted("kling", key=KEY, polls=2)
    [out] = generate_all([plan_of()], cfg)
    assert isinstance(out, GeneratedImage), out
    [create] = server.creates()
    assert create.json == {"model_name": "kling-v2-1", "prompt": plan_of().prompt, "n": 1, "resolution": "1k",
                           "aspect_ratio": "21:9", "watermark_info": {"enabled": False},
                           "negative_prompt": "text, watermark"}
    polls = [r for r in server.seen if r.method == "GET" and r.path.startswith("/v1/images/generations/")]
    assert len(polls) == 2
    for r in [create, *polls]:
        claims = jwt.decode(r.headers["authorization"].removeprefix("Bearer "), KEY.split(":")[1],
                            algorithms=["HS256"], issuer=KEY.split(":")[0])
        assert claims["exp"] - claims["nbf"] == 1805 and abs(claims["nbf"] + 5 - time.time()) < 60
    assert out.seed is None


@pytest.mark.parametrize("made, code", [(lambda: token("ak-fake-0123456789", "wrong", time.time()), 1002),
                                        (lambda: token("ak-other", KEY.split(":")[1], time.time()), 1002),
                                        (lambda: token(*KEY.split(":"), time.time() - 3600), 1004),
                                        (lambda: token(*KEY.split(":"), time.time() + 3600), 1003)])
def test_the_fake_refuses_a_token_kling_would_refuse(hosted, made, code):
    server, _ = hosted("kling", key=KEY)
    r = requests.get(server.url + "/v1/images/generations", headers={"Authorization": f"Bearer {made()}"},
                     timeout=10)
    assert r.status_code == 401 and r.json()["code"] == code


def test_a_wrong_secret_is_the_key_refused(hosted, monkeypatch):
    _, cfg = hosted("kling", key=KEY)
    assert router_for(cfg).check("kling")[0]
    monkeypatch.setenv("KLING_SECRET_KEY", "not-it")
    [err] = generate_all([plan_of()], cfg.model_copy(deep=True))
    assert isinstance(err, ProviderError) and "HTTP 401" in str(err) and "KLING_ACCESS_KEY+KLING_SECRET_KEY" in str(err)


def test_a_failed_task_says_why(hosted):
    server, cfg = hosted("kling")
    server.inject("jobfail")
    [err] = generate_all([plan_of()], cfg)
    assert isinstance(err, ProviderError) and "task failed: generation failed (injected)" in str(err)


@pytest.mark.parametrize("http, code, status", [(429, 1302, 429), (429, 1303, 429), (429, 1102, 402),
                                                (429, 1101, 402), (403, 1103, 403), (400, 1301, 400),
                                                (404, 1203, 404), (401, 1004, 401), (500, 5000, 500),
                                                (200, 1201, 400)])
def test_kling_codes_mean_statuses(http, code, status):
    body = json.dumps({"code": code, "message": "说明", "request_id": "r"}).encode()
    p = provider("kling")
    assert p.fault(Answer(http, {}, body)).status == status
    assert p.refuses(Answer(200, {}, body)) and not p.refuses(Answer(200, {}, b'{"code": 0, "data": {}}'))


def test_the_fake_refuses_a_ratio_kling_does_not_list(hosted):
    server, _ = hosted("kling", key=KEY)
    r = requests.post(server.url + "/v1/images/generations", timeout=10, json={"prompt": "x", "aspect_ratio": "5:4"},
                      headers={"Authorization": f"Bearer {token(*KEY.split(':'), time.time())}"})
    assert r.status_code == 400 and r.json()["code"] == 1201 and not server.jobs
