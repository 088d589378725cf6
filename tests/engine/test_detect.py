from dataclasses import replace
from datetime import date, timedelta, timezone

import pytest

from tests.factories import (
    NOW,
    days_ago,
    make_event,
    make_order,
    make_order_state,
    make_shipment,
    make_shipment_state,
    on,
)
from wismo.domain import ExceptionReason, Status
from wismo.engine.detect import Thresholds, detect, newer, snapshot
from wismo.engine.model import Kind, OrderState, ShipmentState

MON, FRI = date(2026, 11, 23), date(2026, 11, 27)  # FRI: the default promise
CHECK = "2026-11-24T09:00:00+00:00"  # make_shipment's latest checkpoint (six hours before NOW)
FIRST = None  # `before` on the engine's first sight of an order


def shipped(status=Status.IN_TRANSIT, **kw):
    """#1042 with one parcel ("ful-1"); order fields (promised_date, …) go to the order."""
    order_kw = {k: kw.pop(k) for k in ("promised_date", "hold_reason", "created_at",
                                        "shipping_address", "cancelled_at") if k in kw}
    return make_order(shipments=[make_shipment(status=status, **kw)], **order_kw)


def was(status=Status.IN_TRANSIT, **kw) -> OrderState:
    """The engine remembered parcel ful-1 in ``status`` as of a day ago."""
    return make_order_state(status=status, **kw)


def news(ds) -> list[str]:
    """'kind[/reason]@revision' for each detection: what the outbox will dedup on."""
    return [d.kind.value + (f"/{d.reason.value}" if d.reason else "") + f"@{d.revision}"
            for d in ds]


NOTHING_SHIPPED = make_order_state(shipments={})
FRESH_SCAN = [make_event(at=days_ago(0.1), message="Origin Scan")]
ABROAD = [make_event(at=days_ago(1.5), city="Leipzig", region=None, country="DE")]
PICKUP = make_event(status=Status.AVAILABLE_FOR_PICKUP, city="Nashville",
                    message="Delivered to UPS Access Point: CVS Pharmacy, 500 Church St, "
                            "Nashville TN 37219. Available for pickup")


@pytest.mark.parametrize(
    ("before", "order", "expected"),
    [
        # Milestones: once per change of status
        pytest.param(FIRST, make_order(created_at=days_ago(0.1)), ["order_confirmed@"],
                     id="first-sight-of-a-new-order-confirms-it"),
        pytest.param(was(Status.LABEL_CREATED), shipped(), ["shipped@"],
                     id="label-to-first-scan-is-shipped"),
        pytest.param(NOTHING_SHIPPED, shipped(), ["shipped@"], id="nothing-to-in-transit"),
        pytest.param(was(Status.PENDING), shipped(), ["shipped@"], id="pending-to-in-transit"),
        pytest.param(was(Status.UNKNOWN), shipped(), ["shipped@"], id="unknown-to-in-transit"),
        pytest.param(FIRST, shipped(events=FRESH_SCAN, shipped_at=days_ago(0.2)), ["shipped@"],
                     id="first-sight-of-a-fresh-first-scan"),
        pytest.param(was(), shipped(Status.OUT_FOR_DELIVERY), ["out_for_delivery@2026-11-24"],
                     id="out-for-delivery"),
        pytest.param(was(Status.ATTEMPT_FAILED), shipped(Status.OUT_FOR_DELIVERY),
                     ["out_for_delivery@2026-11-24"], id="out-again-after-a-failed-attempt"),
        pytest.param(was(Status.LABEL_CREATED), shipped(Status.OUT_FOR_DELIVERY),
                     ["out_for_delivery@2026-11-24"], id="first-scan-is-out-for-delivery"),
        pytest.param(was(Status.OUT_FOR_DELIVERY), shipped(Status.DELIVERED), ["delivered@"],
                     id="delivered"),
        pytest.param(was(), shipped(Status.AVAILABLE_FOR_PICKUP, events=[PICKUP]),
                     ["available_for_pickup@"], id="available-for-pickup"),
        # Problems told on a change of status
        pytest.param(was(Status.OUT_FOR_DELIVERY), shipped(Status.ATTEMPT_FAILED),
                     [f"attempt_failed@{CHECK}"], id="attempt-failed"),
        pytest.param(was(Status.OUT_FOR_DELIVERY),
                     shipped(Status.ATTEMPT_FAILED, promised_date=date(2026, 11, 24)),
                     [f"attempt_failed@{CHECK}"], id="a-next-try-after-the-promise-is-not-"
                                                    "trending-late-without-a-carrier-eta"),
        pytest.param(was(Status.EXCEPTION), shipped(Status.RETURN_TO_SENDER),
                     ["return_to_sender@"], id="return-to-sender"),
        pytest.param(was(), shipped(Status.EXCEPTION), [f"exception/other@{CHECK}"],
                     id="exception-without-a-reason-is-other"),
        pytest.param(was(Status.EXCEPTION, reason=ExceptionReason.WEATHER),
                     shipped(Status.EXCEPTION, reason=ExceptionReason.CUSTOMS),
                     [f"exception/customs@{CHECK}"], id="a-new-reason-is-new-news"),
        # Nothing new
        pytest.param(was(), shipped(), [], id="still-in-transit"),
        pytest.param(was(Status.EXCEPTION, reason=ExceptionReason.WEATHER),
                     shipped(Status.EXCEPTION, reason=ExceptionReason.WEATHER), [],
                     id="another-weather-scan"),
        pytest.param(was(Status.EXCEPTION, reason=ExceptionReason.WEATHER), shipped(), [],
                     id="moving-again-after-an-exception"),
        pytest.param(was(Status.PENDING), shipped(Status.LABEL_CREATED, shipped_at=days_ago(0.5)),
                     [], id="a-label-alone-is-not-shipped"),
        pytest.param(FIRST, shipped(Status.LABEL_CREATED, shipped_at=days_ago(0.5)), [],
                     id="first-sight-of-a-label"),
        pytest.param(FIRST, make_order(), [], id="first-sight-of-a-3-day-old-order"),
        pytest.param(FIRST, shipped(), [], id="first-sight-of-a-scan-from-2-days-ago"),
        pytest.param(FIRST, shipped(Status.DELIVERED, delivered_at=days_ago(3)), [],
                     id="first-sight-of-an-old-delivery"),
        pytest.param(was(), shipped(Status.DELIVERED, cancelled_at=days_ago(0.1)), [],
                     id="cancelled-orders-are-told-by-the-store"),
        pytest.param(was(), shipped(Status.CANCELLED), [], id="a-voided-label"),
        pytest.param(was(Status.DELIVERED, checkpoint_at=days_ago(0.1)), shipped(), [],
                     id="a-late-older-event-never-downgrades-delivered"),
        # First sight: still-current problems and fresh milestones only
        pytest.param(FIRST, shipped(Status.DELIVERED, delivered_at=days_ago(0.1)),
                     ["delivered@"], id="first-sight-of-a-fresh-delivery"),
        pytest.param(FIRST, shipped(Status.EXCEPTION, reason=ExceptionReason.LOST,
                                    events=[make_event(at=days_ago(5))]),
                     [f"exception/lost@{(NOW - timedelta(days=5)).isoformat()}"],
                     id="first-sight-of-an-old-but-current-problem"),
    ],
)
def test_changes(before, order, expected):
    assert news(detect(order, before, NOW)) == expected


@pytest.mark.parametrize("reason", list(ExceptionReason))
def test_every_exception_reason_is_told_with_its_checkpoint(reason):
    ds = detect(shipped(Status.EXCEPTION, reason=reason), was(), NOW)
    assert news(ds) == [f"exception/{reason.value}@{CHECK}"]
    assert ds[0].dedup_key == f"1042:ful-1:exception/{reason.value}:{CHECK}"


@pytest.mark.parametrize("reason", list(ExceptionReason))
def test_an_exception_reason_from_the_checkpoint_counts(reason):
    event = make_event(status=Status.EXCEPTION, reason=reason)
    assert news(detect(shipped(Status.EXCEPTION, events=[event]), was(), NOW)) == [
        f"exception/{reason.value}@{CHECK}"]


SIX_DAYS_QUIET = dict(events=[make_event(at=days_ago(6))], shipped_at=days_ago(8))
STUCK_AT = days_ago(6).isoformat()


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        pytest.param(shipped(promised_date=MON), ["late@2026-11-23"], id="late"),
        pytest.param(shipped(carrier_eta=date(2026, 11, 30)), ["trending_late@2026-11-30"],
                     id="trending-late"),
        pytest.param(shipped(**SIX_DAYS_QUIET), [f"stuck@{STUCK_AT}"], id="stuck"),
        pytest.param(shipped(events=[make_event(at=days_ago(3.5))]), [],
                     id="quiet-but-within-the-domestic-threshold"),
        pytest.param(shipped(events=[*ABROAD, make_event(at=days_ago(5), city="Chicago")]), [],
                     id="international-lanes-wait-longer"),
        pytest.param(shipped(events=[*ABROAD, make_event(at=days_ago(7), city="Chicago")]),
                     [f"stuck@{days_ago(7).isoformat()}"], id="international-stuck"),
        pytest.param(shipped(Status.LABEL_CREATED, shipped_at=days_ago(4)),
                     [f"no_first_scan@{days_ago(4).isoformat()}"], id="no-first-scan"),
        pytest.param(shipped(Status.LABEL_CREATED, shipped_at=days_ago(1)), [],
                     id="a-label-from-yesterday"),
        pytest.param(make_order(created_at=days_ago(6)), ["unfulfilled_too_long@2026-11-23"],
                     id="unfulfilled-3-business-days-after-the-order"),
        pytest.param(make_order(created_at=days_ago(6), hold_reason="inventory_out_of_stock"),
                     ["unfulfilled_too_long@2026-11-23"], id="unfulfilled-on-hold"),
        pytest.param(make_order(created_at=days_ago(6), hold_reason="awaiting_return_items"),
                     [], id="an-exchange-waiting-for-the-customers-return"),
        pytest.param(make_order(created_at=days_ago(6), promised_date=MON),
                     ["late@2026-11-23", "unfulfilled_too_long@2026-11-23"],
                     id="unshipped-and-late"),
        pytest.param(make_order(created_at=days_ago(6),
                                shipments=[make_shipment(status=Status.PENDING)]),
                     ["unfulfilled_too_long@2026-11-23"], id="a-pending-parcel-is-unshipped"),
        pytest.param(shipped(Status.EXCEPTION, reason=ExceptionReason.LOST, promised_date=MON),
                     [], id="lost-is-not-also-late"),
        pytest.param(shipped(Status.DELIVERED, promised_date=MON), [], id="delivered-late-is-done"),
    ],
)
def test_conditions_are_told_whenever_they_hold(order, expected):
    before = snapshot(order)
    assert news(detect(order, before, NOW)) == expected
    assert news(detect(order, before, NOW + timedelta(hours=5))) == expected  # a sweep: same


def test_stuck_and_late_together():
    order = shipped(promised_date=date(2026, 11, 20), **SIX_DAYS_QUIET)
    assert news(detect(order, snapshot(order), NOW)) == ["late@2026-11-20", f"stuck@{STUCK_AT}"]


def test_repeats_are_the_same_news():
    order = shipped(Status.EXCEPTION, reason=ExceptionReason.WEATHER, promised_date=MON)
    first = detect(order, was(), NOW)
    retried = detect(order, was(), NOW + timedelta(minutes=2))  # a retried webhook
    assert [d.dedup_key for d in first] == [d.dedup_key for d in retried]
    assert news(first) == [f"exception/weather@{CHECK}", "late@2026-11-23"]
    later = detect(order, snapshot(order, was()), NOW + timedelta(hours=6))  # next sweep
    assert [d.dedup_key for d in later] == ["1042:ful-1:late:2026-11-23"]


def test_a_second_slip_of_the_eta_is_new_news():
    first = shipped(carrier_eta=date(2026, 11, 30))
    again = shipped(carrier_eta=date(2026, 12, 2))
    one = detect(first, snapshot(first), NOW)
    two = detect(again, snapshot(first), NOW)
    assert news(one) == ["trending_late@2026-11-30"]
    assert news(two) == ["trending_late@2026-12-02"]
    assert one[0].dedup_key != two[0].dedup_key


def test_a_new_scan_then_more_silence_is_new_news():
    quiet = shipped(**SIX_DAYS_QUIET)
    scanned = shipped(events=[make_event(at=days_ago(6)), make_event(at=days_ago(5))],
                      shipped_at=days_ago(8))
    assert news(detect(scanned, snapshot(quiet), NOW)) == [f"stuck@{days_ago(5).isoformat()}"]


def test_late_is_told_once_per_promise():
    order = shipped(promised_date=MON)
    tomorrow = detect(order, snapshot(order), NOW + timedelta(days=1))
    moved = detect(replace(order, promised_date=date(2026, 11, 20)), snapshot(order), NOW)
    assert news(tomorrow) == ["late@2026-11-23"]
    assert news(moved) == ["late@2026-11-20"]


def test_thresholds_are_configurable():
    order = shipped(events=[make_event(at=days_ago(2.5))])
    assert detect(order, snapshot(order), NOW) == []
    quick = Thresholds(stuck_domestic=timedelta(days=2))
    assert news(detect(order, snapshot(order), NOW, quick)) == [
        f"stuck@{days_ago(2.5).isoformat()}"]
    label = shipped(Status.LABEL_CREATED, shipped_at=days_ago(1.5))
    assert news(detect(label, None, NOW, Thresholds(no_first_scan_days=1))) == [
        f"no_first_scan@{days_ago(1.5).isoformat()}"]
    unshipped = make_order(created_at=days_ago(3))
    assert news(detect(unshipped, None, NOW, Thresholds(unfulfilled_business_days=1))) == [
        "unfulfilled_too_long@2026-11-23"]
    assert news(detect(make_order(created_at=days_ago(2)), None, NOW,
                       Thresholds(fresh=timedelta(days=3)))) == ["order_confirmed@"]


def test_split_order_news_is_per_parcel():
    order = make_order(items=["Boots", "Socks"], shipments=[
        make_shipment(id="ful-1", status=Status.DELIVERED, items=["Boots"]),
        make_shipment(id="ful-2", status=Status.OUT_FOR_DELIVERY, items=["Socks"]),
    ])
    before = make_order_state(shipments={"ful-1": make_shipment_state(),
                                         "ful-2": make_shipment_state()})
    keys = [d.dedup_key for d in detect(order, before, NOW)]
    assert keys == ["1042:ful-1:delivered:", "1042:ful-2:out_for_delivery:2026-11-24"]


def test_the_unshipped_rest_of_a_partial_order():
    order = make_order(items=["Jacket", "Throw"], created_at=days_ago(6), shipments=[
        make_shipment(items=["Jacket"])])
    ds = detect(order, snapshot(order), NOW)
    assert [(d.shipment_id, d.kind) for d in ds] == [(None, Kind.UNFULFILLED_TOO_LONG)]


@pytest.mark.parametrize(
    ("order", "kind", "facts"),
    [
        (shipped(Status.EXCEPTION, reason=ExceptionReason.WEATHER, carrier_eta=FRI),
         Kind.EXCEPTION, dict(place="Memphis, TN", new_date=FRI, promised_date=FRI,
                              carrier="UPS", tracking_number="1Z999AA10123456784",
                              action=None, at=days_ago(0.25))),
        (shipped(Status.EXCEPTION, reason=ExceptionReason.ADDRESS_ISSUE), Kind.EXCEPTION,
         dict(action="reply here to confirm your address, including any apartment number",
              new_date=None)),
        (shipped(Status.EXCEPTION, reason=ExceptionReason.CUSTOMS, events=[make_event(
            status=Status.EXCEPTION, message="Import duties due before release")]),
         Kind.EXCEPTION, dict(action="pay the import charges the carrier asks for")),
        (shipped(Status.EXCEPTION, reason=ExceptionReason.CUSTOMS), Kind.EXCEPTION,
         dict(action=None)),
        (shipped(Status.AVAILABLE_FOR_PICKUP, events=[PICKUP]), Kind.AVAILABLE_FOR_PICKUP,
         dict(place="CVS Pharmacy, 500 Church St, Nashville TN 37219",
              action="bring photo ID to collect it")),
        (shipped(Status.DELIVERED, delivered_at=on(MON, 14), status_message="Front Porch"),
         Kind.DELIVERED, dict(place="on your front porch", at=on(MON, 14))),
        (shipped(Status.OUT_FOR_DELIVERY, carrier_eta=date(2026, 11, 24)),
         Kind.OUT_FOR_DELIVERY, dict(new_date=date(2026, 11, 24))),
        (shipped(carrier="fedex"), Kind.SHIPPED,
         dict(carrier="FedEx", new_date=FRI, at=days_ago(2) + timedelta(hours=4))),
        (shipped(Status.RETURN_TO_SENDER), Kind.RETURN_TO_SENDER,
         dict(action="reply here to choose a refund or to have it sent again")),
    ],
)
def test_detections_carry_the_facts_a_message_needs(order, kind, facts):
    (d,) = [d for d in detect(order, was(Status.LABEL_CREATED), NOW) if d.kind is kind]
    assert {k: getattr(d, k) for k in facts} == facts


@pytest.mark.parametrize(
    ("carrier_says", "action"),
    [
        ("No one available to receive", "make sure someone is in, or use the tracking link"),
        ("Business closed", "during opening hours"),
        ("Gate locked, no access to delivery location", "door or gate code"),
        ("Delivery notice left. Pick up at the Post Office", "follow the notice"),
        ("Signature required — nobody home", "to sign for it"),
        ("Incorrect address, unable to deliver", "confirm your address"),
    ],
)
def test_a_failed_attempt_says_what_the_carrier_message_asks(carrier_says, action):
    order = shipped(Status.ATTEMPT_FAILED,
                    events=[make_event(status=Status.ATTEMPT_FAILED, message=carrier_says)])
    (d,) = detect(order, was(), NOW)
    assert action in d.action


S = make_shipment_state
T1, T2 = days_ago(2), days_ago(1)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, S(status=Status.PENDING), True),
        # an older checkpoint never downgrades
        (S(status=Status.DELIVERED, checkpoint_at=T2), S(checkpoint_at=T1), False),
        (S(status=Status.EXCEPTION, checkpoint_at=T2), S(checkpoint_at=T1), False),
        # same checkpoint: later in the lifecycle wins
        (S(status=Status.DELIVERED, checkpoint_at=T1), S(checkpoint_at=T1), False),
        (S(checkpoint_at=T1), S(status=Status.DELIVERED, checkpoint_at=T1), True),
        (S(status=Status.OUT_FOR_DELIVERY, checkpoint_at=T1),
         S(status=Status.ATTEMPT_FAILED, checkpoint_at=T1), True),
        (S(status=Status.ATTEMPT_FAILED, checkpoint_at=T1),
         S(status=Status.OUT_FOR_DELIVERY, checkpoint_at=T1), False),
        (S(checkpoint_at=T1), S(checkpoint_at=T1, carrier_eta=FRI), True),  # a new ETA
        # a newer checkpoint always wins, even "lower" in the lifecycle
        (S(status=Status.EXCEPTION, checkpoint_at=T1),
         S(status=Status.RETURN_TO_SENDER, checkpoint_at=T2), True),
        (S(status=Status.OUT_FOR_DELIVERY, checkpoint_at=T1),
         S(status=Status.ATTEMPT_FAILED, checkpoint_at=T2), True),
        (S(status=Status.EXCEPTION, checkpoint_at=T1), S(checkpoint_at=T2), True),
        # time zones compare as moments
        (S(checkpoint_at=T1), S(checkpoint_at=T1.astimezone(timezone(timedelta(hours=-5)))),
         True),
    ],
)
def test_newer(before, after, expected):
    assert newer(before, after) is expected


def test_newer_without_checkpoint_times_goes_by_the_lifecycle():
    pending, label = ShipmentState(Status.PENDING), ShipmentState(Status.LABEL_CREATED)
    assert newer(pending, label) and not newer(label, pending)
    assert newer(label, S(checkpoint_at=T1))  # the first checkpoint ever
    assert not newer(S(status=Status.DELIVERED, checkpoint_at=T1), label)


def test_snapshot_remembers_each_parcel():
    order = shipped(Status.EXCEPTION, reason=ExceptionReason.WEATHER, carrier_eta=FRI)
    assert snapshot(order) == OrderState(order_number="1042", shipments={
        "ful-1": S(status=Status.EXCEPTION, checkpoint_at=days_ago(0.25),
                   reason=ExceptionReason.WEATHER, carrier_eta=FRI)})
    assert snapshot(make_order(cancelled_at=NOW)).cancelled


def test_snapshot_never_downgrades_what_it_remembers():
    delivered = was(Status.DELIVERED, checkpoint_at=days_ago(0.1))
    stale = shipped()  # an in-transit payload with an older checkpoint
    assert snapshot(stale, delivered) == delivered
    moved = shipped(events=[make_event(at=days_ago(0.05))])
    assert snapshot(moved, delivered).shipments["ful-1"].status is Status.IN_TRANSIT
