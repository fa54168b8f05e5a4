"""Fake ComfyUI: POST /prompt queues an API-format workflow, GET /history/{id} shows it when done,
GET /view serves the saved image. Reads the prompt, seed and size from the workflow's nodes."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from .base import JOB_FAULTS, SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response


def _inputs(graph: dict[str, Any], class_type: str) -> list[dict[str, Any]]:
    return [n.get("inputs", {}) for n in graph.values() if isinstance(n, dict) and n.get("class_type") == class_type]


class FakeComfyUI(FakeServer):
    name = "comfyui"
    is_async = True
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("POST", r"/prompt", "queue", True),
        ("GET", r"/history/(?P<id>[^/]+)", "history", False),
        ("GET", r"/view", "view", False),
        ("GET", r"/system_stats", "stats", False)]
    faults_supported = (*SYNC_FAULTS, *URL_FAULTS, *JOB_FAULTS)

    def __init__(self, *, key: str | None = None, **knobs):
        super().__init__(key=key, **knobs)
        self.counter = 0

    def error(self, status: int, message: str) -> Response:
        return Response.of({"error": {"type": "server_error", "message": message, "details": "", "extra_info": {}},
                            "node_errors": {}}, status)

    def queue(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        graph = body.get("prompt") if isinstance(body, dict) else None
        if not isinstance(graph, dict) or not _inputs(graph, "SaveImage"):
            return Response.of({"error": {"type": "prompt_no_outputs", "message": "Prompt has no outputs",
                                          "details": "", "extra_info": {}}, "node_errors": {}}, 400)
        texts = _inputs(graph, "CLIPTextEncode")
        sampler = (_inputs(graph, "KSampler") or [{}])[0]
        latent = (_inputs(graph, "EmptyLatentImage") or [{}])[0]
        self.counter += 1
        jid, _job = self.job(fault, prompt=texts[0].get("text", "") if texts else "", seed=sampler.get("seed", 0),
                             w=latent.get("width", 512), h=latent.get("height", 512), number=self.counter)
        return Response.of({"prompt_id": jid, "number": self.counter, "node_errors": {}})

    def history(self, req: Request, m: re.Match, fault: str | None) -> Response:
        job = self.jobs.get(m["id"])
        if job is None or not (job.get("over") or self.job_done(job)):
            return Response.of({})
        job["over"] = True
        if job["fault"] == "jobfail":
            status = {"status_str": "error", "completed": False, "messages": [
                ["execution_start", {"prompt_id": job["id"]}],
                ["execution_error", {"prompt_id": job["id"], "node_id": "3", "node_type": "KSampler",
                                     "exception_message": "CUDA out of memory (injected)",
                                     "exception_type": "torch.OutOfMemoryError"}]]}
            return Response.of({job["id"]: {"prompt": [job["number"], job["id"]], "outputs": {}, "status": status}})
        name = f"peitu_{job['number']:05d}_.png"
        if name not in self.files:
            data = self.image(job["prompt"], job["seed"], job["w"], job["h"], job["fault"])
            self.files[name] = (data, job["fault"] == "expired")
        images = [] if job["fault"] == "empty" else [{"filename": name, "subfolder": "", "type": "output"}]
        return Response.of({job["id"]: {"prompt": [job["number"], job["id"]], "outputs": {"9": {"images": images}},
                                        "status": {"status_str": "success", "completed": True, "messages": []}}})

    def view(self, req: Request, m: re.Match, fault: str | None) -> Response:
        data, gone = self.files.get(req.query.get("filename", ""), (b"", True))
        if gone:
            return Response(404, b"404: Not Found", {"Content-Type": "text/plain"})
        return Response(200, data, {"Content-Type": "image/png"})

    def stats(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return Response.of({"system": {"os": "posix", "comfyui_version": "0.3.0", "python_version": "3.11"},
                            "devices": [{"name": "cuda:0 fake", "type": "cuda", "vram_total": 25769803776}]})
