"""Domain state → the words a customer reads (WhatsApp, SMS, web chat). Pure, no I/O.

Every status answer says where the order is now, what that means or why, and what happens
next with a date (DESIGN.md, "Conversation contract"). Several parcels: one line each.

Modules: ``words`` (carrier names, places, addresses, items), ``parcels`` (one parcel in
each state), ``status`` (status, date, delay, tracking and summary answers), ``requests``
(missing, damaged, cancel, change of address).
"""

from wismo.answers.requests import (
    address_change_refused_reply,
    address_changed_reply,
    address_confirm_question,
    cancel_confirm_question,
    cancel_refused_reply,
    cancelled_reply,
    damaged_item_reply,
    missing_package_reply,
)
from wismo.answers.status import (
    delay_reply,
    eta_reply,
    order_summary_line,
    status_reply,
    tracking_reply,
)
from wismo.answers.words import format_address

__all__ = [
    "address_change_refused_reply",
    "address_changed_reply",
    "address_confirm_question",
    "cancel_confirm_question",
    "cancel_refused_reply",
    "cancelled_reply",
    "damaged_item_reply",
    "delay_reply",
    "eta_reply",
    "format_address",
    "missing_package_reply",
    "order_summary_line",
    "status_reply",
    "tracking_reply",
]
