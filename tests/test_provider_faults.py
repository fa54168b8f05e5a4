"""Every provider against its fake, over real HTTP: success, and each fault its protocol can show —
status codes, bad answers, answers that drip a byte at a time, and answers that point peitu elsewhere."""

from __future__ import annotations

import time

import pytest

from pipeline.errors import ProviderError
from pipeline.fakes.providers import FAKES, fake, fake_config, keys_for
from pipeline.fakes.providers.base import Relay
from pipeline.generate import generate_all
from pipeline.images.decode import check_whole
from pipeline.models import GeneratedImage, ImagePlan
from pipeline.providers import provider
from pipeline.providers.base import Endpoint

from .conftest import lines

KEYLESS = ("sdwebui", "comfyui")          # self-hosted servers usually run without a key
CREDENTIALS = {"authorization", "x-key", "x-goog-api-key"}          # the headers that carry a key
# the providers whose answers carry URLs to fetch (comfyui's client builds its /view URL from base_url)
LINKED = [n for n in FAKES if "expired" in fake(n).faults_supported and n != "comfyui"]
# the providers whose image bytes come as an image body of their own (a result URL, or the answer itself)
IMAGE_BODIES = [n for n in FAKES if "expired" in fake(n).faults_supported] + ["huggingface"]


def plan(i: int = 0, **kw) -> ImagePlan:
    fields = dict(key=f"inline-{i}", role="inline", prompt=f"a lantern over a river, scene {i}",
                  negative_prompt="text, watermark", style="flat", width=1344, height=576, seed=1000 + i,
                  template="tech", template_version="v1")
    return ImagePlan(**(fields | kw))


def key_of(name: str) -> str | None:
    return None if name in KEYLESS else f"sk-{name}-test-0123456789"


def start(name: str, tmp_path, monkeypatch, settings: dict | None = None, providers: dict | None = None,
          urls: bool = False, **knobs):
    """A started fake for `name` with fast knobs, and a Config that uses only it (`urls`: one that answers
    with a URL to fetch where the protocol allows the choice)."""
    server = fake(name, **({"key": key_of(name), "retry_after": 0.05, "hang_s": 2.0, "huge_bytes": 2_000_000,
                            "drip_s": 0.2} | knobs)).start()
    for env, value in keys_for({name: server}).items():
        monkeypatch.setenv(env, value)
    cfg = fake_config(tmp_path, {name: server}, **({"cache": False, "max_retries": 2} | (providers or {})),
                      settings={name: {"timeout_s": 5, **(settings or {})}})
    if urls and name == "minimax":                          # it answers base64 unless asked for a URL
        cfg.providers.settings["minimax"].options = {"input": {"response_format": "url"}}
    return server, cfg


@pytest.fixture(params=list(FAKES))
def served(request, tmp_path, monkeypatch):
    """(name, fake, cfg) for each provider, its fake started with fast knobs."""
    name = request.param
    server, cfg = start(name, tmp_path, monkeypatch)
    yield name, server, cfg
    server.stop()


@pytest.fixture
def started(tmp_path, monkeypatch):
    """start(name, **knobs) → (fake, cfg); every fake and relay stopped afterwards."""
    running = []

    def make(name: str, **knobs):
        server, cfg = start(name, tmp_path, monkeypatch, **knobs)
        running.append(server)
        return server, cfg

    def relay(target: str) -> Relay:
        running.append(r := Relay(target).start())
        return r

    make.relay = relay
    yield make
    for r in running:
        r.stop()


def one(cfg, p: ImagePlan | None = None):
    [outcome] = generate_all([p or plan()], cfg)
    return outcome


def test_success_gives_a_checked_image_with_provenance(served):
    name, server, cfg = served
    out = one(cfg)
    assert isinstance(out, GeneratedImage), out
    assert out.provider == name and lines(out) == [f"{name}: ok"]
    width, height = check_whole(out.data, cfg.images.max_pixels)
    assert width >= height                 # a wide image was asked for (Kolors offers square at most)
    settings = cfg.providers.settings[name]
    rules = provider(name).rules(Endpoint(name, settings.base_url, settings.model or provider(name).model, None,
                                          settings.options))
    assert out.seed == (1000 if rules.seed else None)
    assert len(server.creates()) == 1


@pytest.mark.parametrize("fault", ["429", "500", "502", "503"])
def test_retryable_status_is_retried_then_succeeds(served, fault):
    name, server, cfg = served
    server.inject(fault)
    out = one(cfg)
    assert isinstance(out, GeneratedImage), out
    assert len(server.creates()) == 2
    assert lines(out)[0].startswith(f"{name}: HTTP {fault}, retry 1")


@pytest.mark.parametrize("fault, words", [
    ("400", ["HTTP 400", "check the parameters"]),
    ("401", ["HTTP 401", "key was refused"]),
    ("403", ["HTTP 403", "account"]),
    ("404", ["HTTP 404", "model"]),
])
def test_client_errors_fail_over_at_once_with_advice(served, fault, words):
    name, server, cfg = served
    server.inject(fault)
    err = one(cfg)
    assert isinstance(err, ProviderError)
    text = str(err)
    assert provider(name).label in text and all(w in text for w in words), text
    assert len(server.creates()) == 1                       # never retried
    if fault == "401":
        assert (provider(name).key_env or "") in text


def test_timeout_is_not_resent(served):
    name, server, cfg = served
    cfg.providers.settings[name].timeout_s = 0.5
    server.inject("timeout")
    err = one(cfg)
    assert isinstance(err, ProviderError) and "timed out" in str(err) and "not re-sent" in str(err)
    assert "timeout_s" in str(err)
    assert len(server.creates()) == 1


BAD_ANSWERS = {"malformed": ["answer"], "oddshape": [],          # every field mistyped: a failure, never a crash
               "empty": ["no image"], "truncated": ["truncated"],
               "cutjpeg": ["JPEG", "truncated", "premature end"], "notimage": ["not an image"], "huge": ["cap"],
               "expired": ["expired"], "jobfail": ["job failed"]}


def _can_show(name: str, fault: str) -> bool:
    return fault in type(fake(name)).faults_supported


@pytest.mark.parametrize("served, fault", [(name, fault) for name in FAKES for fault in BAD_ANSWERS
                                           if _can_show(name, fault)], indirect=["served"])
def test_bad_answers_are_failures(served, started, fault):
    """Each fault a provider's protocol can show (no URL faults without URLs, no job faults without jobs)."""
    name, server, cfg = served
    words = BAD_ANSWERS[fault]
    if fault == "huge":
        cfg.providers.max_download_bytes = 1_000_000
    if name == "minimax" and fault == "expired":           # it answers base64 unless asked for a URL
        server, cfg = started(name, urls=True)
    server.inject(fault)
    err = one(cfg)
    assert isinstance(err, ProviderError), err
    assert all(w in str(err) for w in words), str(err)
    assert name in str(err)


def test_huge_image_is_refused_by_pixels_when_small_in_bytes(served, tmp_path):
    name, server, cfg = served
    server.huge_bytes = 50_000
    server.inject("huge")
    err = one(cfg)
    assert isinstance(err, ProviderError) and "pixel cap" in str(err), str(err)


def test_different_prompts_give_different_images(served):
    name, server, cfg = served
    a, b = generate_all([plan(1), plan(2)], cfg)
    assert isinstance(a, GeneratedImage) and isinstance(b, GeneratedImage)
    assert a.data != b.data


# ── answers that drip: the deadline holds ──────────────────────────────────────────────────────────────

@pytest.mark.parametrize("limit", ["deadline", "timeout"])
def test_an_answer_dripping_a_byte_at_a_time_is_cut_off(served, limit):
    """Status line, headers and body a byte every 0.2 s: cut at the image's deadline or timeout_s, whichever
    is shorter, and the create (which may have run) is not re-sent."""
    name, server, cfg = served
    if limit == "deadline":
        cfg.providers.deadline_s = 1.5
    else:
        cfg.providers.settings[name].timeout_s = 1.5
    server.inject("drip", "drip", "drip")
    start = time.monotonic()
    err = one(cfg)
    elapsed = time.monotonic() - start
    assert isinstance(err, ProviderError), err
    assert 1.4 < elapsed < 4.0, elapsed          # (a drip of every byte would take minutes)
    assert ("ran out of time" if limit == "deadline" else "timed out") in str(err), str(err)
    assert "not re-sent" in str(err) and len(server.creates()) == 1


@pytest.mark.parametrize("name", IMAGE_BODIES)
def test_an_image_dripping_a_byte_at_a_time_is_cut_at_the_deadline(started, name):
    server, cfg = started(name, urls=True, drip_images=True, providers={"deadline_s": 1.5})
    start = time.monotonic()
    err = one(cfg)
    assert isinstance(err, ProviderError) and "ran out of time" in str(err), err
    assert time.monotonic() - start < 4.0         # the deadline plus room for a loaded machine


# ── answers that point elsewhere: the URL policy ────────────────────────────────────────────────────────

@pytest.mark.parametrize("name", [n for n in LINKED if n not in KEYLESS])
def test_urls_on_another_origin_are_fetched_without_the_key(started, name):
    """A result (and fal's status) URL on an origin the user allowed (result_origins) gets no credentials;
    the provider's own origin still gets them."""
    server, cfg = started(name, urls=True)
    relay = started.relay(server.url)
    server.link_base = relay.url
    cfg.providers.settings[name].result_origins = [relay.url]
    out = one(cfg)
    assert server.authorized(server.creates()[0])                  # the create carried the key
    assert all(not CREDENTIALS & r.headers.keys() for r in relay.seen)
    if name == "fal":          # fal's queue URLs get the key, so its parser refuses them on another host
        assert isinstance(out, ProviderError) and "another host" in str(out) and relay.seen == []
    else:
        assert isinstance(out, GeneratedImage), out
        assert relay.seen, "the answer's URL was fetched through the other origin"


HOSTILE = {                                     # how the answer points elsewhere → words of the refusal
    "another loopback port": (lambda s, relay: {"link_base": relay.url}, "loopback address"),
    "userinfo": (lambda s, relay: {"link_base": s.url.replace("//", "//peitu:pw@")}, "user name or password"),
    "redirect to another port": (lambda s, relay: {"redirect_files": relay.url}, "loopback address"),
    "cloud metadata": (lambda s, relay: {"link_base": "http://169.254.169.254"}, "cloud metadata address"),
}


@pytest.mark.parametrize("how", HOSTILE)
@pytest.mark.parametrize("name", LINKED)
def test_urls_the_policy_forbids_are_refused_and_fall_over(started, name, how):
    server, cfg = started(name, urls=True, providers={"last_resort": "local"})
    relay = started.relay(server.url)
    knobs, words = HOSTILE[how]
    for knob, value in knobs(server, relay).items():
        setattr(server, knob, value)
    out = one(cfg)
    assert isinstance(out, GeneratedImage) and out.provider == "local" and out.fallback, out
    first = out.attempts[0]
    category = "url_refused"
    if name == "fal" and "link_base" in knobs(server, relay):    # fal's parser refuses queue URLs off its host
        category, words = "malformed", "another host"             # before the URL policy sees them
    assert (first.provider, first.outcome, first.category) == (name, "failed", category)
    assert words in first.reason and "peitu:pw" not in first.reason
    assert relay.seen == []                                  # nothing went to the other port
    if how == "userinfo":
        assert not [r for r in server.seen if r.path.startswith("/files/")]


@pytest.mark.parametrize("name", LINKED)
def test_a_redirect_from_https_to_http_is_refused_when_http_is_not_allowed(started, monkeypatch, name):
    server, cfg = started(name, urls=True, tls=True, settings={"allow_http": False},
                          providers={"last_resort": "local"})
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
    server.redirect_files = server.url.replace("https://", "http://")
    out = one(cfg)
    assert out.provider == "local" and out.attempts[0].category == "url_refused", lines(out)
    assert "only https is allowed" in out.attempts[0].reason
    assert server.creates(), "the https API itself was used"
