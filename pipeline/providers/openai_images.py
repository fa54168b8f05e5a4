"""OpenAI Images API (gpt-image-1, dall-e-3, dall-e-2): no seed and no negative prompt."""

from __future__ import annotations

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Provider, Reply, b64decode, need, nearest, wh

SIZES = {
    "dall-e-2": [(256, 256), (512, 512), (1024, 1024)],
    "dall-e-3": [(1024, 1024), (1792, 1024), (1024, 1792)],
    "gpt-image": [(1024, 1024), (1536, 1024), (1024, 1536)],
}


class OpenAIImages(Provider):
    name = "openai"
    label = "OpenAI Images"
    base_url = "https://api.openai.com/v1"
    model = "gpt-image-1"
    key_env = "OPENAI_API_KEY"
    seeds = False

    def size(self, plan: ImagePlan, ep: Endpoint) -> tuple[int, int]:
        family = next((f for f in SIZES if ep.model.startswith(f)), "gpt-image")
        return nearest(plan.width, plan.height, SIZES[family])

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        body = {"model": ep.model, "prompt": plan.prompt, "n": 1, "size": wh(self.size(plan, ep))}
        if ep.model.startswith("dall-e"):                 # gpt-image always answers base64
            body["response_format"] = "b64_json"
        body |= ep.options.get("input", {})
        return Call("POST", self.url(ep, "images/generations"), self.headers(ep), body)

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        items = need(answer.json(), "data") or []
        return Reply(images=[b64decode(i["b64_json"]) for i in items if i.get("b64_json")],
                     urls=[i["url"] for i in items if i.get("url") and not i.get("b64_json")])

    def check(self, ep: Endpoint) -> Call:
        return Call("GET", self.url(ep, "models"), self.headers(ep), step="check")
