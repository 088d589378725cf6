"""Webhook signatures: known answers from the providers' documented algorithms."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import pytest

from tests.engine.payloads import (
    easypost_delivery,
    easypost_vector,
    shopify_delivery,
    shopify_vector,
)
from wismo.engine.verify import EASYPOST_HEADER, SHOPIFY_HEADER, easypost_valid, shopify_valid


def test_shopify_known_answer() -> None:
    vector = shopify_vector()
    header = vector["headers"][SHOPIFY_HEADER]
    assert shopify_valid(vector["secret"], vector["raw_body"].encode(), header) is True


def test_easypost_known_answer() -> None:
    vector = easypost_vector()
    header = vector["headers"][EASYPOST_HEADER]
    assert easypost_valid(vector["secret"], vector["raw_body"].encode(), header) is True


def test_the_test_signers_reproduce_the_vectors() -> None:
    """The deliveries the other tests send are signed exactly as the providers sign."""
    shopify, easypost = shopify_vector(), easypost_vector()
    signed = shopify_delivery(shopify["raw_body"].encode(), "fulfillments/update")
    assert signed.headers[SHOPIFY_HEADER] == shopify["headers"][SHOPIFY_HEADER]
    signed = easypost_delivery(easypost["raw_body"].encode())
    assert signed.headers[EASYPOST_HEADER] == easypost["headers"][EASYPOST_HEADER]


def test_easypost_secret_is_nfkd_normalised() -> None:
    """A secret typed with a composed "é" and one with "e" + combining accent both match."""
    vector = easypost_vector()
    decomposed = unicodedata.normalize("NFD", vector["secret"])
    assert decomposed != vector["secret"]
    header = vector["headers"][EASYPOST_HEADER]
    assert easypost_valid(decomposed, vector["raw_body"].encode(), header) is True


@pytest.mark.parametrize("provider", ["shopify", "easypost"])
def test_tampered_body_fails(provider: str) -> None:
    valid, vector, header_name = _case(provider)
    body = vector["raw_body"].replace('"status":"', '"status":"x', 1).encode()
    assert valid(vector["secret"], body, vector["headers"][header_name]) is False


@pytest.mark.parametrize("provider", ["shopify", "easypost"])
def test_wrong_secret_fails(provider: str) -> None:
    valid, vector, header_name = _case(provider)
    header = vector["headers"][header_name]
    assert valid("another_secret", vector["raw_body"].encode(), header) is False


@pytest.mark.parametrize("provider", ["shopify", "easypost"])
@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_header_fails(provider: str, header: str | None) -> None:
    valid, vector, _ = _case(provider)
    assert valid(vector["secret"], vector["raw_body"].encode(), header) is False


@pytest.mark.parametrize("provider", ["shopify", "easypost"])
def test_unset_secret_never_matches(provider: str) -> None:
    """Even a body "signed" with the empty key: an unconfigured secret refuses everything."""
    valid, vector, header_name = _case(provider)
    body = vector["raw_body"].encode()
    signed = (shopify_delivery(body, "fulfillments/update", secret="") if provider == "shopify"
              else easypost_delivery(body, secret=""))
    assert valid("", body, signed.headers[header_name]) is False


def test_easypost_needs_its_prefix() -> None:
    vector = easypost_vector()
    bare = vector["headers"][EASYPOST_HEADER].removeprefix("hmac-sha256-hex=")
    assert easypost_valid(vector["secret"], vector["raw_body"].encode(), bare) is False


def test_non_ascii_header_is_refused_not_raised() -> None:
    vector = shopify_vector()
    assert shopify_valid(vector["secret"], vector["raw_body"].encode(), "é" * 44) is False


Check = Callable[[str, bytes, str | None], bool]


def _case(provider: str) -> tuple[Check, dict[str, Any], str]:
    """The check, the shared vector and the signature header of one provider."""
    if provider == "shopify":
        return shopify_valid, shopify_vector(), SHOPIFY_HEADER
    return easypost_valid, easypost_vector(), EASYPOST_HEADER
