"""What can go wrong while making an image, as types: the transport's errors (no usable HTTP answer),
a provider's failure for one image (`Failure`, with the category the retry table is keyed by), and a
provider that was not tried at all (`NotTried`: not a failure of the provider)."""

from __future__ import annotations

from ..errors import PeituError, ProviderError


class TransportError(PeituError):
    """No usable HTTP answer. `sent` is False when the request surely never reached the server."""

    def __init__(self, message: str, *, sent: bool):
        self.sent = sent
        super().__init__(message)


class ConnectFailed(TransportError):
    """The name did not resolve, the connection was refused or TLS failed: nothing was sent."""

    def __init__(self, message: str):
        super().__init__(message, sent=False)


class TimedOut(TransportError):
    """The request's own time (timeout_s) ran out: connecting, waiting for the answer or reading it."""


class DeadlineExceeded(TimedOut):
    """The image's deadline (providers.deadline_s) ran out first."""


class TooLarge(TransportError):
    """The answer is bigger than the cap."""

    def __init__(self, message: str):
        super().__init__(message, sent=True)


class Broken(TransportError):
    """The connection dropped or the server broke HTTP after the request was sent."""

    def __init__(self, message: str):
        super().__init__(message, sent=True)


class UrlRefused(TransportError):
    """The URL policy forbids this URL (scheme, userinfo, address, too many redirects): nothing was sent."""

    def __init__(self, message: str):
        super().__init__(message, sent=False)


class Failure(ProviderError):
    """One provider failed to make one image. `category` keys the retry table (rules.RULES);
    `step` is the call that failed ("create", "poll", "download", "check" …); `sent` is True when a
    request may have reached the provider (a paid create that timed out is then not re-sent)."""

    def __init__(self, message: str, *, provider: str, category: str, step: str = "", sent: bool = False,
                 status: int | None = None, retry_after: float | None = None, hint: str | None = None):
        self.category = category
        self.step = step
        self.sent = sent
        super().__init__(message, provider=provider, status=status, retry_after=retry_after, hint=hint)


class NotTried(Exception):
    """A provider was passed over for this image (no key, resting, quota, no free slot before the
    deadline): nothing was asked of it, so it is no failure of the provider."""

    def __init__(self, category: str, reason: str):
        self.category = category
        self.reason = reason
        super().__init__(reason)
