"""Fake Kling 可灵 image API: POST /v1/images/generations → a task (submitted), GET
/v1/images/generations/{id} → processing … succeed with task_result.images[].url, or failed. Each
call carries `Authorization: Bearer <JWT>`, checked with PyJWT as Kling documents it (HS256 with the
SecretKey, iss = AccessKey, exp and nbf in force); errors are {code, message, request_id} with Kling's
business codes. The key is `AccessKey:SecretKey` (a key without a colon is both)."""

from __future__ import annotations

import re
import time
import uuid
import warnings
from typing import Any, ClassVar

from .base import ANY, JOB_FAULTS, SYNC_FAULTS, URL_FAULTS, FakeServer, Request, Response

ASPECTS = ("16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9")
MODELS = ("kling-v1", "kling-v1-5", "kling-v2", "kling-v2-new", "kling-v2-1")
CODES = {400: 1201, 401: 1000, 403: 1103, 404: 1203, 429: 1302, 500: 5000, 503: 5001, 504: 5002}


def _ms() -> int:
    return int(time.time() * 1000)


class FakeKling(FakeServer):
    name = "kling"
    is_async = True
    routes: ClassVar[list[tuple[str, str, str, bool]]] = [
        ("POST", r"/v1/images/generations", "create", True),
        ("GET", r"/v1/images/generations/(?P<id>[^/]+)", "task", False),
        ("GET", r"/v1/images/generations", "tasks", False)]
    faults_supported = (*SYNC_FAULTS, *URL_FAULTS, *JOB_FAULTS)

    def error(self, status: int, message: str, code: int | None = None) -> Response:
        if status not in CODES and code is None:              # a gateway's answer, not the API's
            return Response(status, b"<html><body>Bad Gateway</body></html>", {"Content-Type": "text/html"})
        return Response.of({"code": code or CODES.get(status, 5000), "message": message,
                            "request_id": str(uuid.uuid4())}, status)

    def authorized(self, req: Request) -> bool:
        return self.refusal(req) is None

    def refused_key(self, req: Request) -> Response:
        code, message = self.refusal(req) or (1000, "")
        return self.error(401, message, code)

    def refusal(self, req: Request) -> tuple[int, str] | None:
        """Kling's code and message for a token it would refuse, or None."""
        import jwt                               # PyJWT: a dev dependency, as the official SDKs are

        if self.key is None:
            return None
        given = req.headers.get("authorization", "")
        if not given.startswith("Bearer "):
            return 1001, "Authorization is empty"
        access_key, sep, secret_key = ("any:any" if self.key == ANY else self.key).partition(":")
        try:
            with warnings.catch_warnings():      # the test keys are short; PyJWT warns about that
                warnings.simplefilter("ignore")
                claims = jwt.decode(given[7:], secret_key if sep else access_key, algorithms=["HS256"],
                                    options={"verify_signature": self.key != ANY, "require": ["iss", "exp", "nbf"]},
                                    leeway=5)
        except jwt.ImmatureSignatureError:
            return 1003, "Authorization is not active yet"
        except jwt.ExpiredSignatureError:
            return 1004, "Authorization has expired"
        except jwt.PyJWTError as e:
            return 1002, f"Authorization is invalid: {e}"
        if self.key != ANY and claims["iss"] != access_key:
            return 1002, "Authorization is invalid: unknown access key"
        return None

    def create(self, req: Request, m: re.Match, fault: str | None) -> Response:
        body = req.json if isinstance(req.json, dict) else {}
        if not isinstance(body.get("prompt"), str) or not body["prompt"]:
            return self.error(400, "prompt is required")
        if body.get("model_name", "kling-v1") not in MODELS:
            return self.error(404, f"model_name {body.get('model_name')} does not exist", 1203)
        if body.get("aspect_ratio", "16:9") not in ASPECTS:
            return self.error(400, f"aspect_ratio must be one of {', '.join(ASPECTS)}")
        _, job = self.job(fault, input=body, created=_ms())
        return Response.of({"code": 0, "message": "SUCCEED", "request_id": str(uuid.uuid4()),
                            "data": self._task(job, "submitted")})

    def task(self, req: Request, m: re.Match, fault: str | None) -> Response:
        job = self.jobs.get(m["id"])
        if job is None:
            return self.error(404, "task not found", 1203)
        if not (job.get("over") or self.job_done(job)):
            return self._ok(self._task(job, "processing"))
        job["over"] = True
        if job["fault"] == "jobfail":
            return self._ok(self._task(job, "failed") | {"task_status_msg": "generation failed (injected)"})
        if "url" not in job:
            inp = job["input"]
            w, h = (int(v) for v in str(inp.get("aspect_ratio", "16:9")).split(":"))
            data = self.image(inp["prompt"], 0, int((1e6 * w / h) ** 0.5), int((1e6 * h / w) ** 0.5), job["fault"])
            job["url"] = None if job["fault"] == "empty" else self.file_url(data, job["fault"])
        images = [{"index": 0, "url": job["url"]}] if job["url"] else []
        return self._ok(self._task(job, "succeed") | {"task_result": {"images": images},
                                                       "final_unit_deduction": "1"})

    def tasks(self, req: Request, m: re.Match, fault: str | None) -> Response:
        return self._ok([])

    def _ok(self, data: Any) -> Response:
        return Response.of({"code": 0, "message": "SUCCEED", "request_id": str(uuid.uuid4()), "data": data})

    def _task(self, job: dict[str, Any], status: str) -> dict[str, Any]:
        return {"task_id": job["id"], "task_status": status, "task_status_msg": "", "task_info": {},
                "created_at": job["created"], "updated_at": _ms()}
