"""What each provider puts on the wire (read back from its fake), how it maps sizes and seeds,
how async APIs are polled, how provider error codes are read, `check` calls, and how wrongly shaped
answers and options are refused (tests/test_provider_fuzz.py fuzzes the same over every provider)."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
import requests

from pipeline.errors import ConfigError
from pipeline.fakes.providers import fake, fake_config, keys_for
from pipeline.generate import generate_all, router_for
from pipeline.models import GeneratedImage, ImagePlan
from pipeline.providers import provider
from pipeline.providers.base import Answer, Call, Endpoint, Malformed
from pipeline.providers.zhipu import status_of

COVER = dict(key="cover", role="cover", prompt="山水之间的一座桥, flat illustration", negative_prompt="text, watermark",
             style="flat", width=1344, height=576, seed=20261125, template="travel", template_version="t1")


@pytest.fixture
def run(tmp_path, monkeypatch):
    """run(name, **knobs) → (fake, outcome of one cover plan, request body of its create)."""
    started = []

    def go(name: str, plan: dict | None = None, settings: dict | None = None, faults: tuple = (), **knobs):
        server = fake(name, **knobs).start()
        server.inject(*faults)
        started.append(server)
        for env, value in keys_for({name: server}).items():
            monkeypatch.setenv(env, value)
        cfg = fake_config(tmp_path, {name: server}, cache=False, settings={name: settings or {}})
        [out] = generate_all([ImagePlan(**(COVER | (plan or {})))], cfg)
        creates = server.creates()
        return server, out, creates[0] if creates else None

    yield go
    for s in started:
        s.stop()


def test_huggingface_sends_inputs_and_parameters_with_png_accept(run):
    server, out, req = run("huggingface")
    assert req.path == "/models/black-forest-labs/FLUX.1-schnell"
    assert req.headers["authorization"] == "Bearer fake-key" and req.headers["accept"] == "image/png"
    assert req.json == {"inputs": COVER["prompt"], "parameters": {"negative_prompt": "text, watermark",
                                                                  "width": 1344, "height": 576, "seed": 20261125}}
    assert out.seed == 20261125


def test_huggingface_waits_for_a_loading_model(run):
    server, out, req = run("huggingface", faults=("503",), retry_after=0.3)
    first, second = server.creates()
    assert isinstance(out, GeneratedImage) and second.at - first.at >= 0.3   # its estimated_time


def test_replicate_prefers_wait_and_maps_the_aspect_ratio(run):
    server, out, req = run("replicate")
    assert req.path == "/v1/models/black-forest-labs/flux-schnell/predictions"
    assert req.headers["prefer"] == "wait=30"
    assert req.json["input"] == {"prompt": COVER["prompt"], "seed": 20261125, "num_outputs": 1,
                                      "output_format": "png", "aspect_ratio": "21:9"}
    assert out.provider == "replicate" and out.seed == 20261125


def test_replicate_polls_a_prediction_that_is_still_starting(run):
    server, out, req = run("replicate", polls=3)
    polls = [r for r in server.seen if r.method == "GET" and r.path.startswith("/v1/predictions/")]
    assert isinstance(out, GeneratedImage) and len(polls) == 3


def test_replicate_versioned_model_posts_the_version(run):
    server, out, req = run("replicate", settings={"model": "owner/sdxl:abc123", "options": {"size": "pixels"}})
    assert req.path == "/v1/predictions" and req.json["version"] == "abc123"
    assert req.json["input"]["width"] == 1344 and req.json["input"]["negative_prompt"] == "text, watermark"


def test_deepinfra_uses_its_openai_compatible_path(run):
    server, out, req = run("deepinfra")
    assert req.path == "/v1/openai/images/generations"
    assert req.json == {"model": "black-forest-labs/FLUX-1-schnell", "prompt": COVER["prompt"], "size": "1344x576",
                        "n": 1}
    assert isinstance(out, GeneratedImage) and out.seed is None          # this path takes no seed


def test_fal_queue_polls_status_on_owner_app_then_gets_the_result(run):
    server, out, req = run("fal", polls=2)
    assert req.headers["authorization"] == "Key fake-key" and req.path == "/fal-ai/flux/schnell"
    assert req.json["image_size"] == {"width": 1344, "height": 576}
    gets = [r.path for r in server.seen if r.method == "GET"]
    status = [p for p in gets if p.endswith("/status")]
    assert len(status) == 2 and all(p.startswith("/fal-ai/flux/requests/") for p in status)
    assert any(p.startswith("/fal-ai/flux/requests/") and not p.endswith("/status") for p in gets)
    assert out.seed == 20261125


@pytest.mark.parametrize("model, size", [("gpt-image-2", "1344x576"), ("gpt-image-1", "1536x1024"),
                                         ("gpt-image-1.5", "1536x1024")])
def test_openai_maps_sizes_per_model_and_sends_no_seed(run, model, size):
    server, out, req = run("openai", settings={"model": model})
    assert req.json == {"model": model, "prompt": COVER["prompt"], "n": 1, "size": size}
    assert isinstance(out, GeneratedImage) and out.seed is None


def test_openai_fake_refuses_the_retired_dall_e_models(run):
    server, out, req = run("openai", settings={"model": "dall-e-3"})
    assert "HTTP 404" in str(out) and "deprecated" in str(out)


def test_siliconflow_kolors_takes_a_recommended_size(run):
    server, out, req = run("siliconflow")
    assert req.json["model"] == "Kwai-Kolors/Kolors" and req.json["image_size"] == "1024x1024"
    assert req.json["seed"] == 20261125 and req.json["batch_size"] == 1
    assert out.seed == 20261125


def test_dashscope_is_async_and_polls_the_task(run):
    server, out, req = run("dashscope", polls=3)
    assert req.headers["x-dashscope-async"] == "enable"
    assert req.json["parameters"] == {"size": "1344*576", "n": 1, "seed": 20261125, "watermark": False}
    assert req.json["input"]["negative_prompt"] == "text, watermark"
    polls = [r for r in server.seen if r.method == "GET" and r.path.startswith("/api/v1/tasks/")]
    assert isinstance(out, GeneratedImage) and len(polls) == 3


def test_dashscope_fake_refuses_synchronous_calls(run):
    server = fake("dashscope").start()
    try:
        r = requests.post(server.base_url + "/services/aigc/text2image/image-synthesis",
                          headers={"Authorization": "Bearer fake-key"}, json={"model": "m", "input": {"prompt": "x"}})
    finally:
        server.stop()
    assert r.status_code == 403 and "does not support synchronous calls" in r.json()["message"]


def test_zhipu_cogview_takes_the_plan_size(run):
    server, out, req = run("zhipu")
    assert req.json == {"model": "cogview-3-flash", "prompt": COVER["prompt"], "size": "1344x576"}
    assert out.seed is None


def test_zhipu_glm_image_takes_sides_of_32_and_turns_the_watermark_off(run):
    server, out, req = run("zhipu", settings={"model": "glm-image"})
    assert req.json == {"model": "glm-image", "prompt": COVER["prompt"], "size": "2048x1024",
                        "watermark_enabled": False}
    assert isinstance(out, GeneratedImage)


def test_wizmodel_posts_version_and_input(run):
    server, out, req = run("wizmodel")
    assert req.json["version"] == provider("wizmodel").model and req.json["input"]["prompt"] == COVER["prompt"]
    assert isinstance(out, GeneratedImage)


def test_sdwebui_basic_auth_and_seed_from_info(run):
    server, out, req = run("sdwebui", key="editor:gpu-box-pass")
    assert req.headers["authorization"] == "Basic " + base64.b64encode(b"editor:gpu-box-pass").decode()
    assert req.json["seed"] == 20261125 and (req.json["width"], req.json["height"]) == (1024, 440)
    assert out.seed == 20261125


def test_comfyui_fills_the_workflow_and_fetches_the_view(run, tmp_path):
    workflow = tmp_path / "wf.json"
    graph = {"1": {"class_type": "CLIPTextEncode", "inputs": {"text": "$prompt"}},
             "2": {"class_type": "KSampler", "inputs": {"seed": "$seed"}},
             "3": {"class_type": "EmptyLatentImage", "inputs": {"width": "$width", "height": "$height"}},
             "4": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x"}}}
    workflow.write_text(json.dumps(graph), encoding="utf-8")
    server, out, req = run("comfyui", polls=2, settings={"options": {"workflow": str(workflow)}})
    sent = req.json["prompt"]
    assert sent["1"]["inputs"]["text"] == COVER["prompt"] and sent["2"]["inputs"]["seed"] == 20261125
    assert any(r.path == "/view" for r in server.seen)
    assert isinstance(out, GeneratedImage)


def test_https_only_unless_allowed(run):
    server, out, req = run("openai", settings={"allow_http": False})
    assert req is None and server.seen == []                 # nothing left the machine
    assert "only https is allowed" in str(out) and "allow_http" in str(out)


def test_replicate_asks_the_ratio_closest_to_the_plan():
    rules = provider("replicate").rules(Endpoint("replicate", "https://x", "m", "k"))
    assert rules.aspect(900, 383) == "21:9" and rules.aspect(383, 383) == "1:1"


def test_seedream_turns_the_watermark_off_and_takes_the_size_its_version_allows(run):
    server, out, req = run("seedream")
    assert req.headers["authorization"] == "Bearer fake-key" and req.path == "/api/v3/images/generations"
    assert req.json == {"model": "doubao-seedream-4-5-251128", "prompt": COVER["prompt"], "size": "2928x1264",
                        "response_format": "url", "watermark": False}          # ≥ 3.69 MP, no seed on 4.5
    assert isinstance(out, GeneratedImage) and out.seed is None
    server, out, req = run("seedream", settings={"model": "doubao-seedream-3-0-t2i-250415"})
    assert req.json["size"] == "1344x576" and req.json["seed"] == 20261125 and out.seed == 20261125


def test_seedream_reads_a_refused_image_in_a_200():
    body = json.dumps({"model": "m", "created": 1, "data": [{"error": {"code": "OutputImageSensitiveContentDetected",
                                                                      "message": "refused"}}]}).encode()
    reply = provider("seedream").parse(Answer(200, {}, body), Call("POST", "https://x"), endpoint("seedream"))
    assert reply.error == "OutputImageSensitiveContentDetected: refused"


def test_qwen_image_sends_one_user_message_and_reads_the_choice(run):
    server, out, req = run("qwen_image", polls=3)
    assert req.path == "/api/v1/services/aigc/multimodal-generation/generation"
    assert "x-dashscope-async" not in req.headers                         # synchronous
    assert req.json == {"model": "qwen-image-plus",
                        "input": {"messages": [{"role": "user", "content": [{"text": COVER["prompt"]}]}]},
                        "parameters": {"size": "1664*928", "n": 1, "seed": 20261125,
                                       "negative_prompt": "text, watermark", "prompt_extend": False,
                                       "watermark": False}}
    assert isinstance(out, GeneratedImage) and len(server.seen) == 2      # the call, then its image URL


def test_qwen_image_runs_wan26_at_its_pixel_bounds(run):
    server, out, req = run("qwen_image", settings={"model": "wan2.6-t2i"})
    w, h = map(int, req.json["parameters"]["size"].split("*"))
    assert 1280 * 1280 <= w * h <= 1440 * 1440 and 2.2 <= w / h <= 2.4
    assert isinstance(out, GeneratedImage)


def test_minimax_sends_width_and_height_and_reads_base64(run):
    server, out, req = run("minimax")
    assert req.path == "/v1/image_generation" and req.headers["authorization"] == "Bearer fake-key"
    assert req.json == {"model": "image-01", "prompt": COVER["prompt"], "n": 1, "response_format": "base64",
                        "seed": 20261125, "prompt_optimizer": False, "aigc_watermark": False,
                        "width": 1344, "height": 576}
    assert isinstance(out, GeneratedImage) and out.seed == 20261125 and len(server.seen) == 1


def test_minimax_live_asks_a_ratio(run):
    server, out, req = run("minimax", settings={"model": "image-01-live"})
    assert req.json["aspect_ratio"] == "16:9" and "width" not in req.json
    assert isinstance(out, GeneratedImage)


@pytest.mark.parametrize("code, says, status", [(1002, "rate limited", 429), (1004, "MINIMAX_API_KEY", 401),
                                                (1026, "sensitive", 400), (1008, "balance", 403)])
def test_minimax_reads_base_resp(code, says, status):
    body = json.dumps({"id": "x", "base_resp": {"status_code": code, "status_msg": "m"}}).encode()
    p, call = provider("minimax"), Call("POST", "https://x")
    assert says in p.parse(Answer(200, {}, body), call, endpoint("minimax")).error     # MiniMax's own: HTTP 200
    fault = p.fault(Answer(500, {}, body))                                            # …or behind a gateway
    assert says in fault.message and fault.status == status
    unknown = json.dumps({"base_resp": {"status_code": 1000, "status_msg": "unknown error"}}).encode()
    assert p.fault(Answer(502, {}, unknown)).status == 502                           # the gateway's status stands


@pytest.mark.parametrize("code, http, expect", [("1302", 429, 429), ("1301", 400, 400), ("1113", 429, 403),
                                                ("1002", 401, 401), ("1211", 400, 404), ("9999", 500, 500)])
def test_zhipu_codes_mean_statuses(code, http, expect):
    assert status_of(code, http) == expect
    body = json.dumps({"error": {"code": code, "message": "m"}}).encode()
    assert provider("zhipu").fault(Answer(http, {}, body)).status == expect


def test_dashscope_throttling_code_is_a_429():
    body = json.dumps({"code": "Throttling.RateQuota", "message": "slow down", "request_id": "r"}).encode()
    fault = provider("dashscope").fault(Answer(400, {}, body))
    assert fault.status == 429 and "Throttling.RateQuota" in fault.message


@pytest.mark.parametrize("name", ["openai", "replicate", "fal", "dashscope", "zhipu", "siliconflow", "deepinfra",
                                  "sdwebui", "comfyui", "wizmodel", "seedream", "qwen_image", "minimax"])
def test_check_is_one_cheap_authenticated_call(name, tmp_path, monkeypatch):
    server = fake(name, key="sk-check-1234" if name not in ("sdwebui", "comfyui") else None).start()
    try:
        for env, value in keys_for({name: server}).items():
            monkeypatch.setenv(env, value)
        cfg = fake_config(tmp_path, {name: server})
        ok, message = router_for(cfg).check(name)
        assert ok, message
        assert len(server.seen) == 1 and not server.files and not server.jobs     # no image made
        if server.key:
            monkeypatch.setenv(provider(name).key_env, "sk-wrong")
            cfg2 = fake_config(tmp_path, {name: server})
            ok, message = router_for(cfg2).check(name)
            assert not ok and "HTTP 401" in message and provider(name).key_env in message
    finally:
        server.stop()


def test_huggingface_check_uses_the_hub(tmp_path, monkeypatch):
    server = fake("huggingface").start()
    try:
        monkeypatch.setenv("HF_TOKEN", "fake-key")
        cfg = fake_config(tmp_path, {"huggingface": server},
                          settings={"huggingface": {"options": {"hub_url": server.url}}})
        assert router_for(cfg).check("huggingface")[0]
        assert server.seen[0].path == "/api/whoami-v2"
    finally:
        server.stop()


def test_endpoint_defaults_come_from_the_provider():
    p = provider("dashscope")
    call = p.create(ImagePlan(**COVER), Endpoint("dashscope", p.base_url, p.model, "k"))
    assert call.url == "https://dashscope.aliyuncs.com/api/v1/services/aigc/text2image/image-synthesis"


# ── wrongly shaped answers and options ─────────────────────────────────────────────────

def endpoint(name: str, **options) -> Endpoint:
    p = provider(name)
    return Endpoint(name, p.base_url, p.model, "k", options)


HOSTILE = [   # (provider, step, 2xx body, what the Malformed message says)
    ("openai", "create", {"data": {"url": 5}}, "'data': Input should be a valid array"),
    ("openai", "create", {"data": [{"url": "ftp://cdn.example.com/i.png"}]}, "'data.0.url': not an http(s) URL"),
    ("openai", "create", {"data": [{"b64_json": "not base64!"}]}, "'data.0.b64_json': not valid base64"),
    ("openai", "create", {"data": []}, "'data' is empty: no image"),
    ("openai", "create", [{"data": []}], "not a JSON object"),
    ("openai", "create", b"<html>502 Bad Gateway</html>", "not JSON"),
    ("zhipu", "create", {"data": [{}]}, "neither url nor b64_json"),
    ("seedream", "create", {"data": [{}]}, "neither url nor b64_json"),
    ("qwen_image", "create", {"output": {"choices": [{"message": {"content": [{"text": "hi"}]}}]}}, "no image"),
    ("minimax", "create", {"data": {"image_base64": ["not base64!"]}}, "'data.image_base64.0': not valid base64"),
    ("replicate", "create", {"id": "../../account", "status": "starting"}, "'id': not an id"),
    ("replicate", "poll", {"id": "p1", "status": "sleeping"}, "'status'"),
    ("replicate", "poll", {"id": "p1", "status": "succeeded", "output": None}, "'output' is empty: no image"),
    ("siliconflow", "create", {"images": [{"url": "https://cdn.example.com/i.png"}], "seed": 2 ** 64}, "'seed'"),
    ("siliconflow", "create", {"created": 1}, "no 'images'"),
    ("deepinfra", "create", {"data": [{"url": "https://x.example/i.png"}]}, "'data.0.b64_json'"),
    ("dashscope", "create", {"output": {"task_status": "PENDING"}}, "no 'output.task_id'"),
    ("dashscope", "poll", {"output": {"task_status": "SUCCEEDED", "results": []}}, "no image"),
    ("fal", "create", {"status_url": "https://elsewhere.example/s", "response_url": "https://elsewhere.example/r"},
     "another host"),
    ("fal", "status", {"status": "DONE"}, "'status'"),
    ("fal", "result", {"images": [{"url": None}]}, "'images.0.url'"),
    ("sdwebui", "create", {"images": [5]}, "'images.0': expected a base64 string"),
    ("comfyui", "create", {"number": 1}, "no 'prompt_id'"),
    ("comfyui", "poll", {"pid": {"outputs": {"9": {"images": [{"filename": ""}]}}}}, "'pid.outputs.9.images.0.filename'"),
    ("wizmodel", "create", {"output": ["https://cdn.example.com/i.png", 5]}, "'output.1'"),
    ("huggingface", "create", b"", "no image"),
]


@pytest.mark.parametrize("name, step, body, says", HOSTILE)
def test_a_wrongly_shaped_answer_is_malformed_naming_the_field(name, step, body, says):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    call = Call("GET", "https://queue.fal.run/x", step=step, carry={"id": "pid", "result": "https://queue.fal.run/r"})
    with pytest.raises(Malformed) as caught:
        provider(name).parse(Answer(200, {"content-type": "image/png"}, raw), call, endpoint(name))
    assert str(caught.value).startswith(f"{step} answer: ") and says in str(caught.value), str(caught.value)


def test_a_wrongly_shaped_answer_falls_over_to_the_next_provider(tmp_path, monkeypatch, canned):
    """The run that ended with 0 of 11 articles: openai answered {"data": {"url": 5}} with HTTP 200."""
    bad, good = canned(b'{"data": {"url": 5}}'), fake("siliconflow").start()
    try:
        servers = {"openai": bad, "siliconflow": good}
        for env, value in keys_for(servers).items():
            monkeypatch.setenv(env, value)
        plans = [ImagePlan(**(COVER | {"key": f"inline-{i}", "seed": i})) for i in range(3)]
        outs = generate_all(plans, fake_config(tmp_path, servers, cache=False))
    finally:
        good.stop()
    assert all(isinstance(o, GeneratedImage) and o.provider == "siliconflow" for o in outs), outs
    first = str(outs[0].attempts[0])
    assert first.startswith("openai: failed") and "does not understand" in first and "'data'" in first, first
    assert bad.seen >= 1


@pytest.mark.parametrize("body, wait", [(b'{"error": "loading", "estimated_time": 20}', 20.0),
                                        (b'{"error": "loading", "estimated_time": NaN}', None),
                                        (b'{"error": "loading", "estimated_time": -5}', None),
                                        (b'{"error": "loading", "estimated_time": "soon"}', None),
                                        (b"<html>503</html>", None)])
def test_huggingface_reads_a_sane_estimated_time_only(body, wait):
    fault = provider("huggingface").fault(Answer(503, {}, body))
    assert fault.retry_after == wait and fault.status == 503 and fault.message


@pytest.mark.parametrize("name, body, says", [
    ("openai", {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}},
     "Incorrect API key provided"),
    ("fal", {"detail": [{"loc": ["body", "prompt"], "msg": "field required", "type": "value_error.missing"}]},
     "field required"),
    ("deepinfra", {"detail": {"error": "Model is not available"}}, "Model is not available"),
    ("replicate", {"title": "Unauthenticated", "status": 401, "detail": "no valid token"}, "no valid token"),
    ("comfyui", {"error": {"type": "prompt_no_outputs", "message": "Prompt has no outputs"}}, "Prompt has no outputs"),
    ("huggingface", {"error": ["first", "second"]}, "first; second"),
    ("siliconflow", {"code": 20012, "message": "Model does not exist"}, "Model does not exist"),
    ("zhipu", {"error": {"code": 1302, "message": "并发数过高"}}, "1302: 并发数过高"),
    ("sdwebui", {"error": {"nested": ["odd"]}}, '{"error": {"nested": ["odd"]}}'),   # unknown shape: its text
])
def test_fault_reads_each_error_shape(name, body, says):
    fault = provider(name).fault(Answer(400, {}, json.dumps(body, ensure_ascii=False).encode()))
    assert says in fault.message, fault.message


BAD_OPTIONS = [   # (provider, options, the key the ConfigError names)
    ("replicate", {"wait": "soon"}, "wait"),
    ("replicate", {"sise": "pixels"}, "sise"),
    ("replicate", {"size": "huge"}, "size"),
    ("openai", {"input": ["n", 2]}, "input"),
    ("dashscope", {"parameters": {"when": datetime.date(2026, 11, 25)}}, "parameters"),
    ("fal", {"input": {"guidance_scale": float("nan")}}, "input"),
    ("sdwebui", {"max_side": 10}, "max_side"),
    ("sdwebui", {"steps": "many"}, "steps"),
    ("siliconflow", {"sizes": [[1024]]}, "sizes"),
    ("huggingface", {"hub_url": "huggingface.co"}, "hub_url"),
    ("comfyui", {"workflow": "no/such/workflow.json"}, "workflow"),
    ("deepinfra", {"negative_prompt": "perhaps"}, "negative_prompt"),      # the OpenAI-style path takes none
    ("seedream", {"input": "watermark"}, "input"),
    ("qwen_image", {"parameters": ["size"]}, "parameters"),
    ("minimax", {"aspect_ratio": "21:9"}, "aspect_ratio"),
]


@pytest.mark.parametrize("name, options, key", BAD_OPTIONS)
def test_a_bad_option_is_a_config_error_naming_it(name, options, key):
    p, ep = provider(name), endpoint(name, **options)
    for step in (lambda: p.create(ImagePlan(**COVER), ep), lambda: p.check(ep)):
        with pytest.raises(ConfigError) as caught:
            step()
        assert str(caught.value).startswith(f"providers.settings.{name}.options.{key}: "), str(caught.value)
        assert "config.yaml" in str(caught.value)


def test_a_bad_option_fails_the_image_with_the_setting_named(run):
    server, out, req = run("replicate", settings={"options": {"wait": "soon"}})
    assert isinstance(out, ConfigError) and "providers.settings.replicate.options.wait" in str(out)
    assert req is None                                       # nothing was sent


@pytest.mark.parametrize("text, says", [("{not json", "not a readable JSON file"),
                                        ('[{"class_type": "SaveImage"}]', "not an API-format workflow")])
def test_comfyui_workflow_file_must_be_an_api_format_json_object(tmp_path, text, says):
    workflow = tmp_path / "wf.json"
    workflow.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        provider("comfyui").create(ImagePlan(**COVER), endpoint("comfyui", workflow=str(workflow)))
    assert "providers.settings.comfyui.options.workflow" in str(caught.value) and says in str(caught.value)
