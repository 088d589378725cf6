import pytest

from wismo.address_parse import parse_address
from wismo.domain import Address


def test_one_line_us_address_with_unit():
    address = parse_address("12 Oak St, Apt 4, Denver, CO 80203")
    assert (address.address1, address.address2, address.city, address.province_code,
            address.zip) == ("12 Oak St", "Apt 4", "Denver", "CO", "80203")


def test_lines_instead_of_commas_and_country_kept_from_the_order():
    current = Address(name="Ava Thompson", country="United States", country_code="US",
                      phone="+13035550100")
    address = parse_address("12 Oak St\nDenver\nCO 80203", current)
    assert (address.city, address.zip, address.name, address.country_code) == (
        "Denver", "80203", "Ava Thompson", "US")


def test_uk_postcode():
    address = parse_address("221B Baker Street, London, NW1 6XE")
    assert (address.address1, address.city, address.zip) == ("221B Baker Street", "London",
                                                             "NW1 6XE")


@pytest.mark.parametrize(
    "text", ["Denver", "12 Oak St, Denver", "Oak street, Denver, 80203", "", "yes"]
)
def test_incomplete_addresses_are_refused(text):
    assert parse_address(text) is None
