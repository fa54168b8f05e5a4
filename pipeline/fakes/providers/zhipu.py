"""Fake Zhipu 智谱: POST /api/paas/v4/images/generations → data[].url; Zhipu's error codes.

Size rules as the API reference states them: glm-image sides ÷32 and at most 2²² pixels (1024–2048
recommended), the CogView models sides ÷16 in 512–2048 and at most 2²¹ pixels."""

from __future__ import annotations

import re
import time
import uuid
from typing import ClassVar

from .base import SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response, parse_size, size_ok

CODES = {400: ("1214", "参数错误"), 401: ("1000", "身份验证失败"), 403: ("1113", "您的账户已欠费，请充值后重试。"),
         404: ("1211", "模型不存在，请检查模型代码。"),
         429: ("1302", "您当前使用该API的并发数过高，请降低并发，或联系客服增加限额。"),
         500: ("500", "内部错误"), 502: ("500", "内部错误"), 503: ("1305", "当前API请求过多，请稍后重试。")}


def takes(model: str, size: str) -> bool:
    if model.startswith("glm-image"):
        return size_ok(parse_size(size), multiple=32, sides=(512, 2048), pixels=(1, 2 ** 22))
    return size_ok(parse_size(size), multiple=16, sides=(512, 2048), pixels=(1, 2 ** 21))


class FakeZhipu(FakeServer):
    name = "zhipu"
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("POST", r"/api/paas/v4/images/generations", "generate", True)]
    faults_supported = (*SYNC_FAULTS, *URL_FAULTS)

    @property
    def base_url(self) -> str:
        return self.url + "/api/paas/v4"

    def error(self, status: int, message: str) -> Response:
        code, text = CODES.get(status, ("500", "内部错误"))
        return Response.of({"error": {"code": code, "message": f"{text} ({message})"}}, status)

    def generate(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json
        if not isinstance(body, dict) or not body.get("prompt"):
            return Response.of({"error": {"code": "1214", "message": "prompt 不能为空"}}, 400)
        model = str(body.get("model", ""))
        size = str(body.get("size") or ("1280x1280" if model.startswith("glm-image") else "1024x1024"))
        if not takes(model, size):
            return Response.of({"error": {"code": "1214", "message": f"size 参数非法: {size}"}}, 400)
        w, _, h = size.partition("x")
        data = self.image(body["prompt"], 0, w, h, fault)
        items = [] if fault == "empty" else [{"url": self.file_url(data, fault)}]
        return Response.of({"created": int(time.time()), "data": items,
                            "content_filter": [{"role": "assistant", "level": 3}], "id": uuid.uuid4().hex})
