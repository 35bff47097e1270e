"""The simulated store `omnistock dev` leaves to a person, and the address of its store page.

A person trying the store page needs both flows (ship from store and click & collect) and orders
arriving often: a STORE with the SHIP and PICKUP capabilities, the biggest by the simulation's store
sizes (bigger stores carry more stock and have more online shoppers near them, so they are routed
more). Deterministic for a network and a seed; `--person-store` picks another.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.errors import OmnistockError
from core.network import Capability, LocationKind, Network

_NEEDED = frozenset({Capability.SHIP, Capability.PICKUP})


class NotAPersonStore(OmnistockError):
    """The store asked for is not in the network, or cannot both ship and serve click & collect."""


def person_store_candidates(network: Network) -> list[str]:
    """The stores that both ship orders and hand click & collect orders over, in file order."""
    return [
        location.location_id
        for location in network.locations.values()
        if location.kind is LocationKind.STORE and location.capabilities >= _NEEDED
    ]


def choose_person_store(network: Network, sizes: Mapping[str, float], asked: str | None = None) -> str | None:
    """`asked` when it is a candidate (NotAPersonStore otherwise), else the biggest candidate by
    `sizes` (ties: the first in the file); None when the network has no candidate."""
    candidates = person_store_candidates(network)
    if asked is not None:
        if asked not in candidates:
            why = (
                "no such location in the network"
                if asked not in network.locations
                else "not a store that both ships and serves click & collect"
            )
            raise NotAPersonStore(
                f"--person-store {asked}: {why}; candidates: {', '.join(candidates) or 'none'}",
                location_id=asked,
            )
        return asked
    ranked = sorted(enumerate(candidates), key=lambda item: (-sizes.get(item[1], 0.0), item[0]))
    return ranked[0][1] if ranked else None


def store_page_url(api: str, location_id: str) -> str:
    """The associate's page of the store on the API at `api` (http://host:port)."""
    return f"{api.rstrip('/')}/store/{location_id}"
