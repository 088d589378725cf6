"""The EasyPost Trackers endpoints the sandbox answers, with the seeded faults.

Trackers of seeded parcels exist from the start (the store created them when it
shipped), so GET by id or by tracking code works without a POST first.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from wismo.sandbox.http import Reply
from wismo.sandbox.tracking import unknown_tracker

if TYPE_CHECKING:
    from wismo.sandbox.server import SandboxState

ROUTE = re.compile(r"^/v2/trackers(?:/([A-Za-z0-9_]+))?/?$")
MALFORMED = b'{"id": "trk_'
SERVER_ERROR = "We're sorry, something went wrong. If the problem persists please contact us."


def error(status: int, code: str, message: str, errors: list | None = None) -> Reply:
    """EasyPost's documented error object."""
    return Reply(status, {"error": {"code": code, "message": message, "errors": errors or []}})


def handle(state: SandboxState, method: str, path: str, query: dict[str, list[str]],
           body: Any, headers: Any) -> Reply | None:
    """Answer an EasyPost request, or None when the path is not an EasyPost one."""
    if not path.startswith("/v2/"):
        return None
    key = _api_key(headers.get("Authorization"))
    if key is None:
        return error(401, "APIKEY.REQUIRED", "Please provide your API key.")
    if key != state.easypost_key:
        return error(401, "APIKEY.INACTIVE", "This api key is no longer active. Please use a "
                     "different api key or reactivate this key.")
    match = ROUTE.match(path)
    if match is None:
        return error(404, "NOT_FOUND", "The requested resource could not be found.")
    tid = match.group(1)
    if tid is None and method == "POST":
        return _create(state, body)
    if tid is None and method == "GET":
        return _list(state, query)
    if tid is not None and method == "GET":
        with state.lock:
            tracker = next((t for t in state.seed.trackers.values() if t["id"] == tid), None)
        if tracker is None:
            return error(404, "NOT_FOUND", "The requested resource could not be found.")
        return _with_fault(state, [tracker["tracking_code"]], Reply(200, tracker))
    return error(405, "METHOD.NOT_ALLOWED", "The requested method is not allowed.")


def _api_key(header: str | None) -> str | None:
    """The HTTP basic-auth username (EasyPost sends no password)."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:]).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


def _create(state: SandboxState, body: Any) -> Reply:
    fields = body.get("tracker") if isinstance(body, dict) else None
    code = (fields or {}).get("tracking_code")
    if not isinstance(code, str) or not code.strip():
        return error(422, "PARAMETER.REQUIRED", "Missing required parameter.",
                     [{"field": "tracking_code", "message": "cannot be blank",
                       "suggestion": None}])
    code = code.strip().replace(" ", "")
    with state.lock:
        tracker = state.seed.trackers.get(code)
        if tracker is None:  # EasyPost accepts any code; the carrier has not seen it yet
            tracker = unknown_tracker(code, fields.get("carrier"), datetime.now(timezone.utc))
            state.seed.trackers[code] = tracker
    return _with_fault(state, [code], Reply(201, tracker))


def _list(state: SandboxState, query: dict[str, list[str]]) -> Reply:
    codes = query.get("tracking_codes[]", []) + query.get("tracking_codes", [])
    codes += query.get("tracking_code", [])
    codes = [c for part in codes for c in part.split(",") if c]
    carrier = (query.get("carrier") or [None])[0]
    try:
        page_size = min(max(int((query.get("page_size") or ["20"])[0]), 1), 100)
    except ValueError:
        return error(422, "PARAMETER.INVALID", "page_size must be an integer.")
    with state.lock:
        trackers = [state.seed.trackers[c] for c in codes if c in state.seed.trackers] \
            if codes else list(state.seed.trackers.values())
    if carrier:
        trackers = [t for t in trackers if t["carrier"].lower() == carrier.lower()]
    page = trackers[:page_size]
    reply = Reply(200, {"trackers": page, "has_more": len(trackers) > page_size})
    return _with_fault(state, [t["tracking_code"] for t in page] if codes else [], reply)


def _with_fault(state: SandboxState, codes: list[str], reply: Reply) -> Reply:
    """Apply the first seeded fault among these tracking codes, if any."""
    for code in codes:
        fault = state.seed.faults.get(code)
        if fault == "500":
            return error(500, "INTERNAL_SERVER_ERROR", SERVER_ERROR)
        if fault == "malformed":
            return Reply(200, MALFORMED)
        if fault == "slow":
            reply.delay = state.slow_delay
            return reply
    return reply
