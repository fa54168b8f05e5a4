"""The official SDKs, pointed at our fakes, finish a generation: evidence the fakes speak the real
protocols (sdk-behaviour.md). Skipped where the SDK is not installed (it is in the dev extras)."""

from __future__ import annotations

import base64

import pytest
import requests

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
    wide = client.images.generate(model="gpt-image-2", prompt="a red kite", size="1344x576")   # a custom size
    assert wide.size == "1344x576" and check_whole(base64.b64decode(wide.data[0].b64_json), 40_000_000) == (512, 219)
    with pytest.raises(openai.BadRequestError, match="divisible by 16"):
        client.images.generate(model="gpt-image-2", prompt="a red kite", size="1350x576")


def test_openai_sdk_retries_a_429_after_retry_after_and_maps_errors(started):
    openai = pytest.importorskip("openai")
    server = started("openai", retry_after=0.2)
    server.inject("429", "400")
    client = openai.OpenAI(api_key="fake-key", base_url=server.base_url, max_retries=2)
    with pytest.raises(openai.BadRequestError):
        client.images.generate(model="gpt-image-1", prompt="x", size="1024x1024")
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


def test_openai_sdk_generates_against_the_ark_fake(started):
    """Ark documents the OpenAI SDK for Seedream: its fields beyond OpenAI's go in extra_body."""
    openai = pytest.importorskip("openai")
    server = started("seedream")
    client = openai.OpenAI(api_key="fake-key", base_url=server.base_url, max_retries=0)
    resp = client.images.generate(model="doubao-seedream-4-0-250828", prompt="a red kite", size="2048x2048",
                                  response_format="b64_json", extra_body={"watermark": False})
    assert check_whole(base64.b64decode(resp.data[0].b64_json), 40_000_000)[0] > 0
    assert server.seen[0].json["watermark"] is False and server.seen[0].path == "/api/v3/images/generations"


def test_ark_sdk_generates_against_the_fake(started):
    ark = pytest.importorskip("volcenginesdkarkruntime")
    server = started("seedream")
    client = ark.Ark(base_url=server.base_url, api_key="fake-key", max_retries=0)
    resp = client.images.generate(model="doubao-seedream-4-5-251128", prompt="a red kite", size="2928x1264",
                                  watermark=False)
    url = resp.data[0].url
    assert url.startswith(server.url) and resp.data[0].size == "2928x1264"
    assert check_whole(requests.get(url, timeout=10).content, 40_000_000)[0] > 0
    sent = server.seen[0]
    assert sent.json["seed"] is None and sent.json["watermark"] is False            # it sends null for the unset
    from volcenginesdkarkruntime._exceptions import ArkBadRequestError   # not re-exported by the package

    with pytest.raises(ArkBadRequestError) as refused:
        client.images.generate(model="doubao-seedream-4-5-251128", prompt="a red kite", size="1344x576")
    assert refused.value.code == "InvalidParameter"                                 # 0.77 MP: under 4.5's floor


def test_dashscope_sdk_runs_a_task_and_a_multimodal_generation(started, monkeypatch):
    dashscope = pytest.importorskip("dashscope")
    tasks, sync = started("dashscope", polls=2), started("qwen_image")
    monkeypatch.setattr(dashscope, "base_http_api_url", tasks.base_url)   # create and polls (sdk-behaviour #7)
    rsp = dashscope.ImageSynthesis.call(api_key="fake-key", model="wan2.2-t2i-flash", prompt="a red kite",
                                        negative_prompt="text", size="1344*576", n=1, watermark=False)
    assert rsp.status_code == 200 and rsp.output.task_status == "SUCCEEDED"
    assert rsp.output.results[0].url.startswith(tasks.url)
    assert sum(r.path.startswith("/api/v1/tasks/") for r in tasks.seen) >= 2
    monkeypatch.setattr(dashscope, "base_http_api_url", sync.base_url)
    messages = [{"role": "user", "content": [{"text": "a red kite"}]}]
    rsp = dashscope.MultiModalConversation.call(api_key="fake-key", model="qwen-image-plus", messages=messages,
                                                size="1664*928", watermark=False, prompt_extend=False)
    assert rsp.status_code == 200
    url = rsp.output.choices[0].message.content[0]["image"]
    assert url.startswith(sync.url) and check_whole(requests.get(url, timeout=10).content, 40_000_000)[0] > 0
    assert sync.seen[0].json["parameters"]["size"] == "1664*928"
    refused = dashscope.MultiModalConversation.call(api_key="fake-key", model="qwen-image-plus", messages=messages,
                                                    size="1344*576")
    assert refused.status_code == 400 and refused.code == "InvalidParameter"


def test_zhipu_sdk_generates_against_the_fake(started):
    """Zhipu's current SDK, zai-sdk (zhipuai 2.x pins pyjwt < 2.9, which the MCP SDK cannot live with)."""
    zai = pytest.importorskip("zai")
    from zai.core import APIRequestFailedError

    server = started("zhipu")
    client = zai.ZhipuAiClient(api_key="fake-key", base_url=server.base_url, max_retries=0)
    resp = client.images.generations(model="glm-image", prompt="a red kite", size="2048x1024",
                                     watermark_enabled=False)
    assert check_whole(requests.get(resp.data[0].url, timeout=10).content, 40_000_000)[0] > 0
    assert server.seen[0].json["watermark_enabled"] is False
    with pytest.raises(APIRequestFailedError, match="1214"):
        client.images.generations(model="glm-image", prompt="a red kite", size="1360x600")   # 600 is not ÷32
