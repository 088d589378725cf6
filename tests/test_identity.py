from datetime import datetime, timezone

import pytest

from wismo.domain import Address, Order
from wismo.identity import proof_matches


def order(email="ava.thompson@example.com", zip_code="80202"):
    return Order(
        id="1", number="1042", email=email, created_at=datetime(2026, 11, 1, tzinfo=timezone.utc),
        shipping_address=Address(city="Denver", zip=zip_code),
    )


@pytest.mark.parametrize(
    "proof",
    ["ava.thompson@example.com", "  AVA.Thompson@Example.com ", "it's ava.thompson@example.com",
     "80202", "80202-1234", "zip 80202"],
)
def test_the_order_email_or_postal_code_proves_ownership(proof):
    assert proof_matches(order(), proof) is True


@pytest.mark.parametrize(
    "proof", ["someone@example.com", "80203", "1042", "", "ava.thompson@example"]
)
def test_anything_else_does_not(proof):
    assert proof_matches(order(), proof) is False


def test_uk_postcode_matches_with_or_without_space():
    assert proof_matches(order(zip_code="SW1A 1AA"), "sw1a1aa") is True


def test_a_wrong_email_is_not_rescued_by_a_postal_code_lookalike():
    assert proof_matches(order(), "80202@example.com") is False
