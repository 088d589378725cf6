import pytest

from wismo.domain import Address
from wismo.engine.zones import time_zone


@pytest.mark.parametrize(("country", "province", "zone"), [
    ("US", "CO", "America/Denver"), ("US", "ca", "America/Los_Angeles"),
    ("US", "AZ", "America/Phoenix"), ("US", "NY", "America/New_York"),
    ("CA", "BC", "America/Vancouver"), ("AU", "NSW", "Australia/Sydney"),
    ("DE", None, "Europe/Berlin"), ("GB", "ENG", "Europe/London"),
    ("US", None, None), ("ZZ", None, None), (None, None, None),
])
def test_the_delivery_address_gives_the_customers_time_zone(country, province, zone):
    address = Address(country_code=country, province_code=province)
    assert time_zone(address) == zone


def test_no_address_no_zone():
    assert time_zone(None) is None
