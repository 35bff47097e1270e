"""The pure Ledger: the model specifics behind the store contract (windows, pruning, aggregates)."""

from __future__ import annotations

from core.ledger import Ledger, event_key
from core.movements import AdjustOnHand, MoveTransfer, OnHandDelta, Outcome, RecordCount, TransferStatus
from core.network import Capability, Location, LocationKind, Network

T0 = 1_767_225_600_000
HOUR = 3_600_000


def network(*online: str, safety_stock: int = 0) -> Network:
    def location(location_id: str) -> Location:
        capabilities = frozenset({Capability.SHIP}) if location_id in online else frozenset()
        kind = LocationKind.STORE
        return Location(location_id, kind, location_id, 0.0, 0.0, "UTC", capabilities, safety_stock)

    return Network({i: location(i) for i in ("A", "B")})


def receipt(event_id: str, quantity: int = 1, at: int = T0, location_id: str = "A") -> AdjustOnHand:
    return AdjustOnHand(event_id, "S", at, (OnHandDelta(location_id, quantity),))


def test_an_event_is_remembered_for_the_dedupe_window_then_forgotten() -> None:
    ledger = Ledger(network("A"), dedupe_window_s=3600)
    ledger.apply([receipt("e1")], T0)
    assert ledger.apply([receipt("e1")], T0 + HOUR)[0].outcome is Outcome.DUPLICATE
    assert ledger.apply([receipt("e1")], T0 + HOUR + HOUR // 6 + 1)[0].outcome is Outcome.APPLIED


def test_long_event_ids_are_remembered_by_their_digest() -> None:
    long_id = "x" * 41
    assert len(event_key(long_id)) == 40
    assert event_key("short") == "short"
    ledger = Ledger(network("A"))
    outcomes = [r.outcome for r in ledger.apply([receipt(long_id), receipt(long_id)], T0)]
    assert outcomes == [Outcome.APPLIED, Outcome.DUPLICATE]


def test_the_delta_log_keeps_only_the_count_window_back_from_the_newest_delta() -> None:
    ledger = Ledger(network("A"), count_window_s=3600)
    ledger.apply([receipt(f"e{i}", at=T0 + i * HOUR // 2) for i in range(10)], T0)
    log = ledger._skus["S"].locations["A"].log
    assert [at for at, _ in log] == [T0 + i * HOUR // 2 for i in (8, 9)]


def test_a_count_applies_when_it_is_exactly_at_the_edge_of_the_window() -> None:
    ledger = Ledger(network("A"), count_window_s=3600)
    ledger.apply([receipt("e1", 5, T0 + HOUR)], T0)
    assert ledger.apply([RecordCount("c1", "S", T0 - 1, "A", 2)], T0)[0].outcome is Outcome.TOO_LATE
    (result,) = ledger.apply([RecordCount("c2", "S", T0, "A", 2)], T0)
    assert (result.outcome, result.locations[0].on_hand) == (Outcome.APPLIED, 7)


def test_a_count_at_the_same_time_as_the_last_count_replaces_it() -> None:
    ledger = Ledger(network("A"))
    ledger.apply([RecordCount("c1", "S", T0, "A", 3)], T0)
    (result,) = ledger.apply([RecordCount("c2", "S", T0, "A", 5)], T0)
    assert (result.outcome, result.locations[0].on_hand) == (Outcome.APPLIED, 5)


def test_an_adjustment_is_inside_the_count_only_when_all_its_deltas_are() -> None:
    ledger = Ledger(network("A", "B"))
    ledger.apply([RecordCount("c1", "S", T0 + 10, "A", 3)], T0)
    both = AdjustOnHand("e1", "S", T0, (OnHandDelta("A", 1), OnHandDelta("B", 1)))
    (result,) = ledger.apply([both], T0)
    assert result.outcome is Outcome.APPLIED
    assert [f.location_id for f in result.locations] == ["B"]
    assert ledger.apply([receipt("e2", at=T0)], T0)[0].outcome is Outcome.INSIDE_COUNT


def test_a_closed_transfer_is_forgotten_a_count_window_after_it_closed() -> None:
    ledger = Ledger(network("A", "B"), count_window_s=3600)
    steps = [TransferStatus.SHIPPED, TransferStatus.CANCELLED]
    ledger.apply([MoveTransfer(f"t{i}", "S", T0, "X", s, "A", "B", 2) for i, s in enumerate(steps)], T0)
    assert ledger._skus["S"].transfers["X"].closed_at == T0
    ledger.apply([MoveTransfer("t9", "S", T0, "Y", TransferStatus.CANCELLED, "A", "B", 1)], T0 + HOUR)
    assert set(ledger._skus["S"].transfers) == {"Y"}


def test_the_network_aggregate_follows_a_location_that_stops_serving_online_when_touched() -> None:
    current = [network("A", "B")]
    ledger = Ledger(lambda: current[0])
    ledger.apply([receipt("e1", 5, location_id="A"), receipt("e2", 7, location_id="B")], T0)
    current[0] = network("A")
    (result,) = ledger.apply([receipt("e3", 1, location_id="B")], T0)
    assert result.network_atp == 5
    stock = ledger.read("S")
    assert stock is not None
    assert (stock.network.on_hand, stock.network.atp) == (5, 5)


def test_a_sku_never_seen_reads_as_none() -> None:
    assert Ledger(network("A")).read("nope") is None
