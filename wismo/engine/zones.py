"""The customer's time zone, from the shipping address: quiet hours are the customer's night.

Pure and approximate on purpose: a state or country's main zone (Indiana is Eastern,
Arizona has no daylight saving). Unknown → None, and the rules' default zone applies.
"""

from __future__ import annotations

from wismo.domain import Address

_US = {
    **dict.fromkeys(("CT", "DE", "DC", "FL", "GA", "IN", "KY", "ME", "MD", "MA", "MI", "NH",
                     "NJ", "NY", "NC", "OH", "PA", "RI", "SC", "VT", "VA", "WV"),
                    "America/New_York"),
    **dict.fromkeys(("AL", "AR", "IL", "IA", "KS", "LA", "MN", "MS", "MO", "NE", "ND", "OK",
                     "SD", "TN", "TX", "WI"), "America/Chicago"),
    **dict.fromkeys(("CO", "ID", "MT", "NM", "UT", "WY"), "America/Denver"),
    "AZ": "America/Phoenix",
    **dict.fromkeys(("CA", "NV", "OR", "WA"), "America/Los_Angeles"),
    "AK": "America/Anchorage",
    "HI": "Pacific/Honolulu",
}
_CA = {
    **dict.fromkeys(("ON", "QC"), "America/Toronto"),
    **dict.fromkeys(("NS", "NB", "PE"), "America/Halifax"),
    "NL": "America/St_Johns", "MB": "America/Winnipeg", "SK": "America/Regina",
    "AB": "America/Edmonton", "BC": "America/Vancouver",
}
_AU = {
    **dict.fromkeys(("NSW", "ACT"), "Australia/Sydney"), "VIC": "Australia/Melbourne",
    "QLD": "Australia/Brisbane", "SA": "Australia/Adelaide", "WA": "Australia/Perth",
    "TAS": "Australia/Hobart", "NT": "Australia/Darwin",
}
_COUNTRIES = {
    "GB": "Europe/London", "IE": "Europe/Dublin", "DE": "Europe/Berlin", "FR": "Europe/Paris",
    "ES": "Europe/Madrid", "IT": "Europe/Rome", "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels", "AT": "Europe/Vienna", "CH": "Europe/Zurich",
    "SE": "Europe/Stockholm", "DK": "Europe/Copenhagen", "NO": "Europe/Oslo",
    "PL": "Europe/Warsaw", "PT": "Europe/Lisbon", "NZ": "Pacific/Auckland",
    "JP": "Asia/Tokyo", "SG": "Asia/Singapore", "IN": "Asia/Kolkata",
    "MX": "America/Mexico_City", "BR": "America/Sao_Paulo",
}
_BY_REGION = {"US": _US, "CA": _CA, "AU": _AU}


def time_zone(address: Address | None) -> str | None:
    """An IANA zone for the delivery address, or None when it cannot be told."""
    if address is None or not address.country_code:
        return None
    country = address.country_code.upper()
    regions = _BY_REGION.get(country)
    if regions is not None:
        return regions.get((address.province_code or "").upper())
    return _COUNTRIES.get(country)
