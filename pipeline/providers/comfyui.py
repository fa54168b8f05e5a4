"""ComfyUI on the user's own GPU: queue a workflow on /prompt, poll /history/{id}, fetch /view.

The default workflow is plain SD text-to-image with the configured checkpoint. `options.workflow`
names an API-format workflow file whose strings "$prompt", "$negative_prompt", "$seed", "$width"
and "$height" are filled in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Provider, Reply, fit, need


def default_workflow(ckpt: str) -> dict[str, Any]:
    return {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ckpt}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": "$width", "height": "$height", "batch_size": 1}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "$prompt", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "$negative_prompt", "clip": ["4", 1]}},
        "3": {"class_type": "KSampler", "inputs": {"seed": "$seed", "steps": 25, "cfg": 7.0,
                                                   "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0,
                                                   "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0],
                                                   "latent_image": ["5", 0]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "peitu", "images": ["8", 0]}},
    }


def fill(node: Any, values: dict[str, Any]) -> Any:
    """Replace "$name" strings anywhere in the workflow with their values."""
    if isinstance(node, dict):
        return {k: fill(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [fill(v, values) for v in node]
    if isinstance(node, str) and node.startswith("$") and node[1:] in values:
        return values[node[1:]]
    return node


class ComfyUI(Provider):
    name = "comfyui"
    label = "ComfyUI (self-hosted)"
    base_url = "http://127.0.0.1:8188"
    model = "sd_xl_base_1.0.safetensors"
    key_env = "COMFYUI_TOKEN"          # only for a ComfyUI behind an authenticating proxy
    key_required = False

    def size(self, plan: ImagePlan, ep: Endpoint) -> tuple[int, int]:
        return fit(plan.width, plan.height, multiple=8, low=256, high=int(ep.options.get("max_side", 1344)))

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        width, height = self.size(plan, ep)
        path = ep.options.get("workflow")
        graph = json.loads(Path(path).read_text(encoding="utf-8")) if path else default_workflow(ep.model)
        values = {"prompt": plan.prompt, "negative_prompt": plan.negative_prompt, "seed": plan.seed,
                  "width": width, "height": height}
        body = {"prompt": fill(graph, values), "client_id": "peitu"}
        return Call("POST", self.url(ep, "prompt"), self.headers(ep), body)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        body = answer.json()
        if call.step == "create":
            if body.get("node_errors"):
                return Reply(error=f"workflow rejected: {json.dumps(body['node_errors'], ensure_ascii=False)[:300]}")
            pid = need(body, "prompt_id")
            return Reply(next=Call("GET", self.url(ep, f"history/{pid}"), self.headers(ep), step="poll",
                                   carry={"id": pid}))
        entry = body.get(call.carry["id"]) if isinstance(body, dict) else None
        if not entry:
            return Reply(next=call)                   # still queued or running
        status = entry.get("status") or {}
        if status.get("status_str") == "error":
            messages = [m[1].get("exception_message", "") for m in status.get("messages", [])
                        if m and m[0] == "execution_error" and isinstance(m[1], dict)]
            return Reply(error="workflow failed: " + ("; ".join(messages) or "no message"))
        if not status.get("completed", True):
            return Reply(next=call)
        urls = [self.url(ep, "view?" + urlencode({"filename": img["filename"], "subfolder": img.get("subfolder", ""),
                                                 "type": img.get("type", "output")}))
                for out in need(entry, "outputs").values() for img in out.get("images", [])]
        return Reply(urls=urls)

    def check(self, ep: Endpoint) -> Call:
        return Call("GET", self.url(ep, "system_stats"), self.headers(ep), step="check")
