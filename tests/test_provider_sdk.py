"""The official SDKs, pointed at our fakes, finish a generation: evidence the fakes speak the real
protocols (sdk-behaviour.md). Skipped where the SDK is not installed (it is in the dev extras)."""

from __future__ import annotations

import base64

import pytest

from pipeline.fakes.providers import fake
from pipeline.images.decode import check_whole


@pytest.fixture
def started():
    servers = []

    def start(name: str, **knobs):
        s = fake(name, **knobs).start()
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


def test_openai_sdk_generates_against_the_fake(started):
    openai = pytest.importorskip("openai")
    server = started("openai")
    client = openai.OpenAI(api_key="fake-key", base_url=server.base_url, max_retries=0)
    resp = client.images.generate(model="gpt-image-1", prompt="a red kite", size="1536x1024")
    assert check_whole(base64.b64decode(resp.data[0].b64_json), 40_000_000)[0] > 0
    assert server.seen[0].headers["authorization"] == "Bearer fake-key"


def test_openai_sdk_retries_a_429_after_retry_after_and_maps_errors(started):
    openai = pytest.importorskip("openai")
    server = started("openai", retry_after=0.2)
    server.inject("429", "400")
    client = openai.OpenAI(api_key="fake-key", base_url=server.base_url, max_retries=2)
    with pytest.raises(openai.BadRequestError):
        client.images.generate(model="dall-e-3", prompt="x", size="1024x1024")
    assert len(server.creates()) == 2
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(api_key="wrong", base_url=server.base_url, max_retries=0).images.generate(prompt="x")


def test_openai_sdk_reads_deepinfra_and_siliconflow_shapes(started):
    openai = pytest.importorskip("openai")
    deepinfra, silicon = started("deepinfra"), started("siliconflow")
    di = openai.OpenAI(api_key="fake-key", base_url=deepinfra.base_url + "/openai", max_retries=0)
    assert di.images.generate(model="black-forest-labs/FLUX-1-schnell", prompt="tea", size="1024x1024").data[0].b64_json
    sf = openai.OpenAI(api_key="fake-key", base_url=silicon.base_url, max_retries=0)
    resp = sf.images.generate(model="Kwai-Kolors/Kolors", prompt="tea",
                              extra_body={"image_size": "1024x1024", "batch_size": 1})
    assert resp.data is None and resp.model_extra["images"][0]["url"].startswith(silicon.url)   # finding 9


def test_replicate_sdk_runs_waits_and_polls(started, monkeypatch):
    replicate = pytest.importorskip("replicate")
    monkeypatch.setenv("REPLICATE_POLL_INTERVAL", "0.01")
    server = started("replicate")
    client = replicate.Client(api_token="fake-key", base_url=server.url)
    output = client.run("black-forest-labs/flux-schnell", input={"prompt": "a kite", "aspect_ratio": "16:9"})
    assert isinstance(output[0], str) and output[0].startswith(server.url)   # plain http: a str (finding 3)
    slow = started("replicate", polls=3)
    client = replicate.Client(api_token="fake-key", base_url=slow.url)
    client.poll_interval = 0.01
    assert client.run("black-forest-labs/flux-schnell", input={"prompt": "a kite"})
    assert sum(r.method == "GET" for r in slow.seen) >= 2


def test_replicate_sdk_raises_model_error_for_a_failed_job(started):
    replicate = pytest.importorskip("replicate")
    server = started("replicate", polls=2)
    server.inject("jobfail")
    client = replicate.Client(api_token="fake-key", base_url=server.url)
    client.poll_interval = 0.01
    with pytest.raises(replicate.exceptions.ModelError, match="CUDA out of memory"):
        client.run("black-forest-labs/flux-schnell", input={"prompt": "a kite"})
