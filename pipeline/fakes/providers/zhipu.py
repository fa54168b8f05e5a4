"""Fake Zhipu 智谱 CogView: POST /api/paas/v4/images/generations → data[].url; Zhipu's error codes."""

from __future__ import annotations

import re
import time
import uuid

from .base import SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response

CODES = {400: ("1214", "参数错误"), 401: ("1000", "身份验证失败"), 403: ("1113", "您的账户已欠费，请充值后重试。"),
         404: ("1211", "模型不存在，请检查模型代码。"),
         429: ("1302", "您当前使用该API的并发数过高，请降低并发，或联系客服增加限额。"),
         500: ("500", "内部错误"), 502: ("500", "内部错误"), 503: ("1305", "当前API请求过多，请稍后重试。")}


class FakeZhipu(FakeServer):
    name = "zhipu"
    routes = [("POST", r"/api/paas/v4/images/generations", "generate", True)]
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
        size = re.fullmatch(r"(\d+)x(\d+)", str(body.get("size", "1024x1024")))
        if not size or not all(512 <= int(v) <= 2048 and int(v) % 16 == 0 for v in size.groups()) \
                or int(size[1]) * int(size[2]) > 2 ** 21:
            return Response.of({"error": {"code": "1214", "message": f"size 参数非法: {body.get('size')}"}}, 400)
        data = self.image(body["prompt"], 0, size[1], size[2], fault)
        items = [] if fault == "empty" else [{"url": self.file_url(data, fault)}]
        return Response.of({"created": int(time.time()), "data": items,
                            "content_filter": [{"role": "assistant", "level": 3}], "id": uuid.uuid4().hex})
