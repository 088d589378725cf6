"""Carrier tracking behind one small protocol.

`wismo.orders` asks a TrackerClient about a parcel and gets a canonical
`Tracking` back; which provider answered (EasyPost, the sandbox, later AfterShip
or Shippo) is a configuration choice, and tests plug in a local server.
"""

from __future__ import annotations

from typing import Protocol

from wismo.domain import Tracking


class TrackerClient(Protocol):
    """Anything that can tell where a parcel is."""

    def track(self, tracking_number: str, carrier: str | None = None) -> Tracking:
        """The parcel's current tracking.

        Raises:
            wismo.errors.ProviderError: the provider failed or answered nonsense.
        """
        ...


__all__ = ["TrackerClient"]
