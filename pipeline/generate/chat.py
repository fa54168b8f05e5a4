"""The chat planner's endpoint behind the router's machinery: one request to an OpenAI-compatible chat
model goes through the same in-flight slots, rate limits, daily quota, breaker, URL policy, transport
and retry table as an image, under the name `planner` (so `peitu usage` counts it). The protocol is
pipeline.providers.chat; what to ask and what to make of the answer is pipeline.plan.llm's."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..config import ProviderSettings
from ..errors import ConfigError
from ..models import Attempt
from ..providers.base import Answer, Call, Endpoint, Fault, Malformed
from ..providers.chat import Chat, Message, Mode, Said
from ..secrets import get_secret, redact
from .attempt import JSON_CAP, Exchange
from .candidates import Shared
from .errors import Failure, NotTried, UrlRefused
from .inflight import InFlight
from .policy import UrlPolicy
from .ratelimit import rates

NAME = "planner"
ADVICE = {
    401: ("the key was refused", "check {key} in .env or the environment (检查密钥)"),
    402: ("payment required", "top up the account behind planner.base_url (账户余额不足)"),
    403: ("access denied", "check the account's balance and access to model '{model}' (planner.model) (检查账户权限)"),
    404: ("not found", "check planner.model ('{model}') and planner.base_url ({base}) (检查模型名和地址)"),
    400: ("the request was refused", "check planner.model, planner.options and planner.max_tokens (检查参数)"),
    429: ("rate-limited", "lower planner.rate_per_minute or max_in_flight, or wait (请求过于频繁)"),
    500: ("server error", "the chat model is having trouble; retry later (服务端错误，稍后重试)"),
}


@dataclass
class Turns:
    """What happened on the way to a plan, in the manifest's words ("planner: HTTP 429, retry 1 in 0.4s")."""

    attempts: list[Attempt] = field(default_factory=list)

    def retried(self, name: str, what: str, category: str) -> None:
        self.attempts.append(Attempt(name, "retried", what, category))

    def failed(self, failure: Failure) -> None:
        self.attempts.append(Attempt(NAME, "failed", failure.message[:240], failure.category))

    def lines(self) -> list[str]:
        return [redact(str(a)) for a in self.attempts]


class ChatEndpoint:
    """The chat model configured under `planner:`, sharing the router's state (see the module docstring)."""

    name = NAME

    def __init__(self, shared: Shared):
        self.shared = shared
        self.st = st = shared.cfg.planner
        self.proto = Chat()
        self.mode: Mode | None = None              # a JSON mode the endpoint took after refusing a stronger one
        self.key_env = st.key_env
        self.ep = Endpoint(NAME, st.base_url, st.model, None, dict(st.options))    # the key: read per request
        self.limits = rates(ProviderSettings.model_validate({"rate_per_second": st.rate_per_second,
                                                            "rate_per_minute": st.rate_per_minute}))
        self.inflight = InFlight(shared.folder / "inflight", NAME, st.max_in_flight, shared.clock)
        try:
            self.policy = UrlPolicy.build(NAME, st.base_url, allow_http=st.allow_http, key=None,
                                          keyed=self.proto.headers(replace(self.ep, key="key")),
                                          keyless=self.proto.headers(self.ep))
        except UrlRefused as err:
            raise ConfigError(f"planner.base_url: {err.message}") from None

    def keyed(self) -> Endpoint:
        """The endpoint with the key as the environment holds it now (a key set or changed later counts)."""
        return replace(self.ep, key=get_secret(self.key_env))

    def unusable(self) -> NotTried | None:
        """Why the chat model cannot be asked now, or None."""
        if not self.keyed().key:
            return NotTried("no_key", f"no key: set {self.key_env or 'planner.key_env'} in .env or the environment")
        if (why := self.shared.breaker.resting(NAME)) is not None:
            return NotTried("resting", f"resting after failures ({why[:80]})")
        quota = self.st.daily_quota
        if quota is not None and self.shared.usage.used(NAME) >= quota:
            return NotTried("quota", f"today's quota of {quota} calls is used up (planner.daily_quota)")
        return None

    def ask(self, messages: list[Message], *, mode: Mode, schema: dict[str, Any], deadline: float,
            turns: Turns) -> Said:
        """One completion; Failure when the endpoint failed, NotTried when it could not be asked."""
        why = self.unusable()
        if why is not None:
            raise why
        try:
            said = Conversation(self, turns, deadline).run(messages, mode, schema)
        except NotTried:
            self.shared.breaker.release(NAME)           # a half-open probe it was granted goes unused
            raise
        except Failure as failure:                      # counted for the breaker where it happened
            turns.failed(failure)
            raise
        self.shared.succeeded(NAME)
        return said

    def fault(self, answer: Answer) -> Fault:
        try:
            return self.proto.fault(answer)
        except Exception:                 # a reader bug must not hide the status
            return Fault(f"HTTP {answer.status}", answer.status)

    def failure(self, category: str, detail: str, *, status: int | None = None, step: str = "",
                sent: bool = False, retry_after: float | None = None, hint: str | None = None) -> Failure:
        """An actionable failure: what happened and which planner setting to look at."""
        if category == "timeout":
            what, hint = "timed out", f"raise planner.timeout_s (now {self.st.timeout_s:g}s) or retry later (超时)"
        elif category == "deadline":
            what, hint = "ran out of time", f"raise planner.deadline_s (now {self.st.deadline_s:g}s) (超时)"
        elif category == "url_refused":
            what, hint = "URL refused", "check planner.base_url (https unless planner.allow_http) (地址被拒绝)"
        elif status is None:
            what, hint = "failed", "the chat model answered wrongly; retry later (服务异常)"
        else:
            what, hint = ADVICE.get(status, ADVICE[500] if status >= 500 else ADVICE[400])
            hint = hint.format(key=self.key_env or "planner.key_env", model=self.ep.model, base=self.ep.base_url)
        head = f"chat model ({NAME}, {self.ep.model}): {what}" + (f" (HTTP {status})" if status else "")
        return Failure(redact(f"{head}: {detail}"), provider=NAME, category=category, step=step, sent=sent,
                       status=status, retry_after=retry_after, hint=redact(hint))


class Conversation(Exchange):
    """One chat request: a slot, the breaker's leave, a quota call, a rate slot, then send and read,
    retried as the rules table says (a create that may have run is re-sent only where the table allows:
    a chat request is billed by its tokens whether or not the answer arrives)."""

    gives_up = "planning by rules instead"
    deadline_setting = "the plan's deadline, planner.deadline_s"

    def __init__(self, endpoint: ChatEndpoint, turns: Turns, deadline: float):
        super().__init__(endpoint, turns, deadline, timeout_s=endpoint.st.timeout_s,
                         deadline_s=endpoint.st.deadline_s)
        self.c = endpoint
        self.sent = False

    def run(self, messages: list[Message], mode: Mode, schema: dict[str, Any]) -> Said:
        c, breaker = self.c, self.shared.breaker
        call = c.proto.create(messages, c.keyed(), mode=mode, schema=schema, max_tokens=c.st.max_tokens,
                              temperature=c.st.temperature)
        with c.inflight.slot(self.deadline) as held:
            if not held:
                raise NotTried("busy", f"all {c.st.max_in_flight} in-flight slots stayed busy until the plan's "
                                       "deadline")
            if not breaker.allow(NAME):
                raise NotTried("resting", f"resting after failures ({(breaker.resting(NAME) or 'probing')[:80]})")
            if not self.shared.usage.reserve(NAME, c.st.daily_quota):
                raise NotTried("quota", f"today's quota of {c.st.daily_quota} calls is used up (planner.daily_quota)")
            return self.counted(lambda: self.retrying(lambda: self.once(call)))

    def once(self, call: Call) -> Said:
        if not self.shared.limiter.acquire(NAME, self.c.limits, self.deadline):
            if not self.sent:
                self.shared.usage.refund(NAME)          # the call was never made
            raise NotTried("rate_limit", "its rate limit leaves no slot before the plan's deadline")
        self.sent = True
        answer = self.send(call, JSON_CAP)
        if answer.status >= 300:
            raise self.refusal(answer, call.step)
        try:
            return self.c.proto.parse(answer, call)
        except Exception as err:
            what = str(err) if isinstance(err, Malformed) else f"{type(err).__name__}: {err}"
            raise self.c.failure("malformed", f"answered in a form peitu does not understand: {what}",
                                 step=call.step, sent=True) from None
