"""The one JSON-over-HTTP client every provider adapter uses.

Timeouts, retries with exponential backoff on 429/5xx/connection errors
(honouring ``Retry-After``), and the mapping of failures onto
:mod:`wismo.errors`. Adapters only build URLs and parse bodies.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from wismo.errors import ProviderRejected, ProviderResponseError, ProviderUnavailable

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class JsonHttpClient:
    """Sends JSON requests to one provider's base URL.

    Args:
        provider: name used in errors and logs ("shopify", "easypost").
        base_url: scheme and host (and optional path prefix) of the API.
        headers: sent with every request (auth, content type).
        auth: optional ``requests`` auth (EasyPost uses basic auth).
        timeout: seconds for connect and for read.
        retries: extra attempts after the first on retryable failures.
        backoff: base delay in seconds; attempt n waits about backoff * 2**n.
        max_retry_after: cap on a server-requested ``Retry-After`` wait.
        session: injectable ``requests.Session`` (tests mount adapters on it).
        sleep: injectable sleep, so tests need not wait for real.
    """

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: Any = None,
        timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.25,
        max_retry_after: float = 10.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._session = session or requests.Session()
        self._session.headers.update({"Accept": "application/json", **(headers or {})})
        if auth is not None:
            self._session.auth = auth

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        allow_404: bool = False,
    ) -> Any:
        """Send one request and return the decoded JSON body.

        Returns None for a 404 when ``allow_404`` is set. Raises
        ProviderUnavailable when every attempt failed transiently,
        ProviderRejected on 422, ProviderResponseError on other 4xx or a body
        that is not JSON.
        """
        url = f"{self.base_url}/{path.lstrip('/')}"
        last_error = "no attempt made"
        for attempt in range(self.retries + 1):
            try:
                response = self._session.request(
                    method, url, params=params, json=json, timeout=self.timeout
                )
            except requests.Timeout:
                last_error = f"timed out after {self.timeout:g}s"
                wait = self._delay(attempt, None)
            except requests.ConnectionError:
                last_error = "connection failed"
                wait = self._delay(attempt, None)
            else:
                if response.status_code in RETRYABLE_STATUSES:
                    last_error = f"HTTP {response.status_code}"
                    wait = self._delay(attempt, response.headers.get("Retry-After"))
                else:
                    return self._decode(method, path, response, allow_404)
            log.warning(
                "provider call failed",
                extra={"provider": self.provider, "path": path, "attempt": attempt + 1,
                       "error": last_error},
            )
            if attempt < self.retries:
                self._sleep(wait)
        raise ProviderUnavailable(
            self.provider, f"{method} {path}: {last_error} after {self.retries + 1} attempts"
        )

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(float(retry_after), self.max_retry_after)
            except ValueError:
                pass  # an HTTP-date: fall back to our own backoff
        return self.backoff * (2**attempt) * (0.5 + random.random())

    def _decode(
        self, method: str, path: str, response: requests.Response, allow_404: bool
    ) -> Any:
        status = response.status_code
        if status == 404 and allow_404:
            return None
        if status == 422:
            raise ProviderRejected(
                self.provider, f"{method} {path}: {_error_text(response)}", status
            )
        if status >= 400:
            raise ProviderResponseError(
                self.provider, f"{method} {path}: HTTP {status} {_error_text(response)}", status
            )
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderResponseError(
                self.provider, f"{method} {path}: response is not JSON", status
            ) from exc


def _error_text(response: requests.Response) -> str:
    """The provider's own error text, shortened: both Shopify and EasyPost send JSON errors."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        for key in ("errors", "error", "message"):
            if key in body:
                return str(body[key])[:200]
    return str(body)[:200]
