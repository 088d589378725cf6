import pytest

from wismo.extract import (
    find_email,
    find_order_number,
    find_postal_code,
    find_tracking_number,
    normalise_postal_code,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1042", "1042"),
        ("#1042", "1042"),
        ("its order # 1042 thx", "1042"),
        ("order number is ws-10023", "WS-10023"),
        ("my email is jo.doe+shop@example.com and order 1077", "1077"),
        ("I don't know it", None),
        ("", None),
    ],
)
def test_find_order_number(text, expected):
    assert find_order_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my email is Jo.Doe@Example.com", "jo.doe@example.com"),
        ("no email here", None),
    ],
)
def test_find_email(text, expected):
    assert find_email(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zip is 80202", "80202"),
        ("80202-1234", "80202"),
        ("postcode sw1a 1aa", "SW1A1AA"),
        ("K1A 0B6", "K1A0B6"),
        ("nothing", None),
    ],
)
def test_find_postal_code(text, expected):
    assert find_postal_code(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tracking 1Z999AA10123456784", "1Z999AA10123456784"),
        ("9400 1118 9922 3856 9312 34", "9400111899223856931234"),
        ("dhl says JJD0002249912345678", "JJD0002249912345678"),
        ("dhl uk: jd014600003828472901", "JD014600003828472901"),
        ("amazon gave me tba123456789012", "TBA123456789012"),
        ("dpd 15501234567890", "15501234567890"),
        ("evri ref 1234567890123456", "1234567890123456"),
        ("royal mail AB123456789GB", "AB123456789GB"),
        ("order 1042", None),
    ],
)
def test_find_tracking_number(text, expected):
    assert find_tracking_number(text) == expected


def test_uk_postcode_spacing_does_not_matter():
    assert normalise_postal_code("SW1A 1AA") == normalise_postal_code("sw1a1aa")
