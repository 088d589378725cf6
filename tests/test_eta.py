from datetime import date, time, timedelta

import pytest

from tests.factories import NOW, TODAY, days_ago, make_event, make_order, make_shipment, on
from wismo import eta
from wismo.domain import ExceptionReason, Status

MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 11, 23) + timedelta(days=n) for n in range(7))


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (MON, 1, TUE),
        (THU, 1, FRI),
        (FRI, 1, date(2026, 11, 30)),  # over the weekend
        (SAT, 1, date(2026, 11, 30)),
        (SUN, 1, date(2026, 11, 30)),
        (WED, 5, date(2026, 12, 2)),
        (FRI, 0, FRI),
    ],
)
def test_business_days_skip_weekends(start, days, expected):
    assert eta.add_business_days(start, days) == expected


@pytest.mark.parametrize(
    ("method", "days"),
    [
        ("UPS Next Day Air", 1),
        ("Overnight", 1),
        ("Express Shipping", 2),
        ("USPS Priority Mail", 2),
        ("Expedited Parcel", 2),
        ("Standard Shipping", 5),
        ("UPS Ground", 5),
        ("Economy", 10),
        ("International Tracked", 10),
        ("Free shipping", 7),
        (None, 7),
    ],
)
def test_transit_days_by_shipping_method(method, days):
    assert eta.transit_days(method) == days


def test_promised_date_is_the_stores_when_set():
    assert eta.promised_date(make_order(promised_date=FRI)) == FRI


@pytest.mark.parametrize(
    ("method", "created", "expected"),
    [
        ("Overnight", on(THU), FRI),
        ("Overnight", on(FRI), date(2026, 11, 30)),
        ("Express", on(THU), date(2026, 11, 30)),
        ("Standard", on(MON), date(2026, 11, 30)),
        ("Economy", on(MON), date(2026, 12, 7)),
        (None, on(SAT), date(2026, 12, 8)),
    ],
)
def test_promised_date_is_derived_from_the_method_in_business_days(method, created, expected):
    order = make_order(promised_date=None, shipping_method=method, created_at=created)
    assert eta.promised_date(order) == expected


def test_expected_date_prefers_the_carriers_eta():
    shipment = make_shipment(carrier_eta=date(2026, 11, 28))
    assert eta.expected_date(shipment, make_order(), TODAY) == date(2026, 11, 28)


def test_expected_date_without_carrier_eta_is_the_promise_when_still_ahead():
    assert eta.expected_date(make_shipment(), make_order(promised_date=FRI), TODAY) == FRI


def test_a_stale_carrier_eta_gives_way_to_a_prediction_after_today():
    shipment = make_shipment(carrier_eta=MON, events=[make_event(at=on(MON))])
    order = make_order(promised_date=MON, shipping_method="Standard")
    expected = eta.expected_date(shipment, order, TODAY)
    assert expected == eta.add_business_days(MON, 2)  # last scan + half the usual transit
    assert expected > TODAY


def test_label_created_without_eta_predicts_from_the_label_and_method():
    shipment = make_shipment(status=Status.LABEL_CREATED, shipped_at=on(MON))
    order = make_order(promised_date=None, shipping_method="Express",
                       created_at=on(date(2026, 11, 22)))
    # promise (Tue) has passed; label Monday + 2 business days is today, so tomorrow
    assert eta.expected_date(shipment, order, WED) == THU


@pytest.mark.parametrize(
    ("shipment", "expected"),
    [
        (make_shipment(status=Status.OUT_FOR_DELIVERY), TODAY),
        (make_shipment(status=Status.DELIVERED, delivered_at=on(MON, 14)), MON),
        (make_shipment(status=Status.ATTEMPT_FAILED), WED),
        (make_shipment(status=Status.AVAILABLE_FOR_PICKUP), None),
        (make_shipment(status=Status.RETURN_TO_SENDER), None),
        (make_shipment(status=Status.EXCEPTION, reason=ExceptionReason.LOST), None),
        (make_shipment(status=Status.EXCEPTION, reason=ExceptionReason.WEATHER), None),
        (make_shipment(status=Status.EXCEPTION, reason=ExceptionReason.WEATHER,
                       carrier_eta=FRI), FRI),
    ],
)
def test_expected_date_by_status(shipment, expected):
    assert eta.expected_date(shipment, make_order(), TODAY) == expected


def test_unshipped_order_is_expected_by_its_promise():
    assert eta.expected_date(None, make_order(promised_date=FRI), TODAY) == FRI
    assert eta.expected_date(None, make_order(promised_date=MON), TODAY) is None


@pytest.mark.parametrize(
    ("promise", "carrier_eta", "status", "late", "days_late", "trending"),
    [
        (FRI, THU, Status.IN_TRANSIT, False, 0, False),  # on time
        (FRI, FRI, Status.IN_TRANSIT, False, 0, False),  # on the day
        (WED, FRI, Status.IN_TRANSIT, False, 0, True),  # carrier beyond the promise
        (TODAY, FRI, Status.IN_TRANSIT, False, 0, True),  # promise is today: not late yet
        (date(2026, 11, 21), FRI, Status.IN_TRANSIT, True, 3, False),  # promise passed
        (MON, None, Status.LABEL_CREATED, True, 1, False),
        (MON, None, Status.DELIVERED, False, 0, False),  # delivered late is not "late"
        (MON, None, Status.RETURN_TO_SENDER, False, 0, False),
        (MON, None, Status.AVAILABLE_FOR_PICKUP, False, 0, False),
    ],
)
def test_outlook_lateness(promise, carrier_eta, status, late, days_late, trending):
    shipment = make_shipment(status=status, carrier_eta=carrier_eta)
    result = eta.outlook(shipment, make_order(promised_date=promise), TODAY)
    assert (result.is_late, result.days_late, result.trending_late) == (late, days_late, trending)
    assert result.promised == promise


def test_outlook_says_whether_the_date_is_the_carriers():
    assert eta.outlook(make_shipment(carrier_eta=FRI), make_order(), TODAY).from_carrier
    assert not eta.outlook(make_shipment(), make_order(), TODAY).from_carrier


def test_cancelled_order_is_never_late():
    order = make_order(promised_date=MON, cancelled_at=days_ago(3))
    assert not eta.outlook(None, order, TODAY).is_late


@pytest.mark.parametrize(
    ("status", "quiet_days", "threshold_days", "stuck"),
    [
        (Status.IN_TRANSIT, 1, 4, False),
        (Status.IN_TRANSIT, 4, 4, False),  # exactly the threshold is not "longer than"
        (Status.IN_TRANSIT, 4.1, 4, True),
        (Status.IN_TRANSIT, 2.5, 2, True),  # a lane with a shorter threshold
        (Status.LABEL_CREATED, 5, 4, True),
        (Status.OUT_FOR_DELIVERY, 9, 4, False),
        (Status.DELIVERED, 9, 4, False),
        (Status.EXCEPTION, 9, 4, False),
    ],
)
def test_is_stuck(status, quiet_days, threshold_days, stuck):
    shipment = make_shipment(status=status, shipped_at=days_ago(quiet_days + 1),
                             events=[make_event(at=days_ago(quiet_days))])
    assert eta.is_stuck(shipment, NOW, timedelta(days=threshold_days)) is stuck


def test_a_label_never_scanned_counts_from_its_creation():
    shipment = make_shipment(status=Status.LABEL_CREATED, shipped_at=days_ago(5), events=[])
    assert eta.is_stuck(shipment, NOW)
    assert eta.days_without_scan(shipment, TODAY) == 5


def test_is_stuck_accepts_naive_datetimes_as_utc():
    shipment = make_shipment(events=[make_event(at=days_ago(5).replace(tzinfo=None))])
    assert eta.is_stuck(shipment, NOW)
    assert eta.is_stuck(make_shipment(events=[make_event(at=days_ago(5))]),
                        NOW.replace(tzinfo=None))


def test_no_checkpoint_at_all_is_not_stuck():
    shipment = make_shipment(status=Status.LABEL_CREATED, shipped_at=None, events=[])
    assert not eta.is_stuck(shipment, NOW)


@pytest.mark.parametrize(
    ("day", "today", "words"),
    [
        (TODAY, TODAY, "today"),
        (WED, TODAY, "tomorrow"),
        (MON, TODAY, "yesterday"),
        (FRI, TODAY, "Friday, November 27"),
        (date(2026, 11, 1), TODAY, "Sunday, November 1"),
        (date(2027, 1, 4), date(2026, 12, 30), "Monday, January 4, 2027"),
        (date(2027, 1, 1), date(2026, 12, 31), "tomorrow"),  # across the year: still tomorrow
        (date(2026, 12, 29), date(2027, 1, 2), "Tuesday, December 29, 2026"),
    ],
)
def test_format_day(day, today, words):
    assert eta.format_day(day, today) == words


def test_on_day_adds_on_only_before_a_date():
    assert eta.on_day(TODAY, TODAY) == "today"
    assert eta.on_day(FRI, TODAY) == "on Friday, November 27"


@pytest.mark.parametrize(
    ("window", "words"),
    [
        ((time(10), time(14)), "between 10 AM and 2 PM"),
        ((time(14), time(14)), "around 2 PM"),
        ((time(9, 30), time(12)), "between 9:30 AM and 12 PM"),
        ((time(0), time(20)), "by 8 PM"),
        ((time(16), time(23, 59)), "after 4 PM"),
        (None, None),
    ],
)
def test_format_window(window, words):
    assert eta.format_window(window) == words
