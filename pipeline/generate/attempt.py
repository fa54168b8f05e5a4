"""One hosted provider making one image: create → poll → download → check.

The provider's in-flight slot is held while it works (create and polls), not while we download and check.
Each HTTP step is retried as the rules table says, waiting the provider's Retry-After or a jittered
backoff, and nothing outlives the image's deadline. Whatever a provider's `create`, `parse` or `fault`
raises becomes a typed Failure that falls over to the next provider, never a crash.

`Exchange` is what every call to an endpoint shares (sending, reading refusals, retrying); the chat
planner's requests (pipeline.generate.chat) are exchanges too."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Protocol, TypeVar

from ..errors import InputError, PeituError
from ..images.decode import check_whole
from ..models import GeneratedImage, ImagePlan
from ..providers.base import Answer, Call, Fault, Malformed, Reply
from .errors import DeadlineExceeded, Failure, NotTried, TimedOut, TooLarge, TransportError, UrlRefused
from .rules import RULES, backoff, category, retry_after
from .trail import Trail

if TYPE_CHECKING:
    from .candidates import Hosted, Shared
    from .policy import UrlPolicy

T = TypeVar("T")
JSON_CAP = 50_000_000                    # API answers may carry base64 images
GONE = (401, 403, 404, 410)              # a result URL that answers these has expired or was never ours
TRANSPORT_CATEGORIES = ((UrlRefused, "url_refused"), (DeadlineExceeded, "deadline"), (TimedOut, "timeout"),
                        (TooLarge, "too_large"), (TransportError, "unreachable"))


class Asked(Protocol):
    """What an exchange needs of the endpoint it talks to (a hosted provider, the chat planner)."""

    name: str
    shared: Shared
    policy: UrlPolicy

    def fault(self, answer: Answer) -> Fault: ...

    def failure(self, category: str, detail: str, *, status: int | None = None, step: str = "",
                sent: bool = False, retry_after: float | None = None, hint: str | None = None) -> Failure: ...


class Retries(Protocol):
    """Where retries are recorded (a Trail)."""

    def retried(self, name: str, what: str, category: str) -> None: ...


class Exchange:
    """Calls to one endpoint until `deadline` (on the clock's monotonic time): each sent through the
    transport under the endpoint's URL policy, an error answer read as a Failure, retried as the rules
    table says."""

    gives_up = "trying the next provider instead"                   # when a Retry-After is too long
    deadline_setting = "the image's deadline, providers.deadline_s"

    def __init__(self, asked: Asked, trail: Retries, deadline: float, *, timeout_s: float, deadline_s: float):
        self.asked = asked
        self.trail = trail
        self.deadline = deadline
        self.timeout_s = timeout_s
        self.deadline_s = deadline_s
        self.shared = asked.shared
        self.clock = asked.shared.clock
        self.policy = asked.policy

    def left(self) -> float:
        return self.deadline - self.clock.monotonic()

    def counted(self, step: Callable[[], T]) -> T:
        try:
            return step()
        except Failure as failure:
            self.shared.failed(failure)
            raise

    def refusal(self, answer: Answer, step: str) -> Failure:
        fault = self.asked.fault(answer)
        wait = fault.retry_after if fault.retry_after is not None else retry_after(answer.headers, self.clock.time())
        detail = fault.message
        if wait is not None and wait > self.shared.cfg.providers.backoff_max_s:
            detail += f" (asked to wait {wait:g}s: {self.gives_up})"
        return self.asked.failure(category(fault.status), detail, status=fault.status, step=step, retry_after=wait)

    def send(self, call: Call, cap: int) -> Answer:
        """The transport's answer, or its error as a Failure in the table's terms."""
        try:
            return self.shared.transport.send(call, self.policy, timeout_s=self.timeout_s, left_s=self.left(),
                                              max_bytes=cap)
        except TransportError as err:
            e = err
        kind = next(name for cls, name in TRANSPORT_CATEGORIES if isinstance(e, cls))
        detail = e.message
        if call.step == "download":
            detail = f"the result: {detail}" if kind == "url_refused" else f"downloading the result: {detail}"
        if kind == "deadline":
            detail += f" ({self.deadline_setting} = {self.deadline_s:g}s)"
        if call.step == "create" and e.sent:
            detail += " — the request may have run and been billed, so it is not re-sent"
        raise self.asked.failure(kind, detail, step=call.step, sent=e.sent) from None

    def retrying(self, step: Callable[[], T], *, api: bool = True) -> T:
        """Run `step`, again after each failure the rules table retries. A 429 from the endpoint's API
        (not from a result download) pauses every request to it, from every process, for the wait."""
        n = 0
        while True:
            try:
                return step()
            except Failure as failure:
                n += 1
                wait = self.wait_before_retry(failure, n)
                if wait is None:
                    raise
                if failure.category == "http_429" and api:
                    self.shared.limiter.pause(self.asked.name, wait)
                short = f"HTTP {failure.status}" if failure.status else failure.message.split(": ", 1)[-1][:60]
                self.trail.retried(self.asked.name, f"{short}, retry {n} in {wait:.1f}s", failure.category)
                self.clock.sleep(wait)

    def wait_before_retry(self, failure: Failure, n: int) -> float | None:
        """Seconds to wait before retry `n`, or None to give up on this endpoint."""
        rule, cfg = RULES[failure.category], self.shared.cfg.providers
        if not rule.retry or n > cfg.max_retries:
            return None
        if failure.step == "create" and failure.sent and not rule.resend:
            return None
        wait = failure.retry_after
        if wait is None:
            wait = backoff(n, cfg.backoff_base_s, cfg.backoff_max_s)
        elif wait > cfg.backoff_max_s:
            return None
        return wait if self.clock.monotonic() + wait < self.deadline else None


class Generation(Exchange):
    """One hosted provider's attempt at one image (see the module's docstring)."""

    def __init__(self, hosted: Hosted, plan: ImagePlan, trail: Trail, deadline: float):
        super().__init__(hosted, trail, deadline, timeout_s=hosted.st.timeout_s,
                         deadline_s=hosted.shared.cfg.providers.deadline_s)
        self.p = hosted
        self.plan = plan
        self.sent = False                # a create went out: it may have run, and been billed

    def run(self) -> GeneratedImage:
        p, breaker = self.p, self.shared.breaker
        call = self.counted(self.build)
        self.policy = p.policy.trusting(call.url)       # peitu built this URL from config: the provider's own
        if not self.shared.usage.reserve(p.name, p.st.daily_quota):     # before the slot: the slot waits on no write
            raise NotTried("quota", f"today's quota of {p.st.daily_quota} calls is used up "
                                    f"(providers.settings.{p.name}.daily_quota)")
        with p.inflight.slot(self.deadline) as held:
            why = (NotTried("busy", f"all {p.st.max_in_flight} in-flight slots stayed busy until the image's "
                                    "deadline") if not held else
                   None if breaker.allow(p.name) else      # it may have failed while this image waited
                   NotTried("resting", f"resting after failures ({(breaker.resting(p.name) or 'probing')[:80]})"))
            if why is not None:
                self.shared.usage.refund(p.name)        # the call was never made
                raise why
            reply = self.counted(lambda: self.create_and_poll(call))   # the breaker hears of it before the slot frees
        data = self.counted(lambda: self.image(reply))
        self.counted(lambda: self.check(data))
        seed = reply.seed if reply.seed is not None else p.proto.rules(p.ep).seed_of(self.plan.seed)
        return GeneratedImage(data=data, provider=p.name, model=p.ep.model, seed=seed, elapsed_s=0.0)

    # ── the provider's work ────────────────────────────────────────────────────────────

    def create_and_poll(self, call: Call) -> Reply:
        p = self.p
        still_running = p.failure("deadline", "the job was still running at the image's deadline "
                                              f"(providers.deadline_s = {self.shared.cfg.providers.deadline_s:g}s)",
                                  step="poll", sent=True)
        while True:
            try:
                reply = self.retrying(partial(self.ask, call))
            except Failure as failure:
                if failure.category == "deadline" and call.step in ("poll", "status"):   # cut off asking how it goes
                    raise still_running from None
                raise
            if reply.error:
                raise p.failure("job_failed", f"the job failed: {reply.error}", step=call.step, sent=True)
            if reply.next is None:
                return reply
            call = reply.next
            self.clock.sleep(min(p.st.poll_interval_s, self.left()))
            if self.left() <= 0:
                raise still_running

    def build(self) -> Call:
        try:
            return self.p.proto.create(self.plan, self.p.ep)
        except PeituError as err:                         # a ConfigError naming the option
            raise self.p.failure("config", err.message, step="create", hint=err.hint) from None
        except Exception as err:
            raise self.p.failure("malformed", f"could not build its request ({type(err).__name__}: {err})",
                                 step="create") from None

    def ask(self, call: Call) -> Reply:
        """One call and its reading."""
        p = self.p
        if call.step == "create":                         # every create, retries too, takes a rate slot
            if not self.shared.limiter.acquire(p.name, p.limits, self.deadline):
                if not self.sent:
                    self.shared.usage.refund(p.name)       # the call was never made
                raise NotTried("rate_limit", "its rate limit leaves no slot before the image's deadline")
            self.sent = True
        answer = self.send(call, JSON_CAP)
        if answer.status >= 300 or p.refuses(answer):
            raise self.refusal(answer, call.step)
        try:
            return p.proto.parse(answer, call, p.ep)
        except Exception as err:
            what = str(err) if isinstance(err, Malformed) else f"{type(err).__name__}: {err}"
            raise p.failure("malformed", f"answered in a form peitu does not understand: {what}",
                            step=call.step, sent=True) from None

    # ── the image ──────────────────────────────────────────────────────────────────────

    def image(self, reply: Reply) -> bytes:
        if reply.images:
            data = reply.images[0]
        elif reply.urls:
            data = self.retrying(lambda: self.download(reply.urls[0]), api=False)
        else:
            data = b""
        if not data:
            raise self.p.failure("empty", "answered success but with no image", step="result", sent=True)
        return data

    def download(self, url: str) -> bytes:
        """GET a result URL (the key goes along only to the provider's own origin: the URL policy)."""
        call = Call("GET", url, self.p.proto.headers(self.p.ep), step="download")
        answer = self.send(call, self.shared.cfg.providers.max_download_bytes)
        if answer.status == 200:
            return answer.body
        if answer.status in GONE:
            raise self.p.failure("expired", f"the result URL answered HTTP {answer.status}: it expired or was "
                                            f"refused (providers keep results from minutes to a day)",
                                 step="download", sent=True)
        raise self.p.failure(category(answer.status), f"downloading the result: HTTP {answer.status}",
                             status=answer.status, step="download", sent=True)

    def check(self, data: bytes) -> None:
        p, cfg = self.p, self.shared.cfg
        cap = cfg.providers.max_download_bytes
        if len(data) > cap:
            raise p.failure("too_large", f"image is {len(data):,} bytes, over the {cap:,}-byte cap "
                                         f"(providers.max_download_bytes)", step="check", sent=True)
        try:
            check_whole(data, cfg.images.max_pixels)
        except InputError as err:
            raise p.failure("bad_image", err.message, step="check", sent=True) from None
        digest = hashlib.sha256(data).hexdigest()
        if self.shared.breaker.same_image(p.name, digest, f"{self.plan.prompt}\0{self.plan.seed}"):
            raise p.failure("drift", "returned the same picture it made for a different prompt — its API may "
                                     "have changed; resting it", step="check", sent=True)
