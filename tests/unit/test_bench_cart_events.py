"""The holds benchmark's events: contract-valid LINE_SET cart events and receipts covering the stock."""

from __future__ import annotations

from collections import defaultdict

import orjson

from omnistock.bench.cart_events import RECEIPT_LINES, cart_events, encoded, receipts
from topics.order_events import CartEvent, CartEventType

SKUS = [f"SKU-{i:05d}" for i in range(1, 51)]
STORES = ["ST-A", "ST-B"]


def test_exactly_the_asked_number_of_contract_valid_line_set_events() -> None:
    events = cart_events(SKUS, STORES, 500)
    parsed = [CartEvent.model_validate(e) for e in events]
    assert len(parsed) == 500
    assert {p.type for p in parsed} == {CartEventType.LINE_SET}
    assert len({p.event_id for p in parsed}) == 500


def test_a_line_set_again_carries_the_lines_new_larger_total() -> None:
    totals: dict[tuple[str, str], list[int]] = defaultdict(list)
    for e in cart_events(SKUS, STORES, 2000):
        totals[(e["cart_id"], e["sku"])].append(e["quantity"])
    raised = [q for q in totals.values() if len(q) > 1]
    assert raised
    assert all(q == sorted(set(q)) for q in raised)


def test_a_click_and_collect_cart_holds_every_line_at_one_store() -> None:
    stores: dict[str, set[str | None]] = defaultdict(set)
    for e in cart_events(SKUS, STORES, 2000):
        stores[e["cart_id"]].add(e.get("location_id"))
    assert all(len(s) == 1 for s in stores.values())
    chosen = {next(iter(s)) for s in stores.values()}
    assert chosen == {None, *STORES}


def test_the_same_seed_gives_the_same_events() -> None:
    assert cart_events(SKUS, STORES, 300, seed=5) == cart_events(SKUS, STORES, 300, seed=5)
    assert cart_events(SKUS, STORES, 300, seed=5) != cart_events(SKUS, STORES, 300, seed=6)


def test_receipts_give_every_sku_its_quantity_at_every_location() -> None:
    events = receipts(SKUS * 3, ["WH-1", "ST-A"], 40)
    received: dict[tuple[str, str], int] = defaultdict(int)
    for e in events:
        assert len(e["lines"]) <= RECEIPT_LINES
        for line in e["lines"]:
            received[(e["location_id"], line["sku"])] += line["quantity"]
    assert set(received.values()) == {120}
    assert len(received) == 2 * len(SKUS)


def test_events_are_keyed_by_their_key_field_and_encoded_as_json() -> None:
    events = cart_events(SKUS, STORES, 3)
    records = encoded(events, "cart_id")
    assert [(k.decode(), orjson.loads(v)) for k, v in records] == [(e["cart_id"], e) for e in events]
