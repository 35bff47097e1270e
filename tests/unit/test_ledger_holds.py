"""The pure Ledger's hold and allocation rules (milliseconds; the contract suite runs them on Redis too)."""

from __future__ import annotations

from dataclasses import replace

from core.ledger import Ledger
from core.movements import AdjustOnHand, Allocate, OnHandDelta, Outcome, RenewCart, SetHold
from core.network import Network
from tests.contract.conftest import NETWORK

NOW = 1_767_225_600_000
TTL = 900_000


def stocked(quantity: int = 10) -> Ledger:
    ledger = Ledger(NETWORK)
    deltas = (OnHandDelta("WH1", quantity), OnHandDelta("ST1", quantity))
    ledger.apply([AdjustOnHand("r1", "A", NOW, deltas)], NOW)
    return ledger


def test_a_cart_line_moved_to_another_location_is_released_where_it_was() -> None:
    ledger = stocked()
    ledger.apply([SetHold("h1", "C1", "A", "WH1", 3, TTL)], NOW)
    (moved,) = ledger.apply([SetHold("h2", "C1", "A", "ST1", 2, TTL)], NOW)
    assert [(f.location_id, f.reserved) for f in moved.locations] == [("WH1", 0), ("ST1", 2)]
    assert moved.outcome is Outcome.APPLIED


def test_a_cart_renewal_answers_once_with_the_number_of_holds_renewed() -> None:
    ledger = stocked()
    ledger.apply([AdjustOnHand("r2", "B", NOW, (OnHandDelta("WH1", 5),))], NOW)
    ledger.apply([SetHold("h1", "C1", "A", None, 1, TTL), SetHold("h2", "C1", "B", "WH1", 1, TTL)], NOW)
    renewed, again = ledger.apply([RenewCart("e1", "C1", TTL), RenewCart("e1", "C1", TTL)], NOW + 1)
    assert (renewed.outcome, renewed.granted) == (Outcome.APPLIED, 2)
    assert (again.outcome, again.granted) == (Outcome.DUPLICATE, 0)


def test_reconciliation_of_the_pure_model_repairs_injected_allocation_drift() -> None:
    ledger = stocked()
    ledger.apply([Allocate("o1", "O1", "L1", "A", "WH1", 4)], NOW)
    state = ledger.state("A")
    assert state is not None
    state.locations["WH1"].allocated = 0
    drifts = ledger.reconcile(["A"])
    assert [(d.location_id, d.figure, d.stored, d.actual) for d in drifts] == [("WH1", "allocated", 0, 4)]
    stock = ledger.read("A")
    assert stock is not None
    assert [(s.location_id, s.allocated, s.atp) for s in stock.locations] == [("ST1", 0, 9), ("WH1", 4, 6)]
    assert ledger.reconcile(None) == []


def test_an_online_hold_sees_atp_less_the_protection_and_a_store_hold_the_rest() -> None:
    protected = Network({"ST1": replace(NETWORK.locations["WH1"], location_id="ST1", online_protection=3)})
    ledger = Ledger(protected)
    ledger.apply([AdjustOnHand("r1", "A", NOW, (OnHandDelta("ST1", 5),))], NOW)
    web = SetHold("h1", "C1", "A", "ST1", 5, TTL, "web")
    store = SetHold("h2", "C2", "A", "ST1", 5, TTL, "store")
    online, walk_in = ledger.apply([web, store], NOW)
    assert (online.granted, walk_in.granted) == (2, 3)
