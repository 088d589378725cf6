"""What a detection asks of the customer, as a phrase that follows "Please …". Pure, no I/O.

Kept apart from detection so the words are written once: ``detect`` puts them in
``Detection.action`` and ``messages`` falls back to the same phrases.
"""

from __future__ import annotations

from wismo.domain import ExceptionReason, Shipment

ADDRESS = "reply here to confirm your address, including any apartment number"
MAKE_GOOD = "reply here to choose a replacement or a full refund"
MISTAKE = "reply here if refusing it was a mistake"
PICKUP = "bring photo ID to collect it"
RETURN = "reply here to choose a refund or to have it sent again"
ADDRESS_HOLD = "reply here with your full address, including any apartment number"
ATTEMPT_DEFAULT = "make sure someone is in, or use the tracking link to choose another day"

# By exception reason; reasons not listed ask nothing (customs: see CUSTOMS).
EXCEPTION: dict[ExceptionReason, str] = {
    ExceptionReason.ADDRESS_ISSUE: ADDRESS,
    ExceptionReason.DAMAGED: MAKE_GOOD,
    ExceptionReason.LOST: MAKE_GOOD,
    ExceptionReason.REFUSED: MISTAKE,
}
# Words in the carrier's message → what the customer can do (first match wins).
ATTEMPT: tuple[tuple[tuple[str, ...], str], ...] = (
    (("address",), "reply here to confirm your address"),
    (("notice", "pick up", "pickup", "collect"),
     "follow the notice the driver left to collect it or book another day"),
    (("gate", "buzzer", "door code", "entry code", "access code", "no access", "access denied"),
     "reply here with a door or gate code for the driver"),
    (("closed",), "make sure someone can take it during opening hours"),
    (("signature",), "make sure someone is in to sign for it"),
)
# Customs holds ask something only when the carrier says so.
CUSTOMS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("dut", "tax", "fee", "payment", "charge"), "pay the import charges the carrier asks for"),
    (("document", "invoice", "identification"), "send the carrier the documents they ask for"),
)


def _carrier_words(s: Shipment) -> str:
    last = s.last_event
    return " ".join(filter(None, (s.status_message, last.message if last else None))).lower()


def _match(table: tuple[tuple[tuple[str, ...], str], ...], text: str) -> str | None:
    return next((action for keys, action in table if any(k in text for k in keys)), None)


def attempt(s: Shipment) -> str:
    """What a failed delivery attempt asks of the customer, from the carrier's own words."""
    return _match(ATTEMPT, _carrier_words(s)) or ATTEMPT_DEFAULT


def for_exception(reason: ExceptionReason, s: Shipment) -> str | None:
    """What an exception asks of the customer; None when the carrier or we will sort it."""
    if reason is ExceptionReason.CUSTOMS:
        return _match(CUSTOMS, _carrier_words(s))
    return EXCEPTION.get(reason)
