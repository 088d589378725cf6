"""Proof of ownership before any order detail is disclosed (DESIGN.md).

Pure: compares what the customer typed with the order. A mismatch never
says which part was wrong; callers only learn True or False.
"""

from __future__ import annotations

import hmac

from wismo.domain import Order
from wismo.extract import find_email, find_postal_code, normalise_postal_code


def proof_matches(order: Order, proof: str) -> bool:
    """True when `proof` holds the order's email or its shipping postal code."""
    email = find_email(proof)
    if email and order.email:
        return _same(email, order.email.strip().lower())
    address = order.shipping_address
    if address and address.zip:
        expected = normalise_postal_code(address.zip)
        given = normalise_postal_code(proof)
        if given and _same(given, expected):
            return True
        found = find_postal_code(proof)
        return bool(found) and _same(found, expected)
    return False


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# Country calling codes for numbers stored without one (national format).
_CALLING_CODES = {
    "US": "1", "CA": "1", "GB": "44", "IE": "353", "DE": "49", "FR": "33", "ES": "34",
    "IT": "39", "NL": "31", "BE": "32", "AT": "43", "CH": "41", "AU": "61", "NZ": "64",
    "MX": "52", "BR": "55", "IN": "91", "SE": "46", "DK": "45", "NO": "47", "PL": "48",
}


def normalise_phone(raw: str | None, country_code: str | None = None) -> str | None:
    """E.164 ('+13035550142') from the ways stores and channels write a number.

    'whatsapp:+1 303-555-0142', '(303) 555-0142' with country US, '0044 20 7946 0958'
    and '020 7946 0958' with country GB all normalise; a number too short to be one,
    or national with no known country, gives None.
    """
    if not raw:
        return None
    text = raw.strip().removeprefix("whatsapp:").strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("+"):
        full = digits
    elif digits.startswith("00"):
        full = digits[2:]
    else:
        calling = _CALLING_CODES.get((country_code or "").upper())
        if calling is None:
            return None
        national = digits.lstrip("0") if calling != "1" else digits
        full = national if calling == "1" and len(digits) == 11 and digits[0] == "1" \
            else calling + national
    return f"+{full}" if 8 <= len(full) <= 15 else None


def phone_matches(order: Order, sender_phone: str | None) -> bool:
    """True when the channel's verified sender number is the number on the order."""
    sender = normalise_phone(sender_phone)
    country = order.shipping_address.country_code if order.shipping_address else None
    expected = normalise_phone(order.phone, country)
    return bool(sender and expected) and _same(sender, expected)
