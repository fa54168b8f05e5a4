"""Tencent Hunyuan image jobs against the fake Tencent Cloud API: every call signed with TC3-HMAC-SHA256,
which the fake recomputes and checks (a wrong SecretKey, a changed body or a stale timestamp is refused);
every error an HTTP 200 with Response.Error, which peitu reads as the status it stands for."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
import requests

from pipeline.errors import ProviderError
from pipeline.generate import generate_all, router_for
from pipeline.models import GeneratedImage
from pipeline.providers import provider
from pipeline.providers.base import Answer
from pipeline.providers.hunyuan import tc3

from .conftest import plan_of

KEY = "AKIDfake0123456789:fake-secret-key-0123456789"


def signed(server, body: dict, *, secret: str = "fake-secret-key-0123456789", skew: int = 0,
           action: str = "QueryHunyuanImageJob", tamper: bool = False) -> requests.Response:
    """A request to the fake signed by peitu's signer, then sent by `requests` (optionally changed after)."""
    payload = json.dumps(body).encode()
    stamp = int(time.time()) + skew
    host = server.url.removeprefix("http://")
    auth = tc3("AKIDfake0123456789", secret, host=host, path="/", payload=payload, timestamp=stamp)
    return requests.post(server.url + "/", data=payload + (b" " if tamper else b""), timeout=10, headers={
        "Content-Type": "application/json", "Authorization": auth, "X-TC-Action": action,
        "X-TC-Version": "2023-09-01", "X-TC-Timestamp": str(stamp), "X-TC-Region": "ap-guangzhou"})


def test_a_job_is_submitted_and_queried_each_call_signed_anew(hosted):
    server, cfg = hosted("hunyuan", key=KEY, polls=3)
    [out] = generate_all([plan_of()], cfg)
    assert isinstance(out, GeneratedImage), out
    [submit] = server.creates()
    assert submit.json == {"Prompt": plan_of().prompt, "Resolution": "1280:720", "Num": 1, "Revise": 0,
                           "LogoAdd": 0, "NegativePrompt": "text, watermark", "Seed": 20261125}
    queries = [r for r in server.seen if r.headers.get("x-tc-action") == "QueryHunyuanImageJob"]
    assert len(queries) == 3 and all(server.authorized(r) for r in [submit, *queries])
    assert submit.headers["authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDfake0123456789/")
    assert "fake-secret-key" not in json.dumps([r.headers for r in server.seen])   # the SecretKey never travels
    assert out.seed == 20261125


@pytest.mark.parametrize("how, code", [({"secret": "another-secret"}, "AuthFailure.SignatureFailure"),
                                       ({"tamper": True}, "AuthFailure.SignatureFailure"),
                                       ({"skew": -600}, "AuthFailure.SignatureExpire")])
def test_the_fake_checks_the_signature_for_real(hosted, how, code):
    server, _ = hosted("hunyuan", key=KEY)
    ok = signed(server, {"JobId": "x"})                      # signed right: only the job is unknown
    assert ok.json()["Response"]["Error"]["Code"] == "ResourceNotFound"
    r = signed(server, {"JobId": "x"}, **how)
    assert r.status_code == 200 and r.json()["Response"]["Error"]["Code"] == code


def test_a_refused_signature_is_the_key_refused_and_not_retried(hosted, monkeypatch):
    server, cfg = hosted("hunyuan", key=KEY)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "not-the-secret")
    [err] = generate_all([plan_of()], cfg.model_copy(deep=True))
    assert isinstance(err, ProviderError) and "HTTP 401" in str(err) and "AuthFailure.SignatureFailure" in str(err)
    assert "TENCENTCLOUD_SECRET_ID+TENCENTCLOUD_SECRET_KEY" in str(err) and "not-the-secret" not in str(err)
    assert len(server.creates()) == 1


def test_check_is_a_signed_query_for_a_made_up_job(hosted, monkeypatch):
    server, cfg = hosted("hunyuan", key=KEY)
    ok, message = router_for(cfg).check("hunyuan")
    assert ok and "HTTP 404" in message, message
    assert [r.headers["x-tc-action"] for r in server.seen] == ["QueryHunyuanImageJob"] and not server.jobs
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDother")
    ok, message = router_for(cfg.model_copy(deep=True)).check("hunyuan")
    assert not ok and "HTTP 401" in message


def test_a_failed_job_says_its_code(hosted):
    server, cfg = hosted("hunyuan", key=KEY)
    server.inject("jobfail")
    [err] = generate_all([plan_of()], cfg)
    assert isinstance(err, ProviderError) and "FailedOperation.EngineServerError" in str(err)


@pytest.mark.parametrize("code, status", [("AuthFailure.SecretIdNotFound", 401), ("AuthFailure.SignatureExpire", 401),
                                          ("AuthFailure.UnauthorizedOperation", 403),
                                          ("RequestLimitExceeded.JobNumExceed", 429), ("LimitExceeded", 429),
                                          ("ResourceUnavailable.InArrears", 403),
                                          ("FailedOperation.ServiceNotActivated", 403),
                                          ("OperationDenied.TextIllegalDetected", 400),
                                          ("InvalidParameterValue.ParameterValueError", 400),
                                          ("InternalError", 500), ("FailedOperation.EngineServerError", 503),
                                          ("SomethingNew", 400)])
def test_tencent_codes_mean_statuses(code, status):
    body = json.dumps({"Response": {"Error": {"Code": code, "Message": "说明"}, "RequestId": "r"}}).encode()
    p = provider("hunyuan")
    assert p.refuses(Answer(200, {}, body)) and not p.refuses(Answer(200, {}, b'{"Response": {"JobId": "j"}}'))
    fault = p.fault(Answer(200, {}, body))
    assert (fault.status, fault.message) == (status, f"{code}: 说明")


def test_the_signature_is_tencents_own():
    """peitu's signer gives the signature the official SDK computes for the same request."""
    sign = pytest.importorskip("tencentcloud.common.sign").Sign
    payload = json.dumps({"Prompt": "雨中, 竹林, 小路"}, ensure_ascii=False).encode()
    canonical = ("POST\n/\n\ncontent-type:application/json\nhost:hunyuan.tencentcloudapi.com\n\ncontent-type;host\n"
                 + hashlib.sha256(payload).hexdigest())
    text = ("TC3-HMAC-SHA256\n1764036000\n2025-11-25/hunyuan/tc3_request\n"
            + hashlib.sha256(canonical.encode()).hexdigest())
    auth = tc3("AKIDx", "secret", host="hunyuan.tencentcloudapi.com", path="/", payload=payload, timestamp=1764036000)
    assert auth.endswith("Signature=" + sign.sign_tc3("secret", "2025-11-25", "hunyuan", text))


def test_the_fake_refuses_a_resolution_hunyuan_does_not_list(hosted):
    server, _ = hosted("hunyuan", key=KEY)
    r = signed(server, {"Prompt": "雨中", "Resolution": "1344:576"}, action="SubmitHunyuanImageJob")
    assert r.json()["Response"]["Error"]["Code"] == "InvalidParameterValue" and not server.jobs
