"""EasyPost Trackers API (https://docs.easypost.com/docs/trackers) as a TrackerClient.

The client only builds requests; `JsonHttpClient` owns timeouts, retries and the
error mapping, and `parse_tracker` (pure) turns a Tracker object — from a
response or from a ``tracker.updated`` Event's ``result`` — into `Tracking`.
The sandbox speaks the same API, so this is the code path in every setup.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any

import requests

from wismo.domain import Tracking, TrackingEvent
from wismo.errors import ConfigError, ProviderResponseError
from wismo.http import JsonHttpClient
from wismo.timestamps import parse_timestamp
from wismo.tracking.normalize import from_easypost

PROVIDER = "easypost"
DEFAULT_BASE_URL = "https://api.easypost.com"


class EasyPostClient:
    """Creates and reads EasyPost Trackers.

    Args:
        base_url: scheme and host of the API (the sandbox's URL in development).
        api_key: sent as the HTTP basic-auth username with an empty password.
        timeout, retries, session, sleep: passed to `JsonHttpClient`.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 5.0,
        retries: int = 3,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = _time.sleep,
    ) -> None:
        self._http = JsonHttpClient(
            PROVIDER,
            base_url,
            auth=(api_key, ""),
            timeout=timeout,
            retries=retries,
            session=session,
            sleep=sleep,
        )

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str],
        *,
        timeout: float = 5.0,
        retries: int = 3,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = _time.sleep,
    ) -> EasyPostClient:
        """Built from ``EASYPOST_API_KEY`` and ``EASYPOST_BASE_URL`` (defaults to EasyPost's)."""
        api_key = (env.get("EASYPOST_API_KEY") or "").strip()
        if not api_key:
            raise ConfigError("EASYPOST_API_KEY is not set")
        base_url = (env.get("EASYPOST_BASE_URL") or "").strip() or DEFAULT_BASE_URL
        return cls(
            base_url, api_key, timeout=timeout, retries=retries, session=session, sleep=sleep
        )

    def track(self, tracking_number: str, carrier: str | None = None) -> Tracking:
        """Create (or, for a code EasyPost already tracks, fetch) the Tracker.

        ``POST /v2/trackers`` is idempotent per tracking code, so it serves as a lookup.
        """
        return parse_tracker(self.tracker_payload(tracking_number, carrier))

    def tracker_payload(self, tracking_number: str, carrier: str | None = None) -> Any:
        """The Tracker as EasyPost sends it (what a tracker.updated event carries): the
        proactive engine keeps these and polls for parcels whose webhooks went quiet."""
        fields = {"tracking_code": tracking_number}
        if carrier:
            fields["carrier"] = carrier
        return self._http.post("/v2/trackers", json={"tracker": fields})

    def retrieve(self, tracker_id: str) -> Tracking:
        """Read a Tracker by its id (``trk_...``)."""
        return parse_tracker(self._http.get(f"/v2/trackers/{tracker_id}"))


def parse_tracker(payload: Any) -> Tracking:
    """An EasyPost Tracker object as our `Tracking`.

    Raises ProviderResponseError when the payload is not a Tracker (wrong shape,
    wrong types, unparseable dates). Nulls are fine wherever EasyPost sends them.
    An ``est_delivery_time_local`` we cannot read is dropped, not an error: it is
    carrier free text and the date alone is still worth telling.
    """
    tracker = _dict(payload, "tracker")
    code = _str(tracker, "tracking_code")
    if not code:
        raise _bad("tracker has no tracking_code")
    details = sorted(
        (_event(_dict(d, "tracking_details[]")) for d in _list(tracker, "tracking_details")),
        key=lambda event: event.at,
    )
    newest_message = details[-1].message if details else None
    status, reason = from_easypost(
        _str(tracker, "status"), _str(tracker, "status_detail"), newest_message
    )
    carrier_detail = _dict(tracker.get("carrier_detail") or {}, "carrier_detail")
    return Tracking(
        tracking_number=code,
        carrier=_str(tracker, "carrier"),
        status=status,
        reason=reason,
        status_message=newest_message or None,
        events=tuple(details),
        carrier_eta=_eta(tracker, carrier_detail),
        eta_window=parse_time_window(_str(carrier_detail, "est_delivery_time_local")),
        signed_by=_str(tracker, "signed_by") or None,
        public_url=_str(tracker, "public_url") or None,
        destination=_destination(carrier_detail),
        updated_at=_datetime(_str(tracker, "updated_at"), "updated_at"),
    )


def _event(detail: dict[str, Any]) -> TrackingEvent:
    message = _str(detail, "message") or _str(detail, "description") or ""
    status, reason = from_easypost(_str(detail, "status"), _str(detail, "status_detail"), message)
    at = _datetime(_str(detail, "datetime"), "tracking_details[].datetime")
    if at is None:
        raise _bad("tracking detail has no datetime")
    place = _dict(detail.get("tracking_location") or {}, "tracking_location")
    return TrackingEvent(
        at=at,
        status=status,
        message=message,
        city=_title(_str(place, "city")),
        region=_str(place, "state") or None,
        country=_str(place, "country") or None,
        reason=reason,
    )


def _eta(tracker: dict[str, Any], carrier_detail: dict[str, Any]) -> date | None:
    """The carrier's local delivery date, else the date part of EasyPost's UTC estimate."""
    for source, key in (
        (carrier_detail, "est_delivery_date_local"),
        (tracker, "est_delivery_date"),
    ):
        text = _str(source, key)
        if text:
            try:
                return date.fromisoformat(text[:10])
            except ValueError as exc:
                raise _bad(f"{key} is not a date: {text[:40]!r}") from exc
    return None


def parse_time_window(text: str | None) -> tuple[time, time] | None:
    """ "14:00" → (14:00, 14:00); "09:00-12:00" → (09:00, 12:00); anything else → None."""
    if not text:
        return None
    parts = [p.strip() for p in text.split("-")]
    if len(parts) not in (1, 2):
        return None
    try:
        times = [time.fromisoformat(p) for p in parts]
    except ValueError:
        return None
    start, end = times[0], times[-1]
    return (start, end) if start <= end else None


def _destination(carrier_detail: dict[str, Any]) -> str | None:
    """ "City, ST" from the structured location when there is one, else from the text."""
    place = _dict(carrier_detail.get("destination_tracking_location") or {}, "destination")
    city = _str(place, "city")
    if city:
        region = _str(place, "state") or _str(place, "country")
        return f"{_title(city)}, {region}" if region else _title(city)
    return human_place(_str(carrier_detail, "destination_location"))


def human_place(text: str | None) -> str | None:
    """ "BROOKLYN HGTS NY US" → "Brooklyn Hgts, NY"; "CHARLESTON SC, 29401" → "Charleston, SC".

    Postal codes (any token with a digit) are dropped; a trailing two-letter
    country after a two-letter state is dropped; anything unrecognised is just
    title-cased, which is never wrong, only less tidy.
    """
    if not text:
        return None
    words = [w for w in text.replace(",", " ").split() if not any(ch.isdigit() for ch in w)]
    if not words:
        return None

    def code(word: str) -> bool:
        return len(word) == 2 and word.isalpha()

    if len(words) >= 3 and code(words[-1]) and code(words[-2]):
        words = words[:-1]
    if len(words) >= 2 and code(words[-1]):
        return f"{_title(' '.join(words[:-1]))}, {words[-1].upper()}"
    return _title(" ".join(words))


def _title(text: str | None) -> str | None:
    return text.strip().title() if text and text.strip() else None


def _datetime(text: str | None, field: str) -> datetime | None:
    if not text:
        return None
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise _bad(f"{field} is not a datetime: {text[:40]!r}") from exc


def _dict(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(f"{field} is {type(value).__name__}, not an object")
    return value


def _list(obj: dict[str, Any], key: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(f"{key} is {type(value).__name__}, not a list")
    return value


def _str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _bad(f"{key} is {type(value).__name__}, not a string")


def _bad(message: str) -> ProviderResponseError:
    return ProviderResponseError(PROVIDER, f"unexpected Tracker: {message}")
