"""One exception family with messages a user can act on; never carries a secret."""

from __future__ import annotations


class PeituError(Exception):
    """Base error: `str(err)` is a one- or two-line message fit for an operator."""

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text}\n  → {self.hint}" if self.hint else text


class ConfigError(PeituError):
    """config.yaml or the environment is wrong."""


class InputError(PeituError):
    """An article, template or image we were given cannot be used."""


class TemplateError(InputError):
    """A prompt template fails to compile or render."""


class ProviderError(PeituError):
    """A text-to-image provider failed; `retryable` tells the router whether to try again."""

    def __init__(self, message: str, *, provider: str = "", retryable: bool = False,
                 retry_after: float | None = None, status: int | None = None, **kw):
        self.provider = provider
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        super().__init__(message, **kw)


class QuotaError(ProviderError):
    """A daily quota (ours or the provider's) is used up."""


class WeChatError(PeituError):
    """The WeChat API refused a call; `errcode` is WeChat's code."""

    def __init__(self, message: str, *, errcode: int | None = None, **kw):
        self.errcode = errcode
        super().__init__(message, **kw)
