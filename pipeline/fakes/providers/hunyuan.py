"""Fake Tencent Cloud API 3.0 for Hunyuan image jobs: POST / with X-TC-Action SubmitHunyuanImageJob or
QueryHunyuanImageJob (version 2023-09-01), each verified as Tencent does: the TC3-HMAC-SHA256
signature recomputed over the method, path, content-type, host, body hash, timestamp and credential
scope, with the key's SecretKey; a timestamp more than 5 minutes off is SignatureExpire. Every error is
HTTP 200 with Response.Error {Code, Message}, as Tencent Cloud answers (only its gateway says 5xx).

Written from cloud.tencent.com/document/api/213/30654 (signing v3) and /1729/105969–105970; the
official SDK (tencentcloud-sdk-python) signs its requests as this fake checks them.
The key is `SecretId:SecretKey` (a key without a colon is both)."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
import uuid
from typing import Any, ClassVar

from .base import ANY, JOB_FAULTS, SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response

RESOLUTIONS = ("768:768", "768:1024", "1024:768", "1024:1024", "720:1280", "1280:720", "768:1280", "1280:768")
AUTH = re.compile(r"TC3-HMAC-SHA256 Credential=(?P<id>[^/,\s]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[a-z]+)"
                  r"/tc3_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<sig>[0-9a-f]{64})")
CODES = {400: "InvalidParameterValue", 401: "AuthFailure.SignatureFailure", 403: "ResourceUnavailable.InArrears",
         404: "ResourceNotFound", 429: "RequestLimitExceeded.JobNumExceed", 500: "InternalError"}
SKEW_S = 300


def sign(secret_key: str, date: str, service: str, text: str) -> str:
    """TC3: HMAC-SHA256 of `text` with the key derived from the SecretKey, the date and the service."""
    def step(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()
    derived = step(step(step(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(derived, text.encode("utf-8"), hashlib.sha256).hexdigest()


class FakeHunyuan(FakeServer):
    name = "hunyuan"
    is_async = True
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("POST", r"/", "dispatch", False)]
    faults_supported = (*SYNC_FAULTS, *URL_FAULTS, *JOB_FAULTS)

    def creates(self) -> list[Request]:
        return [r for r in self.seen if r.headers.get("x-tc-action") == "SubmitHunyuanImageJob"]

    def _body(self, response: dict[str, Any]) -> Response:
        return Response.of({"Response": response | {"RequestId": str(uuid.uuid4())}})

    def error(self, status: int, message: str) -> Response:
        if status in (502, 503):                          # the gateway, not the API
            return Response(status, b"<html><body>502 Bad Gateway</body></html>", {"Content-Type": "text/html"})
        return self._body({"Error": {"Code": CODES.get(status, "InternalError"), "Message": message}})

    def throttled(self, wait: float | None = None) -> Response:
        return self.error(429, "任务并发数超过限制 (job concurrency limit)")   # no Retry-After: Tencent sends none

    def authorized(self, req: Request) -> bool:
        return self.refusal(req) is None

    def refused_key(self, req: Request) -> Response:
        why = self.refusal(req) or ""
        code = "AuthFailure.SignatureExpire" if "expired" in why else "AuthFailure.SignatureFailure"
        return self._body({"Error": {"Code": code, "Message": why}})

    def refusal(self, req: Request) -> str | None:
        """Why Tencent would refuse this request's signature, or None."""
        if self.key is None:
            return None
        m = AUTH.fullmatch(req.headers.get("authorization", ""))
        if not m:
            return "The request has no valid TC3-HMAC-SHA256 Authorization header."
        if m["signed"] != "content-type;host" or m["service"] != "hunyuan":
            return "The SignedHeaders or the service in the credential scope are wrong."
        stamp = req.headers.get("x-tc-timestamp", "")
        if not stamp.isdigit() or abs(int(stamp) - time.time()) > SKEW_S:
            return "The signature expired: X-TC-Timestamp is more than 5 minutes off the server's time."
        if time.strftime("%Y-%m-%d", time.gmtime(int(stamp))) != m["date"]:
            return "The credential date is not the UTC date of X-TC-Timestamp."
        if self.key == ANY:
            return None
        secret_id, sep, secret_key = self.key.partition(":")
        if not sep:
            secret_key = secret_id
        if m["id"] != secret_id:
            return "The SecretId is not found."
        headers = f"content-type:{req.headers.get('content-type', '')}\nhost:{req.headers.get('host', '')}\n"
        canonical = "\n".join([req.method, req.path, "", headers, "content-type;host",
                               hashlib.sha256(req.body).hexdigest()])
        text = "\n".join(["TC3-HMAC-SHA256", stamp, f"{m['date']}/hunyuan/tc3_request",
                          hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
        if not hmac.compare_digest(sign(secret_key, m["date"], "hunyuan", text), m["sig"]):
            return "The provided credentials could not be validated: the signature does not match."
        return None

    def dispatch(self, req: Request, m: re.Match, fault: str | None) -> Response:
        action, version = req.headers.get("x-tc-action", ""), req.headers.get("x-tc-version", "")
        if version != "2023-09-01":
            return self.error(400, f"The API version `{version}` is not supported.")
        if action == "SubmitHunyuanImageJob":
            return self._generate(req, m, "submit")
        if action == "QueryHunyuanImageJob":
            return self.query(req)
        return self._body({"Error": {"Code": "InvalidAction", "Message": f"The action `{action}` is not found."}})

    def submit(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json if isinstance(req.json, dict) else {}
        if not isinstance(body.get("Prompt"), str) or not body["Prompt"]:
            return self.error(400, "Prompt 不能为空 (Prompt is required)")
        if body.get("Resolution", "1024:1024") not in RESOLUTIONS:
            return self.error(400, f"Resolution 取值错误: {body.get('Resolution')}")
        jid, job = self.job(fault, input=body)
        job["id"] = tencent_id = f"1257{int(time.time())}-{jid}-0"
        self.jobs[tencent_id] = self.jobs.pop(jid)
        return self._body({"JobId": tencent_id})

    def query(self, req: Request) -> Response:
        body = req.json if isinstance(req.json, dict) else {}
        job = self.jobs.get(str(body.get("JobId", "")))
        if job is None:
            return self.error(404, "任务不存在 (no such job)")
        if not (job.get("over") or self.job_done(job)):
            waiting = job["polls"] <= 1
            return self._body({"JobStatusCode": "1" if waiting else "2",
                               "JobStatusMsg": "排队中" if waiting else "处理中", "JobErrorCode": "",
                               "JobErrorMsg": "", "ResultImage": [], "ResultDetails": [], "RevisedPrompt": []})
        job["over"] = True
        if job["fault"] == "jobfail":
            return self._body({"JobStatusCode": "4", "JobStatusMsg": "处理失败",
                               "JobErrorCode": "FailedOperation.EngineServerError",
                               "JobErrorMsg": "引擎层内部错误 (injected)", "ResultImage": [], "ResultDetails": []})
        if "url" not in job:
            inp = job["input"]
            w, h = (int(v) for v in str(inp.get("Resolution", "1024:1024")).split(":"))
            data = self.image(inp["Prompt"], inp.get("Seed"), w, h, job["fault"])
            job["url"] = None if job["fault"] == "empty" else self.file_url(data, job["fault"])
        images = [job["url"]] if job["url"] else []
        return self._body({"JobStatusCode": "5", "JobStatusMsg": "处理完成", "JobErrorCode": "", "JobErrorMsg": "",
                           "ResultImage": images, "ResultDetails": ["Success"] * len(images),
                           "RevisedPrompt": [job["input"]["Prompt"]]})
