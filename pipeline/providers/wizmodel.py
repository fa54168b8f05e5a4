"""WizModel, as its published example calls it: Bearer key, JSON in, an image URL out.

WizModel has no public docs (providers.md §7): keep it off the default order."""

from __future__ import annotations

from ..models import ImagePlan
from .base import Answer, Call, Endpoint, Malformed, Provider, Reply, fit


class WizModel(Provider):
    name = "wizmodel"
    label = "WizModel"
    base_url = "https://api.wizmodel.com"
    model = "7d229e3ed5d01c879622d0cd273572260b7e35103d6765af740f853b160d04b7"   # the example's version
    key_env = "WIZMODEL_API_KEY"
    check_ok = (200, 404, 405)

    def size(self, plan: ImagePlan, ep: Endpoint) -> tuple[int, int]:
        return fit(plan.width, plan.height, multiple=64, low=512, high=1024)

    def create(self, plan: ImagePlan, ep: Endpoint) -> Call:
        width, height = self.size(plan, ep)
        inp = {"prompt": plan.prompt, "width": width, "height": height, "seed": plan.seed}
        return Call("POST", self.url(ep, "v1/predictions"), self.headers(ep),
                    {"version": ep.model, "input": inp | ep.options.get("input", {})})

    def parse(self, answer: Answer, call: Call, ep: Endpoint) -> Reply:
        body = answer.json()
        if not isinstance(body, dict):
            raise Malformed("expected a JSON object")
        if body.get("status") == "failed" or body.get("error"):
            return Reply(error=str(body.get("error") or "prediction failed"))
        output = body.get("output", body.get("image_url"))
        if isinstance(output, str):
            return Reply(urls=[output])
        return Reply(urls=[u for u in output or [] if isinstance(u, str)])

    def check(self, ep: Endpoint) -> Call:
        return Call("GET", self.url(ep, "v1/predictions"), self.headers(ep), step="check")
