"""ComfyUI on the user's own GPU: queue a workflow on /prompt, poll /history/{id}, fetch /view.

The default workflow is plain SD text-to-image with the configured checkpoint. `options.workflow`
names an API-format workflow file whose strings "$prompt", "$negative_prompt", "$seed", "$width"
and "$height" are filled in."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode

from pydantic import BaseModel, Field, FilePath, RootModel

from ..errors import ConfigError
from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Id, Malformed, Options, Provider, Reply, options, validate
from .rules import ModelRules


class ComfyUIOptions(Options):
    workflow: FilePath | None = None         # an API-format workflow (ComfyUI: Save (API))
    max_side: int = Field(1344, ge=256, le=4096)


class NodeProblem(BaseModel):
    message: str = ""
    details: str = ""


class NodeError(BaseModel):
    class_type: str = ""
    errors: list[NodeProblem] = []


class Queued(BaseModel):
    prompt_id: Id
    node_errors: dict[str, NodeError] = {}


class Saved(BaseModel):
    filename: str = Field(min_length=1)
    subfolder: str = ""
    type: str = "output"


class Output(BaseModel):
    images: list[Saved] = []


class Status(BaseModel):
    status_str: str | None = None
    completed: bool = True
    messages: list[tuple[str, dict[str, Any]]] = []     # [event, data] pairs


class Entry(BaseModel):
    outputs: dict[str, Output] = {}
    status: Status = Status()


class History(RootModel[dict[str, Entry]]):
    """/history/{id}: {} while queued or running, then {id: entry}."""


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


def load_workflow(path: Path, name: str) -> dict[str, Any]:
    """An API-format workflow file, or a ConfigError naming the option."""
    try:
        graph = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ConfigError(f"providers.settings.{name}.options.workflow: {path} is not a readable JSON file ({e})",
                          hint="export the workflow from ComfyUI with Save (API)") from None
    if not isinstance(graph, dict):
        raise ConfigError(f"providers.settings.{name}.options.workflow: {path} is not an API-format workflow "
                          f"(a JSON object of nodes)", hint="export the workflow from ComfyUI with Save (API)")
    return graph


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
    models: ClassVar[dict[str, ModelRules]] = {"*": ModelRules(negative_prompt=True)}

    def rules(self, ep: Endpoint) -> ModelRules:
        return replace(super().rules(ep), max_side=options(ComfyUIOptions, ep).max_side)

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        opts = options(ComfyUIOptions, ep)
        width, height = self.size(plan, ep)
        graph = load_workflow(opts.workflow, ep.name) if opts.workflow else default_workflow(ep.model)
        values = {"prompt": plan.prompt, "negative_prompt": plan.negative_prompt, "seed": plan.seed,
                  "width": width, "height": height}
        body = {"prompt": fill(graph, values), "client_id": "peitu"}
        return Call("POST", self.url(ep, "prompt"), self.headers(ep), body)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        if call.step == "create":
            queued = validate(Queued, answer.body, call.step)
            if queued.node_errors:
                problems = "; ".join(f"node {node} ({e.class_type}): " + ", ".join(p.message for p in e.errors)
                                     for node, e in queued.node_errors.items())
                return Reply(error=f"workflow rejected: {problems[:300]}")
            return Reply(next=Call("GET", self.url(ep, f"history/{queued.prompt_id}"), self.headers(ep),
                                   step="poll", carry={"id": queued.prompt_id}))
        entry = validate(History, answer.body, call.step).root.get(call.carry["id"])
        if entry is None:
            return Reply(next=call)                   # still queued or running
        if entry.status.status_str == "error":
            said = [data.get("exception_message") for kind, data in entry.status.messages if kind == "execution_error"]
            return Reply(error="workflow failed: " + ("; ".join(s for s in said if isinstance(s, str))[:300]
                                                      or "no message"))
        if not entry.status.completed:
            return Reply(next=call)
        urls = [self.url(ep, "view?" + urlencode({"filename": img.filename, "subfolder": img.subfolder,
                                                 "type": img.type}))
                for out in entry.outputs.values() for img in out.images]
        if not urls:
            raise Malformed(f"{call.step} answer: 'outputs' is empty: no image")
        return Reply(urls=urls)

    def check(self, ep: Endpoint) -> Call:
        options(ComfyUIOptions, ep)
        return Call("GET", self.url(ep, "system_stats"), self.headers(ep), step="check")
