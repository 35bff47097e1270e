"""The fault suite's oracle and load generator (tests/support): the positions the contract implies."""

from __future__ import annotations

from tests.support.load import stock_stream
from tests.support.oracle import StockOracle, differences, units_below_and_above


def delta(event_id: str, location: str, sku: str, quantity: int) -> dict:
    lines = [{"sku": sku, "quantity": quantity}]
    return {"event_id": event_id, "occurred_at": 0, "location_id": location, "lines": lines}


def transfer(event_id: str, status: str, quantity: int = 4) -> dict:
    return {
        "occurred_at": 0,
        "event_id": event_id,
        "transfer_id": "T-1",
        "status": status,
        "from_location_id": "WH-1",
        "to_location_id": "ST-1",
        "lines": [{"sku": "A", "quantity": quantity}],
    }


def test_receipts_sales_and_adjustments_move_on_hand_and_a_repeated_event_id_counts_once():
    oracle = StockOracle()
    assert oracle.apply("stock.receipts.v1", delta("r", "WH-1", "A", 10))
    assert oracle.apply("pos.sales.v1", delta("s", "WH-1", "A", 3))
    assert not oracle.apply("pos.sales.v1", delta("s", "WH-1", "A", 3))
    assert oracle.apply("stock.adjustments.v1", delta("a", "WH-1", "A", -2))
    assert oracle.positions() == {("A", "WH-1"): (5, 0)}
    assert oracle.applied == 3


def test_only_resellable_returns_come_back_on_hand():
    oracle = StockOracle()
    lines = [
        {"sku": "A", "quantity": 2, "condition": "RESELLABLE"},
        {"sku": "B", "quantity": 5, "condition": "DAMAGED"},
    ]
    event = {"event_id": "x", "occurred_at": 0, "return_id": "R", "location_id": "ST-1", "lines": lines}
    oracle.apply("returns.v1", event)
    assert oracle.positions() == {("A", "ST-1"): (2, 0)}


def test_a_shipped_transfer_is_in_transit_then_on_hand_at_its_destination_once_received():
    oracle = StockOracle()
    oracle.apply("stock.transfers.v1", transfer("t1", "SHIPPED"))
    assert oracle.positions() == {("A", "WH-1"): (-4, 0), ("A", "ST-1"): (0, 4)}
    oracle.apply("stock.transfers.v1", transfer("t2", "RECEIVED"))
    oracle.apply("stock.transfers.v1", transfer("t3", "CANCELLED"))  # after the receipt: ignored
    assert oracle.positions() == {("A", "WH-1"): (-4, 0), ("A", "ST-1"): (4, 0)}


def test_a_cancelled_transfer_puts_the_units_back_where_they_left():
    oracle = StockOracle()
    oracle.apply("stock.transfers.v1", transfer("t1", "SHIPPED"))
    oracle.apply("stock.transfers.v1", transfer("t2", "CANCELLED"))
    assert oracle.positions() == {("A", "WH-1"): (0, 0), ("A", "ST-1"): (0, 0)}


def count(event_id: str, at: int, on_hand: int) -> dict:
    return {
        "event_id": event_id,
        "occurred_at": at,
        "location_id": "ST-1",
        "lines": [{"sku": "A", "on_hand": on_hand}],
    }


def test_a_count_is_the_counted_value_plus_the_deltas_after_it_whatever_their_arrival_order():
    early, late = StockOracle(), StockOracle()
    sales = [("pos.sales.v1", {**delta(f"s{at}", "ST-1", "A", 1), "occurred_at": at}) for at in (10, 20, 30)]
    early.apply_all([("stock.counts.v1", count("c", 20, 50)), *sales])
    late.apply_all([*sales, ("stock.counts.v1", count("c", 20, 50))])
    assert early.positions() == late.positions() == {("A", "ST-1"): (49, 0)}  # only the sale at 30 is after


def test_a_count_older_than_the_last_applied_count_changes_nothing():
    oracle = StockOracle()
    oracle.apply("stock.counts.v1", count("c2", 200, 7))
    oracle.apply("stock.counts.v1", count("c1", 100, 90))
    oracle.apply("stock.receipts.v1", {**delta("r", "ST-1", "A", 5), "occurred_at": 150})  # inside the count
    assert oracle.positions() == {("A", "ST-1"): (7, 0)}


def test_a_transfer_step_inside_a_count_moves_in_transit_but_not_the_counted_on_hand():
    oracle = StockOracle()
    oracle.apply("stock.counts.v1", {**count("c", 100, 30), "location_id": "WH-1"})
    oracle.apply("stock.transfers.v1", {**transfer("t1", "SHIPPED"), "occurred_at": 90})
    assert oracle.positions() == {("A", "WH-1"): (30, 0), ("A", "ST-1"): (0, 4)}


def test_a_position_missing_from_the_store_counts_as_zero_and_the_units_off_are_summed():
    diff = differences({("A", "S"): (5, 1), ("B", "S"): (0, 0)}, {("A", "S"): (7, 0), ("C", "S"): (0, 0)})
    assert diff == {("A", "S"): ((5, 1), (7, 0))}
    assert units_below_and_above(diff) == (1, 2)


def test_the_stream_is_deterministic_and_re_sends_some_events_as_they_were():
    stream = stock_stream(seed=7, events=2_000, start_ms=1_000, step_ms=1.0)
    assert stream == stock_stream(seed=7, events=2_000, start_ms=1_000, step_ms=1.0)
    ids = [record.value["event_id"] for record in stream]
    assert len(set(ids)) == 2_000 < len(ids)
    assert {record.topic for record in stream} == {
        "stock.receipts.v1",
        "pos.sales.v1",
        "stock.adjustments.v1",
        "stock.counts.v1",
        "returns.v1",
        "stock.transfers.v1",
    }
    statuses = {record.value["status"] for record in stream if record.topic == "stock.transfers.v1"}
    assert statuses == {"SHIPPED", "RECEIVED", "CANCELLED"}


def test_the_oracle_of_a_stream_with_its_duplicates_equals_the_oracle_of_its_distinct_events():
    stream = stock_stream(seed=3, events=1_000, start_ms=0, step_ms=1.0)
    with_duplicates, distinct = StockOracle(), StockOracle()
    with_duplicates.apply_all((record.topic, record.value) for record in stream)
    once = {record.value["event_id"]: record for record in stream}.values()
    distinct.apply_all((record.topic, record.value) for record in once)
    assert with_duplicates.positions() == distinct.positions()
    assert any(on_hand for on_hand, _ in distinct.positions().values())
