"""Orders through the worker's order flow, in memory: routed and allocated as they arrive, re-routed when a
node rejects, misses its deadline or runs short, and every step published."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import orjson
import pytest

from core.movements import AdjustOnHand, OnHandDelta
from core.network import Network
from core.promise_nodes import prepare
from state.memory import InMemoryStockStore
from state.memory_order_store import InMemoryOrderStore
from streams.order_routing import OrderRouter
from tests.support.order_flow import order_flow
from tests.support.promise_network import network, services, utc
from tests.support.records import FakeRecord
from topics.catalog import FULFILLMENT_UPDATES, ORDERS
from topics.codec import AvroCodec
from topics.registry import LocalSchemaList

CODEC = AvroCodec(LocalSchemaList())
NOW_MS = int(utc(17, 9).timestamp() * 1000)  # Tue 10:00 in Paris
NETWORK: Network = replace(network(), services=services())
SLA_MS = 3_600_000


class Harness:
    def __init__(self, net: Network = NETWORK, **stock: int) -> None:
        self.stock = InMemoryStockStore(lambda: net)
        self.orders = InMemoryOrderStore()
        self.now_ms = NOW_MS
        self.net = net
        self.restart()
        deltas = tuple(OnHandDelta(location, units) for location, units in stock.items())
        self.stock.apply([AdjustOnHand("seed", "A", NOW_MS - 60_000, deltas)], NOW_MS)

    def restart(self) -> None:
        """A new worker process on the same stores: nothing of the previous flow's memory is left."""
        net, prepared = self.net, prepare(self.net, services())
        router = OrderRouter(self.stock, lambda: prepared, lambda: net.routing, lambda _: SLA_MS)
        self.flow = order_flow(self.stock, self.orders, router, lambda: net, lambda: self.now_ms)

    def send(self, topic: str, event: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        body = orjson.dumps({"occurred_at": self.now_ms, "channel": "web", **event})
        return _by_topic(self.flow.run(topic, [FakeRecord(topic, body)]).outputs)

    def place(
        self, order_id: str = "O1", quantity: int = 1, **fields: Any
    ) -> dict[str, list[dict[str, Any]]]:
        return self.send(ORDERS, {
            "event_id": f"{order_id}-placed", "order_id": order_id, "type": "PLACED",
            "lines": [{"line_id": "l1", "sku": "A", "quantity": quantity}],
            "delivery": {"method": "HOME_STANDARD", "postcode": "75011"}, **fields,
        })  # fmt: skip

    def update(self, shipment: dict[str, Any], status: str, **fields: Any) -> dict[str, list[dict[str, Any]]]:
        return self.send(FULFILLMENT_UPDATES, {
            "event_id": f"{shipment['shipment_id']}-{status}-{self.now_ms}", "order_id": shipment["order_id"],
            "shipment_id": shipment["shipment_id"], "location_id": shipment["location_id"], "status": status,
            **fields,
        })  # fmt: skip

    def capacity_used(self, *location_ids: str) -> dict[str, int]:
        """Lines picked at each location on its own day, as the flow counts them now."""
        days = self.net.local_days(self.now_ms)
        return self.orders.capacity_used({location_id: days[location_id] for location_id in location_ids})

    def at(self, location_id: str) -> tuple[int, int]:
        """(on_hand, allocated) of sku A at one location."""
        stock = self.stock.read_sync(["A"])["A"]
        found = next((loc for loc in stock.locations if loc.location_id == location_id), None)
        return (found.on_hand, found.allocated) if found else (0, 0)


def _by_topic(outputs: list[Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for out in outputs:
        value = CODEC.decode(out.value) if out.value[:1] == b"\x00" else orjson.loads(out.value)
        found.setdefault(out.topic, []).append(value)
    return found


def _statuses(out: dict[str, list[dict[str, Any]]]) -> list[str]:
    return [record["status"] for record in out.get("orders.status.v1", [])]


def test_a_placed_order_is_allocated_and_sent_to_its_node_with_the_decision_and_status() -> None:
    shop = Harness(WH=3)

    out = shop.place()

    (request,) = out["fulfillment.requests.v1"]
    assert (request["location_id"], request["carrier_service"]) == ("WH", "home_standard")
    assert [line["sku"] for line in request["lines"]] == ["A"]
    (decision,) = out["routing.decisions.v1"]
    assert decision["decision_id"] == request["decision_id"]
    assert {c["location_id"]: c["chosen"] for c in decision["candidates"]}["WH"] is True
    assert _statuses(out) == ["ROUTED"]
    assert shop.at("WH") == (3, 1)
    assert "availability.changes.v1" in out


def test_capacity_taken_earlier_in_a_batch_counts_when_the_batch_routes_again() -> None:
    one_line_a_day = replace(NETWORK.locations["WH"], daily_pick_capacity=1)
    net = replace(NETWORK, locations={**NETWORK.locations, "WH": one_line_a_day})
    shop = Harness(net, WH=3, SHOP=3)
    placed = [
        {"event_id": f"{o}-placed", "order_id": o, "type": "PLACED",
         "lines": [{"line_id": "l1", "sku": "A", "quantity": 1}],
         "delivery": {"method": "HOME_STANDARD", "postcode": "75011"}}
        for o in ("O1", "O2")
    ]  # fmt: skip
    cancelled = {"event_id": "O1-cancel", "order_id": "O1", "type": "CANCELLED"}
    # O1 is routed first (its cancellation needs it routed), O2 in a second pass of the same batch
    batch = [placed[0], cancelled, placed[1]]
    records = [
        FakeRecord(ORDERS, orjson.dumps({"occurred_at": NOW_MS, "channel": "web", **e})) for e in batch
    ]

    out = _by_topic(shop.flow.run(ORDERS, records).outputs)

    first, second = out["fulfillment.requests.v1"]
    assert (first["order_id"], first["location_id"]) == ("O1", "WH")
    assert (second["order_id"], second["location_id"]) == ("O2", "SHOP")
    assert shop.capacity_used("WH", "SHOP") == {"WH": 1, "SHOP": 1}


def test_a_nodes_pick_capacity_renews_at_its_own_midnight_not_at_utcs() -> None:
    one_line_a_day = replace(NETWORK.locations["WH"], daily_pick_capacity=1)
    net = replace(NETWORK, locations={**NETWORK.locations, "WH": one_line_a_day})
    shop = Harness(net, WH=3)
    shop.now_ms = int(utc(17, 22, 30).timestamp() * 1000)  # Tue 23:30 in Paris
    assert shop.place("O1")["fulfillment.requests.v1"][0]["location_id"] == "WH"

    shop.now_ms = int(utc(17, 23, 30).timestamp() * 1000)  # Wed 00:30 in Paris, still Tuesday in UTC
    (request,) = shop.place("O2")["fulfillment.requests.v1"]
    shop.now_ms += 60_000
    third = shop.place("O3")

    assert request["location_id"] == "WH"
    assert "fulfillment.requests.v1" not in third  # Wednesday's one line is O2's
    assert shop.capacity_used("WH") == {"WH": 1}


def test_a_repeated_placed_event_routes_nothing_twice() -> None:
    shop = Harness(WH=3)
    shop.place()

    again = shop.place()

    assert "fulfillment.requests.v1" not in again
    assert shop.at("WH") == (3, 1)


def test_a_rejection_releases_the_node_and_routes_elsewhere_never_back() -> None:
    shop = Harness(WH=1, SHOP=1)
    request = shop.place()["fulfillment.requests.v1"][0]

    out = shop.update(request, "REJECTED", reason="NO_STAFF")

    (second,) = out["fulfillment.requests.v1"]
    assert second["location_id"] != request["location_id"]
    assert shop.at(request["location_id"])[1] == 0
    assert shop.at(second["location_id"])[1] == 1
    final = shop.update(second, "REJECTED")
    assert "fulfillment.requests.v1" not in final
    assert _statuses(final) == ["UNFULFILLABLE"]
    assert shop.at("WH")[1] == shop.at("SHOP")[1] == 0


def test_a_not_found_rejection_also_corrects_the_nodes_stock() -> None:
    shop = Harness(WH=2, SHOP=1)
    request = shop.place()["fulfillment.requests.v1"][0]
    assert request["location_id"] == "WH"

    shop.update(request, "REJECTED", reason="NOT_FOUND")

    assert shop.at("WH") == (1, 0)
    assert shop.at("SHOP") == (1, 1)


def test_a_shipment_not_accepted_in_time_is_routed_elsewhere() -> None:
    shop = Harness(WH=1, SHOP=1)
    request = shop.place()["fulfillment.requests.v1"][0]
    shop.now_ms += SLA_MS + 1

    out = _by_topic(shop.flow.sweep())

    (second,) = out["fulfillment.requests.v1"]
    assert second["location_id"] != request["location_id"]
    assert shop.at(request["location_id"])[1] == 0
    assert shop.flow.sweep() == []


def test_an_accepted_shipment_keeps_its_node_when_the_deadline_passes() -> None:
    shop = Harness(WH=1, SHOP=1)
    request = shop.place()["fulfillment.requests.v1"][0]
    shop.update(request, "ACCEPTED")
    shop.now_ms += SLA_MS + 1

    assert shop.flow.sweep() == []


def test_a_pos_sale_that_leaves_the_node_short_reroutes_the_order_at_once() -> None:
    shop = Harness(WH=1, SHOP=2)
    request = shop.place()["fulfillment.requests.v1"][0]
    assert request["location_id"] == "WH"
    results = shop.stock.apply([AdjustOnHand("pos-1", "A", NOW_MS, (OnHandDelta("WH", -1),))], NOW_MS)

    out = _by_topic(shop.flow.shortage(results))

    assert out["fulfillment.requests.v1"][0]["location_id"] == "SHOP"
    assert shop.at("WH") == (0, 0)
    assert shop.at("SHOP") == (2, 1)


def test_shipping_removes_the_stock_and_delivery_completes_the_order() -> None:
    shop = Harness(WH=3)
    request = shop.place(quantity=2)["fulfillment.requests.v1"][0]

    assert _statuses(shop.update(request, "SHIPPED")) == ["SHIPPED"]
    assert shop.at("WH") == (1, 0)
    assert _statuses(shop.update(request, "DELIVERED")) == ["COMPLETED"]


def test_cancelling_the_order_releases_what_has_not_shipped() -> None:
    shop = Harness(WH=3)
    shop.place(quantity=2)

    out = shop.send(ORDERS, {"event_id": "O1-cancel", "order_id": "O1", "type": "CANCELLED"})

    assert _statuses(out) == ["CANCELLED"]
    assert shop.at("WH") == (3, 0)


def test_an_order_with_an_unknown_postcode_is_unfulfillable_with_the_reason() -> None:
    shop = Harness(WH=3)

    out = shop.place(delivery={"method": "HOME_STANDARD", "postcode": "99999"})

    assert _statuses(out) == ["UNFULFILLABLE"]
    assert shop.at("WH") == (3, 0)


@pytest.mark.parametrize("body", [b"not json", b'{"event_id": "x", "order_id": "O", "type": "PLACED"}'])
def test_a_malformed_order_goes_to_the_dead_letter_topic(body: bytes) -> None:
    shop = Harness(WH=3)

    outcome = shop.flow.run(ORDERS, [FakeRecord(ORDERS, body)])

    assert [out.topic for out in outcome.outputs] == ["orders.v1.dlq"]


def test_a_click_and_collect_order_takes_over_its_carts_hold_at_the_store() -> None:
    from core.movements import SetHold

    shop = Harness(SHOP=2)
    shop.stock.apply([SetHold("h1", "CART-1", "A", "SHOP", 2, 900_000)], NOW_MS)

    out = shop.place(
        quantity=2, cart_id="CART-1", delivery={"method": "CLICK_COLLECT", "pickup_location_id": "SHOP"}
    )

    assert out["fulfillment.requests.v1"][0]["location_id"] == "SHOP"
    figures = next(loc for loc in shop.stock.read_sync(["A"])["A"].locations if loc.location_id == "SHOP")
    assert (figures.reserved, figures.allocated) == (0, 2)


def test_a_click_and_collect_waits_at_the_counter_with_its_units_allocated_until_collected() -> None:
    shop = Harness(SHOP=3)
    pickup = {"method": "CLICK_COLLECT", "pickup_location_id": "SHOP"}
    request = shop.place(quantity=2, delivery=pickup)["fulfillment.requests.v1"][0]
    queued = [("O1", request["shipment_id"])]

    for status in ("ACCEPTED", "PICKED", "READY_FOR_PICKUP"):
        assert _statuses(shop.update(request, status)) == []
        assert shop.at("SHOP") == (3, 2)
        assert shop.orders.store_queue("SHOP") == queued
    assert shop.orders.load(["O1"])["O1"].shipments[0].status == "READY_FOR_PICKUP"

    assert _statuses(shop.update(request, "COLLECTED")) == ["COMPLETED"]
    assert shop.at("SHOP") == (1, 0)
    assert shop.orders.store_queue("SHOP") == []


def test_the_tracking_number_of_a_shipped_update_is_kept_and_published_with_the_status() -> None:
    shop = Harness(WH=3)
    request = shop.place()["fulfillment.requests.v1"][0]

    out = shop.update(request, "SHIPPED", tracking_number="1Z999AA10123456784")

    (status,) = out["orders.status.v1"]
    assert status["shipments"][0]["tracking_number"] == "1Z999AA10123456784"
    assert shop.orders.load(["O1"])["O1"].shipments[0].tracking_number == "1Z999AA10123456784"


class _SaveFailsOnce(InMemoryOrderStore):
    def __init__(self) -> None:
        super().__init__()
        self.failures = 1

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.failures:
            self.failures -= 1
            from core.errors import StoreUnavailable

            raise StoreUnavailable("redis unreachable")
        super().save(*args, **kwargs)


@pytest.mark.parametrize("retried_by", ["the same worker", "a restarted worker"])
def test_a_batch_retried_after_the_save_failed_allocates_each_line_once_where_the_order_says(
    retried_by: str,
) -> None:
    shop = Harness(WH=1, SHOP=1)
    shop.orders = _SaveFailsOnce()
    shop.flow._orders = shop.orders  # the allocation lands, then saving the order fails
    body = orjson.dumps({
        "event_id": "O1-placed", "occurred_at": NOW_MS, "channel": "web", "order_id": "O1", "type": "PLACED",
        "lines": [{"line_id": "l1", "sku": "A", "quantity": 1}],
        "delivery": {"method": "HOME_STANDARD", "postcode": "75011"},
    })  # fmt: skip
    records = [FakeRecord(ORDERS, body)]
    with pytest.raises(Exception, match="unreachable"):
        shop.flow.run(ORDERS, records)
    assert shop.at("WH") == (1, 1)  # the failed attempt's allocation, which no order records
    if retried_by == "a restarted worker":
        shop.restart()
    shop.now_ms += 250

    out = _by_topic(shop.flow.run(ORDERS, records).outputs)

    (request,) = out["fulfillment.requests.v1"]
    assert shop.at(request["location_id"]) == (1, 1)
    assert shop.at("WH")[1] + shop.at("SHOP")[1] == 1
    (saved,) = shop.orders.load(["O1"]).values()
    assert [s.location_id for s in saved.shipments] == [request["location_id"]]


def test_an_unfulfillable_order_shows_the_decision_that_says_why() -> None:
    shop = Harness()  # no stock anywhere

    out = shop.place()

    assert _statuses(out) == ["UNFULFILLABLE"]
    (published,) = out["routing.decisions.v1"]
    found = asyncio.run(shop.orders.order("O1"))
    assert found is not None
    (stored,) = found[1]
    assert stored["decision_id"] == published["decision_id"]
    assert [(u["line_id"], u["reason"]) for u in stored["unrouted"]] == [
        ("l1", "no node has the ATP for the whole line")
    ]
