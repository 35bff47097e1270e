"""Per-channel protection: a location keeps units for walk-in customers; online channels see less.
The contract network (conftest) protects 3 units at WH2 (online, safety stock 2) and 2 at ST1."""

from __future__ import annotations

from typing import Any

import pytest

from core.movements import AdjustOnHand, Allocate, OnHandDelta, Outcome, ReleaseHold, SetHold
from core.stock import LocationStock, SkuStock

pytestmark = pytest.mark.parametrize(
    "store", ["memory", pytest.param("redis", marks=pytest.mark.redis)], indirect=True
)

T0 = 1_767_225_600_000
NOW = T0 + 60_000
TTL = 900_000
SKU = "SKU-1"


def receive(store: Any, location_id: str, quantity: int) -> None:
    store.apply([AdjustOnHand(f"r-{location_id}", SKU, T0, (OnHandDelta(location_id, quantity),))], NOW)


def shown(store: Any, location_id: str) -> LocationStock:
    stock: SkuStock = store.read_sync([SKU])[SKU]
    (found,) = [s for s in stock.locations if s.location_id == location_id]
    return found


def test_kept_units_stay_in_the_locations_atp_but_not_in_what_online_channels_see(store: Any) -> None:
    receive(store, "WH1", 4)
    receive(store, "WH2", 10)
    wh2 = shown(store, "WH2")
    assert (wh2.atp, wh2.online_protection, wh2.online_atp) == (8, 3, 5)
    assert store.read_sync([SKU])[SKU].network.atp == 4 + 5


def test_an_online_hold_is_trimmed_to_atp_less_the_protection(store: Any) -> None:
    receive(store, "WH2", 10)
    (result,) = store.apply([SetHold("h1", "C1", SKU, "WH2", 7, TTL, channel="web")], NOW)
    assert (result.outcome, result.granted, result.network_atp) == (Outcome.TRIMMED, 5, 0)
    assert (shown(store, "WH2").atp, shown(store, "WH2").online_atp) == (3, 0)


def test_a_walk_in_channel_hold_may_take_the_kept_units(store: Any) -> None:
    receive(store, "WH2", 10)
    store.apply([SetHold("h1", "C1", SKU, "WH2", 5, TTL)], NOW)  # no channel: online
    (walk_in,) = store.apply([SetHold("h2", "C2", SKU, "WH2", 4, TTL, channel="store")], NOW)
    assert (walk_in.outcome, walk_in.granted) == (Outcome.TRIMMED, 3)
    assert shown(store, "WH2").atp == 0


def test_an_online_order_beyond_the_unprotected_units_is_refused_and_a_store_order_is_not(
    store: Any,
) -> None:
    receive(store, "ST1", 5)  # ST1: safety stock 1, keeps 2, does not serve online
    online, walk_in = store.apply(
        [
            Allocate("o1", "O1", "L1", SKU, "ST1", 3, channel="web"),
            Allocate("o2", "O2", "L1", SKU, "ST1", 3, channel="POS"),
        ],
        NOW,
    )
    assert (online.outcome, walk_in.outcome) == (Outcome.REFUSED, Outcome.APPLIED)
    (fits,) = store.apply([Allocate("o3", "O3", "L1", SKU, "ST1", 1, channel="web")], NOW)
    assert fits.outcome is Outcome.REFUSED  # 1 left at ST1, and it is kept for the store


def test_a_release_gives_back_units_with_the_protection_stored_at_the_last_write(store: Any) -> None:
    receive(store, "WH2", 10)
    store.apply([SetHold("h1", "C1", SKU, "WH2", 5, TTL)], NOW)
    (released,) = store.apply([ReleaseHold("x1", "C1", SKU)], NOW)
    assert (released.outcome, released.network_atp) == (Outcome.APPLIED, 5)
    assert store.reconcile([SKU]) == []
