"""The fakes' keys: `key=ANY` (and `--any-key` for a fake in its own process) accepts any key in the
provider's own form, so an official SDK can be pointed at a fake without knowing its key; a request
with no key is still refused. A key in two parts (Tencent, Kling) comes from two variables."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from pipeline.fakes.providers import FAKES, fake, keys_for
from pipeline.fakes.providers.base import ANY
from pipeline.generate import generate_all
from pipeline.models import GeneratedImage
from pipeline.providers import provider
from pipeline.providers.base import Endpoint
from pipeline.secrets import get_secret, redact

from .conftest import plan_of

KEYED = [n for n in FAKES if provider(n).key_required]


@pytest.mark.parametrize("name", KEYED)
def test_any_key_is_accepted_in_the_providers_own_form(hosted, name):
    server, cfg = hosted(name, key=ANY)
    values = keys_for({name: server})
    assert all(v.startswith("any-") for v in values.values()) and len(values) == provider(name).key_env.count("+") + 1
    [out] = generate_all([plan_of()], cfg)
    assert isinstance(out, GeneratedImage), out
    assert all(server.authorized(r) for r in server.creates())


@pytest.mark.parametrize("name", KEYED)
def test_any_key_still_refuses_a_request_without_one(hosted, name):
    server, _ = hosted(name, key=ANY)
    p = provider(name)
    call = p.create(plan_of(), Endpoint(name, server.base_url, p.model, None))
    body, content_type = call.payload()
    r = requests.request(call.method, call.url, headers=call.headers | content_type, data=body, timeout=10)
    assert r.status_code in (400, 401, 403) or '"AuthFailure' in r.text, (r.status_code, r.text[:200])
    assert not server.jobs and not server.files


def test_any_key_on_the_command_line():
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.fakes.providers", "openai", "bfl", "--any-key"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = {name: (url, key) for name, url, key in (proc.stdout.readline().split() for _ in range(2))}
        assert lines["openai"][1] == lines["bfl"][1] == ANY
        ok = requests.get(lines["openai"][0] + "/models", headers={"Authorization": "Bearer sk-made-up"}, timeout=10)
        bad = requests.get(lines["openai"][0] + "/models", timeout=10)
        credits = requests.get(lines["bfl"][0] + "/credits", headers={"x-key": "whatever"}, timeout=10)
        assert (ok.status_code, bad.status_code, credits.status_code) == (200, 401, 200)
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def test_a_key_in_two_parts_comes_from_two_variables(monkeypatch):
    monkeypatch.setenv("PEITU_T_ID", "AKID-two-parts")
    monkeypatch.delenv("PEITU_T_SECRET", raising=False)
    assert get_secret("PEITU_T_ID+PEITU_T_SECRET") is None                 # both, or no key
    monkeypatch.setenv("PEITU_T_SECRET", "secret-two-parts")
    assert get_secret("PEITU_T_ID+PEITU_T_SECRET") == "AKID-two-parts:secret-two-parts"
    assert redact("id AKID-two-parts, key secret-two-parts") == "id ***, key ***"


def test_keys_for_splits_a_two_part_key_between_its_variables():
    server = fake("hunyuan", key="AKID1:sk1")
    assert keys_for({"hunyuan": server}) == {"TENCENTCLOUD_SECRET_ID": "AKID1", "TENCENTCLOUD_SECRET_KEY": "sk1"}
    server = fake("kling", key="one-key")
    assert keys_for({"kling": server}) == {"KLING_ACCESS_KEY": "one-key", "KLING_SECRET_KEY": "one-key"}
