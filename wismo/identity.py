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
