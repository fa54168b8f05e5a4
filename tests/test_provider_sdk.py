"""The official SDKs, pointed at our fakes, finish a generation: evidence the fakes speak the real
protocols (sdk-behaviour.md). Skipped where the SDK is not installed (it is in the dev extras)."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from pipeline.fakes.providers import fake
from pipeline.fakes.providers.base import ANY
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
    from volcenginesdkarkruntime._exceptions import ArkBadRequestError  # not re-exported by the package

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

# ── huggingface_hub, fal-client, google-genai, tencentcloud-sdk-python: each against a fake that takes any key ──

def test_huggingface_hub_text_to_image_against_the_fake(started):
    hub = pytest.importorskip("huggingface_hub")
    server = started("huggingface", key=ANY)
    client = hub.InferenceClient(model=server.url + "/models/black-forest-labs/FLUX.1-schnell", token="hf_made_up")
    image = client.text_to_image("a red kite over a river", width=1024, height=576, seed=3)
    assert image.size == (512, 288)                          # PIL opened the fake's PNG
    [req] = server.seen
    assert req.headers["authorization"] == "Bearer hf_made_up"
    assert req.json == {"inputs": "a red kite over a river", "parameters": {"height": 576, "width": 1024, "seed": 3}}


def test_fal_client_run_uses_the_sync_host_and_subscribe_the_queue(started, monkeypatch):
    fal_client = pytest.importorskip("fal_client")
    server = started("fal", key=ANY, polls=2)
    monkeypatch.setattr(fal_client.client, "RUN_URL_FORMAT", server.run_url + "/")    # plain http (finding 6)
    monkeypatch.setattr(fal_client.client, "QUEUE_URL_FORMAT", server.url + "/")
    client = fal_client.SyncClient(key="made-up-key")
    args = {"prompt": "a kite", "image_size": {"width": 1024, "height": 576}, "seed": 5}
    ran = client.run("fal-ai/flux/schnell", arguments=args)
    assert ran["seed"] == 5 and ran["images"][0]["url"].startswith(server.url + "/files/")
    assert [(r.port, r.path) for r in server.seen] == [(int(server.run_url.rsplit(":", 1)[1]), "/fal-ai/flux/schnell")]
    queued = client.subscribe("fal-ai/flux/schnell", arguments=args | {"prompt": "another kite"})
    assert queued["images"][0]["url"].startswith(server.url + "/files/")
    paths = [r.path for r in server.seen[1:]]
    assert paths[0] == "/fal-ai/flux/schnell" and paths[-1].startswith("/fal-ai/flux/requests/")
    assert sum(p.endswith("/status") for p in paths) >= 2
    assert all(r.headers["authorization"] == "Key made-up-key" for r in server.seen)


def test_google_genai_generate_content_with_an_image_model(started, monkeypatch):
    genai = pytest.importorskip("google.genai")
    types = pytest.importorskip("google.genai.types")
    for env in ("GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL"):
        monkeypatch.delenv(env, raising=False)
    server = started("gemini", key=ANY)
    config = types.GenerateContentConfig(response_modalities=["IMAGE"],
                                         image_config=types.ImageConfig(aspect_ratio="21:9"))
    for version in ("v1", "v1beta"):                         # google-genai 3 defaults to v1 (finding 10)
        client = genai.Client(api_key="AIza-made-up", vertexai=False,
                              http_options=types.HttpOptions(base_url=server.url, api_version=version, timeout=10_000))
        resp = client.models.generate_content(model="gemini-2.5-flash-image", contents="a red kite", config=config)
        [part] = [p for p in resp.parts if p.inline_data]
        assert part.inline_data.mime_type == "image/png"
        assert check_whole(part.inline_data.data, 40_000_000) == (512, 216)   # 1552×656 (21:9 at 1K), drawn at 512 wide
    assert [r.path for r in server.seen] == ["/v1/models/gemini-2.5-flash-image:generateContent",
                                             "/v1beta/models/gemini-2.5-flash-image:generateContent"]
    assert all(r.headers["x-goog-api-key"] == "AIza-made-up" for r in server.seen)
    with pytest.raises(genai.errors.ClientError) as refused:                  # 8:1 is 3.1 Flash's only
        client.models.generate_content(model="gemini-2.5-flash-image", contents="x", config=types.GenerateContentConfig(
            image_config=types.ImageConfig(aspect_ratio="8:1")))
    assert refused.value.code == 400 and refused.value.status == "INVALID_ARGUMENT"


def test_tencentcloud_sdk_runs_a_hunyuan_job_the_fake_verified(started):
    pytest.importorskip("tencentcloud.hunyuan")
    from tencentcloud.common import credential
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.hunyuan.v20230901 import hunyuan_client, models

    server = started("hunyuan", key="AKIDsdk0123:sdk-secret-0123", polls=2)
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=server.url.removeprefix("http://")))

    def client(secret: str):
        return hunyuan_client.HunyuanClient(credential.Credential("AKIDsdk0123", secret), "ap-guangzhou", profile)

    submit = models.SubmitHunyuanImageJobRequest()
    submit.from_json_string(json.dumps({"Prompt": "雨中, 竹林, 小路", "Resolution": "1280:720", "LogoAdd": 0}))
    query = models.QueryHunyuanImageJobRequest()
    query.JobId = client("sdk-secret-0123").SubmitHunyuanImageJob(submit).JobId
    statuses = []
    while not statuses or statuses[-1].JobStatusCode not in ("4", "5"):
        statuses.append(client("sdk-secret-0123").QueryHunyuanImageJob(query))
    assert [s.JobStatusCode for s in statuses] == ["1", "5"]
    image = requests.get(statuses[-1].ResultImage[0], timeout=10).content
    assert check_whole(image, 40_000_000) == (512, 288)
    with pytest.raises(TencentCloudSDKException) as refused:
        client("not-the-secret").QueryHunyuanImageJob(query)
    assert refused.value.get_code() == "AuthFailure.SignatureFailure"
