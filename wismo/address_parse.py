"""Turn a customer's one-message address into an Address, or say what is missing.

Customers write "12 Oak St Apt 4, Denver, CO 80203" or put each part on a
line. We need a street with a number, a city and a postal code; country and
phone are kept from the order's current address.
"""

from __future__ import annotations

import re
from dataclasses import replace

from wismo.domain import Address
from wismo.extract import POSTAL

_STATE_ZIP = re.compile(r"^(?P<state>[A-Za-z]{2,3})?\s*(?P<zip>.+)$")


def parse_address(text: str, current: Address | None = None) -> Address | None:
    """The address in `text`, or None when a street, city or postal code is missing."""
    parts = [p.strip() for p in re.split(r"[,\n;]+", text or "") if p.strip()]
    if len(parts) < 2:
        return None
    postal_match = None
    postal_index = -1
    for i in range(len(parts) - 1, -1, -1):
        postal_match = POSTAL.search(parts[i])
        if postal_match:
            postal_index = i
            break
    if postal_match is None or not re.search(r"\d", parts[0]) or postal_index == 0:
        return None
    zip_code = postal_match.group(1).upper()
    rest = (parts[postal_index][: postal_match.start()] + parts[postal_index][postal_match.end():])
    province_code = rest.strip() or None
    head = parts[:postal_index]
    if province_code is None and len(head) >= 3 and len(head[-1]) <= 3:
        province_code = head.pop()
    if len(head) < 2:
        if province_code and not province_code.isupper() and len(head) == 1:
            head.append(province_code)  # "Denver 80203" written as one part
            province_code = None
        else:
            return None
    street, *middle, city = head
    base = current or Address()
    return replace(
        base,
        address1=street,
        address2=", ".join(middle) or None,
        city=city,
        province_code=province_code.upper() if province_code else base.province_code,
        province=None if province_code else base.province,
        zip=zip_code,
    )
