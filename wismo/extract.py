"""Find order numbers, emails, postal codes and tracking numbers in free text.

The NLU extracts entities, but customers answer a question with whatever
they type ("it's the one from tuesday, 1042"). Form validation falls back to
these patterns so an answer is understood even when the model missed it.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# UPS 1Z…, USPS 20-22 digits, FedEx 12/15 digits, DHL Express 10 digits, DHL Parcel JJD…/JD…,
# Amazon TBA…, DPD 14 digits, Evri/Canada Post 16 digits, UPU (Royal Mail, national posts)
# AA123456789GB, EasyPost test codes. data/nlu/regex.yml teaches the NLU the same shapes.
TRACKING = re.compile(
    r"\b(1Z[0-9A-Z]{16}|9[0-9]{19,21}|EZ[0-9]{10}|JJ?D[0-9]{14,20}|TBA[0-9]{12}"
    r"|[0-9]{16}|[0-9]{15}|[0-9]{14}|[0-9]{12}|[0-9]{10}|[A-Z]{2}[0-9]{9}[A-Z]{2})\b",
    re.IGNORECASE,
)
ORDER = re.compile(r"(?:#\s?|\b)([A-Z]{1,4}-?\d{3,8}|\d{3,8})\b", re.IGNORECASE)
POSTAL = re.compile(
    r"\b(\d{5}(?:-\d{4})?"  # US
    r"|[A-Z]\d[A-Z]\s?\d[A-Z]\d"  # Canada
    r"|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"  # UK
    r"|\d{4})\b",  # AU/DK/... (checked last, it is the loosest)
    re.IGNORECASE,
)


def find_email(text: str) -> str | None:
    match = EMAIL.search(text or "")
    return match.group(0).lower() if match else None


def find_tracking_number(text: str) -> str | None:
    """A carrier tracking number, also when typed in groups ("9400 1118 9922 ...")."""
    compact = re.sub(r"(?<=\d) (?=\d)", "", text or "")
    match = TRACKING.search(compact)
    return match.group(1).upper() if match else None


def find_order_number(text: str) -> str | None:
    """The first thing that looks like an order number: '#1042', 'order 1042', 'WS-10023'."""
    cleaned = EMAIL.sub(" ", text or "")
    for match in ORDER.finditer(cleaned):
        candidate = match.group(1)
        if TRACKING.fullmatch(candidate) and len(candidate) >= 10:
            continue
        return normalise_order_number(candidate)
    return None


def find_postal_code(text: str) -> str | None:
    cleaned = EMAIL.sub(" ", text or "")
    match = POSTAL.search(cleaned)
    return normalise_postal_code(match.group(1)) if match else None


def normalise_order_number(value: str) -> str:
    """'#1042 ' → '1042'; 'ws-10023' → 'WS-10023'."""
    return value.strip().lstrip("#").strip().upper()


def normalise_postal_code(value: str) -> str:
    """Uppercase, no spaces; US ZIP+4 compares on its first five digits."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if re.fullmatch(r"\d{5}-\d{4}", compact):
        return compact[:5]
    return compact
