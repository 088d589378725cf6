"""Is this webhook delivery really from the provider? (pure, no I/O)

A step of its own, run before anything is parsed or stored: the algorithms are the
providers' documented ones (shared/data/providers/SOURCES.md), checked against known-answer
vectors. Every comparison is constant-time, and a missing header or an unset secret never
matches, so an unconfigured secret refuses deliveries rather than accepting unsigned ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata

SHOPIFY_HEADER = "X-Shopify-Hmac-SHA256"
EASYPOST_HEADER = "X-Hmac-Signature"
EASYPOST_PREFIX = "hmac-sha256-hex="


def shopify_valid(secret: str, raw_body: bytes, header: str | None) -> bool:
    """Shopify: the header is base64(HMAC-SHA256(app secret, raw body))."""
    if not secret or not header:
        return False
    digest = hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).digest()
    expected = base64.b64encode(digest)
    return hmac.compare_digest(expected, header.strip().encode("utf-8"))


def easypost_valid(secret: str, raw_body: bytes, header: str | None) -> bool:
    """EasyPost: ``hmac-sha256-hex=`` + hex(HMAC-SHA256(NFKD(secret), raw body)).

    The secret is NFKD-normalised before use, as easypost-python's validate_webhook does,
    so a secret typed with composed accents ("é") matches the one EasyPost signs with.
    """
    if not secret or not header:
        return False
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    expected = EASYPOST_PREFIX + hmac.new(key, raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8"))


__all__ = [
    "EASYPOST_HEADER",
    "SHOPIFY_HEADER",
    "easypost_valid",
    "shopify_valid",
]
