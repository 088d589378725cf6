"""Every error wismo raises on purpose, in one place.

Actions turn these into polite replies in one spot; anything else is a bug
and is logged as such.
"""

from __future__ import annotations


class WismoError(Exception):
    """Base of every error wismo raises on purpose."""


class ConfigError(WismoError):
    """A setting is missing or invalid; the message names the variable."""


class ProviderError(WismoError):
    """A store or carrier API call failed.

    Attributes:
        provider: "shopify", "easypost", ...
        status: the HTTP status when there was a response, else None.
    """

    def __init__(self, provider: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.status = status


class ProviderUnavailable(ProviderError):
    """Timed out, refused, rate-limited or 5xx after every retry: try again later."""


class ProviderResponseError(ProviderError):
    """The provider answered, but not with what its API documents (malformed JSON, 4xx)."""


class ProviderRejected(ProviderError):
    """The provider refused the request for a business reason (e.g. order already fulfilled)."""
