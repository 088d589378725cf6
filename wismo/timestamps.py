"""Reading the providers' ISO 8601 timestamps (pure, no I/O)."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_timestamp(text: str) -> datetime:
    """ISO 8601 as an aware datetime: "...Z" (which Python 3.10 cannot read) means UTC,
    and so does a missing offset.

    Raises:
        ValueError: the text is not an ISO 8601 timestamp.
    """
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
