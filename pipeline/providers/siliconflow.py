"""SiliconFlow (硅基流动) image generations, e.g. Kwai-Kolors/Kolors: result as a 1-hour URL."""

from __future__ import annotations

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Malformed, Provider, Reply, drop_none, nearest, wh

KOLORS = [(1024, 1024), (960, 1280), (768, 1024), (720, 1440), (720, 1280)]
QWEN = [(1328, 1328), (1664, 928), (928, 1664), (1472, 1140), (1140, 1472), (1584, 1056), (1056, 1584)]


class SiliconFlow(Provider):
    name = "siliconflow"
    label = "SiliconFlow 硅基流动"
    base_url = "https://api.siliconflow.cn/v1"
    model = "Kwai-Kolors/Kolors"
    key_env = "SILICONFLOW_API_KEY"

    def size(self, plan: ImagePlan, ep: Endpoint) -> tuple[int, int]:
        sizes = [tuple(s) for s in ep.options.get("sizes", [])] or (QWEN if "Qwen" in ep.model else KOLORS)
        return nearest(plan.width, plan.height, sizes)

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        kolors = "Kolors" in ep.model
        body = drop_none({"model": ep.model, "prompt": plan.prompt,
                          "negative_prompt": plan.negative_prompt or None,
                          "image_size": wh(self.size(plan, ep)), "seed": plan.seed % 10_000_000_000,
                          "num_inference_steps": ep.options.get("steps", 20),
                          "batch_size": 1 if kolors else None, "guidance_scale": 7.5 if kolors else None})
        return Call("POST", self.url(ep, "images/generations"), self.headers(ep),
                    body | ep.options.get("input", {}))

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        body = answer.json()
        items = body["images"] if "images" in body else body.get("data")
        if items is None:
            raise Malformed("answer has no 'images'")
        return Reply(urls=[i["url"] for i in items if isinstance(i, dict) and i.get("url")], seed=body.get("seed"))

    def check(self, ep: Endpoint) -> Call:
        return Call("GET", self.url(ep, "user/info"), self.headers(ep), step="check")
