from datetime import datetime, timezone

import pytest

from wismo.domain import Address, Order
from wismo.identity import normalise_phone, phone_matches, proof_matches


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


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("+1 303-555-0142", None, "+13035550142"),
        ("whatsapp:+13035550142", None, "+13035550142"),
        ("(303) 555-0142", "US", "+13035550142"),
        ("1-303-555-0142", "US", "+13035550142"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("0044 20 7946 0958", None, "+442079460958"),
        ("030 1234567", "DE", "+49301234567"),
        ("(303) 555-0142", None, None),  # national, country unknown
        ("12", "US", None),
        ("", "US", None),
        (None, None, None),
    ],
)
def test_phone_numbers_normalise_to_e164(raw, country, expected):
    assert normalise_phone(raw, country) == expected


def with_phone(phone, country="US"):
    return Order(id="1", number="1042", email="a@example.com",
                 created_at=datetime(2026, 11, 1, tzinfo=timezone.utc), phone=phone,
                 shipping_address=Address(city="Denver", zip="80202", country_code=country))


@pytest.mark.parametrize("order_phone", ["+13035550142", "(303) 555-0142", "303.555.0142"])
def test_the_senders_phone_matches_the_order_however_it_was_written(order_phone):
    assert phone_matches(with_phone(order_phone), "+13035550142") is True


@pytest.mark.parametrize(("order_phone", "sender"), [
    ("+13035550142", "+13035550143"), (None, "+13035550142"), ("+13035550142", None),
    ("+13035550142", ""),
])
def test_another_or_missing_phone_does_not(order_phone, sender):
    assert phone_matches(with_phone(order_phone), sender) is False
