"""fal's synchronous host (fal.run): with options.host: sync, one POST answers the result itself — no
queue, no polling; the fake serves it on a second port, as fal.run is another host than queue.fal.run."""

from __future__ import annotations

import requests

from pipeline.errors import ProviderError
from pipeline.generate import generate_all, router_for
from pipeline.models import GeneratedImage

from .conftest import plan_of


def sync(server) -> dict:
    """The options that send creates to the fake's sync host."""
    return {"host": "sync", "sync_url": server.run_url}


def test_one_post_to_the_sync_host_answers_the_result(hosted):
    server, cfg = hosted("fal")
    cfg.providers.settings["fal"].options = sync(server)
    [out] = generate_all([plan_of()], cfg)
    assert isinstance(out, GeneratedImage), out
    run_port = int(server.run_url.rsplit(":", 1)[1])
    create, download = server.seen
    assert (create.method, create.port, create.path) == ("POST", run_port, "/fal-ai/flux/schnell")
    assert create.headers["authorization"] == "Key fake-key"          # fal.run gets the key: peitu's own URL
    assert create.json["image_size"] == {"width": 1344, "height": 576}
    assert download.path.startswith("/files/") and not server.jobs     # nothing queued, nothing polled
    assert out.seed == 20261125


def test_the_queue_stays_the_default(hosted):
    server, cfg = hosted("fal")
    [out] = generate_all([plan_of()], cfg)
    assert isinstance(out, GeneratedImage) and server.jobs
    assert all(str(r.port) != server.run_url.rsplit(":", 1)[1] for r in server.seen)


def test_a_sync_run_that_crashes_is_a_server_error_and_retried(hosted):
    server, cfg = hosted("fal")
    cfg.providers.settings["fal"].options = sync(server)
    server.inject("jobfail", "jobfail", "jobfail", "jobfail")
    [err] = generate_all([plan_of()], cfg)
    assert isinstance(err, ProviderError) and "HTTP 500" in str(err) and "Runner crashed" in str(err)
    assert len(server.creates()) == 1 + cfg.providers.max_retries


def test_the_sync_host_serves_runs_only_and_check_still_asks_the_queue(hosted):
    server, cfg = hosted("fal")
    cfg.providers.settings["fal"].options = sync(server)
    r = requests.get(server.run_url + "/fal-ai/flux/requests/x/status", headers={"Authorization": "Key fake-key"},
                     timeout=10)
    assert r.status_code == 404
    ok, message = router_for(cfg).check("fal")
    assert ok, message
    assert str(server.seen[-1].port) == server.url.rsplit(":", 1)[1]
