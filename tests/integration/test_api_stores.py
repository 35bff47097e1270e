"""The store routes over an in-memory store queue, a recording publisher and the real desk on Redis:
the queue sorted by what is due, each action published once with its fields, refusals in words,
access per store, stock nearby, counts, and a failed publish that leaves the retry free."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import redis
import redis.asyncio
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.store_counter import STALE_AFTER_MS
from core.allocation import OrderLine, OrderStatus
from core.network import Capability, Location, LocationKind, Network
from core.order_types import Order, OrderContext, Shipment, ShipmentStatus
from core.publishing import PublishFailed
from core.stock import LocationStock
from core.store_queue import OpenShipment, open_at_store
from omnistock.stack.redis_keys import delete_prefix
from state.store_desk import StoreDesk, desk_key, in_flight_mark
from tests.support.fake_reader import FakeReader, sku_stock

pytestmark = pytest.mark.redis
NOW = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)  # already 7 December in Paris
NOW_MS = int(NOW.timestamp() * 1000)
MINUTE = 60_000
KEYS = {"k-s1": ["store:S-1"], "k-all": ["store:*"], "k-orders": ["orders:read"]}


def _store(
    location_id: str, kind: LocationKind, lat: float, lon: float, daily: int | None = None
) -> Location:
    name = f"Store {location_id}"
    caps = frozenset({Capability.SHIP, Capability.PICKUP})
    return Location(location_id, kind, name, lat, lon, "Europe/Paris", caps, daily_pick_capacity=daily)


NETWORK = Network(
    {
        "S-1": _store("S-1", LocationKind.STORE, 48.8566, 2.3522, daily=40),  # Paris
        "S-2": _store("S-2", LocationKind.STORE, 48.8049, 2.1204),  # Versailles, ~18.6 km
        "S-3": _store("S-3", LocationKind.DARK_STORE, 49.8941, 2.2958),  # Amiens, ~115 km
        "S-4": _store("S-4", LocationKind.STORE, 48.9, 2.3),  # near, but none to promise
        "WH1": _store("WH1", LocationKind.WAREHOUSE, 48.86, 2.35),  # a warehouse is not a store
    }
)


class MemoryStoreQueue:
    """A store queue the test writes directly (shipments and promised dates as each case needs them;
    state/memory_store_queue derives them from orders, as the worker does)."""

    def __init__(self) -> None:
        self.orders: dict[str, OpenShipment] = {}
        self.picked: dict[tuple[str, str], int] = {}

    def add(self, found: OpenShipment) -> None:
        self.orders[found.shipment.shipment_id] = found

    def worker_applies(self, shipment_id: str, status: ShipmentStatus) -> None:
        found = self.orders[shipment_id]
        self.add(dataclasses.replace(found, shipment=dataclasses.replace(found.shipment, status=status)))

    async def open_shipments(self, location_id: str, limit: int = 500) -> list[OpenShipment]:
        return [
            found
            for found in self.orders.values()
            if found.shipment.location_id == location_id and open_at_store(found.order, found.shipment)
        ][:limit]

    async def shipment(self, order_id: str, shipment_id: str) -> OpenShipment | None:
        found = self.orders.get(shipment_id)
        return found if found is not None and found.order.order_id == order_id else None

    async def capacity_used(self, location_id: str, day: str) -> int:
        return self.picked.get((location_id, day), 0)

    async def ping(self) -> bool:
        return True


class RecordingPublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.failing = False

    async def publish(self, topic: str, key: str, record: Mapping[str, Any]) -> None:
        if self.failing:
            raise PublishFailed("the broker did not confirm within 5 s")
        self.sent.append((topic, key, dict(record)))


def _open(
    order_id: str,
    location_id: str = "S-1",
    *,
    method: str = "HOME_STANDARD",
    pickup: str | None = None,
    status: ShipmentStatus = ShipmentStatus.REQUESTED,
    requested_ms: int = NOW_MS - 10 * MINUTE,
    latest_ms: int | None = None,
) -> OpenShipment:
    lines = (OrderLine("l1", "SKU-1", 2), OrderLine("l2", "SKU-2", 1))
    shipment = Shipment(
        f"{order_id}-1", location_id, lines, status, requested_ms, requested_ms + 30 * MINUTE, "D-1"
    )
    context = OrderContext(pickup_location_id=pickup)
    order = Order(order_id, lines, method, OrderStatus.ROUTED, (shipment,), context=context)
    earliest = latest_ms - 60 * MINUTE if latest_ms is not None else None
    return OpenShipment(order, shipment, earliest, latest_ms)


@dataclasses.dataclass
class Counter:
    app: FastAPI
    queue: MemoryStoreQueue
    publisher: RecordingPublisher
    prefix: str
    client: TestClient = dataclasses.field(init=False)


def _app(
    redis_url: str,
    prefix: str,
    api_keys: Mapping[str, list[str]] | None = None,
    publisher: RecordingPublisher | None = None,
) -> Counter:
    """The app over a fresh queue and publisher, its desk on Redis under `prefix`; `client` unset."""
    queue, publisher = MemoryStoreQueue(), publisher or RecordingPublisher()
    stock = sku_stock(
        "SKU-1",
        LocationStock("S-1", on_hand=3, allocated=1),
        LocationStock("S-2", on_hand=5),
        LocationStock("S-3", on_hand=2),
        LocationStock("S-4", on_hand=1, allocated=1),
        LocationStock("WH1", on_hand=100),
    )
    desk = StoreDesk(redis.asyncio.Redis.from_url(redis_url), prefix, ttl_s=600)
    app = create_app(
        FakeReader([stock]),
        clock=lambda: NOW,
        api_keys=api_keys,
        store_queue=queue,
        desk=desk,
        publisher=publisher,
        network=lambda: NETWORK,
    )
    return Counter(app, queue, publisher, prefix)


def _counter(redis_url: str, api_keys: Mapping[str, list[str]] | None) -> Iterator[Counter]:
    prefix = f"t-{uuid.uuid4().hex}:"
    counter = _app(redis_url, prefix, api_keys)
    with TestClient(counter.app) as client:
        counter.client = client
        yield counter
    delete_prefix(redis.Redis.from_url(redis_url), prefix)


@pytest.fixture
def counter(redis_url: str) -> Iterator[Counter]:
    yield from _counter(redis_url, None)


@pytest.fixture
def keyed(redis_url: str) -> Iterator[Counter]:
    yield from _counter(redis_url, KEYS)


def _act(counter: Counter, shipment_id: str, action: str, body: Any = None, key: str | None = None) -> Any:
    headers = {"X-API-Key": key} if key else {}
    url = f"/v1/stores/S-1/shipments/{shipment_id}/{action}"
    return counter.client.post(url, json=body, headers=headers)


def test_the_queue_lists_the_stores_open_shipments_most_urgent_first(counter: Counter) -> None:
    counter.queue.add(_open("O-late", requested_ms=NOW_MS - 5 * MINUTE))
    counter.queue.add(_open("O-soon", requested_ms=NOW_MS - 25 * MINUTE))
    counter.queue.add(_open("O-acc", status=ShipmentStatus.ACCEPTED, latest_ms=NOW_MS + 600 * MINUTE))
    counter.queue.add(_open("O-elsewhere", "S-2"))
    counter.queue.add(_open("O-gone", status=ShipmentStatus.SHIPPED))
    counter.queue.picked[("S-1", "2026-12-07")] = 12

    body = counter.client.get("/v1/stores/S-1/shipments").json()

    assert [s["shipment_id"] for s in body["shipments"]] == ["O-soon-1", "O-late-1", "O-acc-1"]
    assert body["capacity"] == {"day": "2026-12-07", "used": 12, "daily": 40}
    assert (body["name"], body["timezone"], body["as_of"]) == (
        "Store S-1",
        "Europe/Paris",
        "2026-12-06T23:30:00.000Z",
    )
    first = body["shipments"][0]
    assert first["due_at"] == first["accept_by"] == "2026-12-06T23:35:00.000Z"
    assert (first["status"], first["pending"], first["flow"], first["age_s"]) == (
        "REQUESTED",
        False,
        "SHIP",
        1500,
    )
    assert first["actions"] == ["accept", "reject"]
    assert first["lines"] == [
        {"line_id": "l1", "sku": "SKU-1", "quantity": 2},
        {"line_id": "l2", "sku": "SKU-2", "quantity": 1},
    ]
    assert (
        body["shipments"][2]["due_at"]
        == body["shipments"][2]["promised_latest"]
        == "2026-12-07T09:30:00.000Z"
    )


def test_accept_answers_202_and_publishes_the_fulfillment_update_with_its_fields(counter: Counter) -> None:
    counter.queue.add(_open("O-1"))

    response = _act(counter, "O-1-1", "accept")

    assert response.status_code == 202
    assert response.json() == {
        "event_id": "store:O-1-1:ACCEPTED",
        "order_id": "O-1",
        "shipment_id": "O-1-1",
        "location_id": "S-1",
        "status": "ACCEPTED",
        "duplicate": False,
    }
    [(topic, key, record)] = counter.publisher.sent
    assert (topic, key) == ("fulfillment.updates.v1", "O-1")
    assert record == {
        "event_id": "store:O-1-1:ACCEPTED",
        "occurred_at": NOW_MS,
        "order_id": "O-1",
        "shipment_id": "O-1-1",
        "location_id": "S-1",
        "status": "ACCEPTED",
        "lines": None,
        "reason": None,
        "tracking_number": None,
    }


def test_the_queue_shows_a_published_action_as_pending_until_the_worker_applies_it(counter: Counter) -> None:
    counter.queue.add(_open("O-1"))
    _act(counter, "O-1-1", "accept")

    pending = counter.client.get("/v1/stores/S-1/shipments").json()["shipments"][0]
    counter.queue.worker_applies("O-1-1", ShipmentStatus.ACCEPTED)
    applied = counter.client.get("/v1/stores/S-1/shipments").json()["shipments"][0]

    assert (pending["status"], pending["pending"], pending["actions"]) == (
        "ACCEPTED",
        True,
        ["picked", "reject"],
    )
    assert (applied["status"], applied["pending"]) == ("ACCEPTED", False)


def test_a_double_click_publishes_one_event_and_answers_the_same_id(counter: Counter) -> None:
    counter.queue.add(_open("O-1"))

    first, second = _act(counter, "O-1-1", "accept"), _act(counter, "O-1-1", "accept")

    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json()["event_id"] == second.json()["event_id"] == "store:O-1-1:ACCEPTED"
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    assert len(counter.publisher.sent) == 1


def test_the_ship_flow_goes_accept_picked_shipped_with_a_tracking_number(counter: Counter) -> None:
    counter.queue.add(_open("O-1"))

    answers = [
        _act(counter, "O-1-1", "accept"),
        _act(counter, "O-1-1", "picked"),
        _act(counter, "O-1-1", "shipped", {"tracking_number": "1Z999"}),
    ]

    assert [a.status_code for a in answers] == [202, 202, 202]
    assert [r["status"] for _, _, r in counter.publisher.sent] == ["ACCEPTED", "PICKED", "SHIPPED"]
    assert counter.publisher.sent[-1][2]["tracking_number"] == "1Z999"
    assert counter.client.get("/v1/stores/S-1/shipments").json()["shipments"] == []


def test_the_pickup_flow_goes_accept_picked_ready_collected(counter: Counter) -> None:
    counter.queue.add(_open("O-1", method="CLICK_COLLECT", pickup="S-1"))

    answers = [_act(counter, "O-1-1", action) for action in ("accept", "picked", "ready", "collected")]

    assert [a.status_code for a in answers] == [202, 202, 202, 202]
    assert [r["status"] for _, _, r in counter.publisher.sent] == [
        "ACCEPTED",
        "PICKED",
        "READY_FOR_PICKUP",
        "COLLECTED",
    ]


def test_shipped_needs_a_tracking_number(counter: Counter) -> None:
    counter.queue.add(_open("O-1", status=ShipmentStatus.PICKED))

    response = _act(counter, "O-1-1", "shipped", {})

    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "body.tracking_number"
    assert counter.publisher.sent == []


def test_picking_before_accepting_is_refused_with_why_and_what_is_allowed(counter: Counter) -> None:
    counter.queue.add(_open("O-1"))

    response = _act(counter, "O-1-1", "picked")

    assert response.status_code == 409
    assert response.json() == {
        "error": "action_not_allowed",
        "message": "Accept the shipment before marking it picked.",
        "action": "picked",
        "allowed": ["accept", "reject"],
        "status": "REQUESTED",
    }
    assert counter.publisher.sent == []


def test_collecting_a_rejected_shipment_is_refused_in_words(counter: Counter) -> None:
    counter.queue.add(_open("O-1", method="CLICK_COLLECT", pickup="S-1"))
    _act(counter, "O-1-1", "reject", {"reason": "DAMAGED"})

    response = _act(counter, "O-1-1", "collected")

    assert response.status_code == 409
    assert response.json()["message"] == "This shipment was rejected: it cannot be collected."


def test_accepting_after_the_deadline_is_refused_as_being_rerouted(counter: Counter) -> None:
    counter.queue.add(_open("O-1", requested_ms=NOW_MS - 31 * MINUTE))

    response = _act(counter, "O-1-1", "accept")

    assert response.status_code == 409
    assert (
        response.json()["message"]
        == "The deadline to accept passed at 23:29 UTC; the order is being re-routed."
    )


def test_a_whole_reject_publishes_its_reason_and_leaves_the_queue(counter: Counter) -> None:
    counter.queue.add(_open("O-1"))

    response = _act(counter, "O-1-1", "reject", {"reason": "NOT_FOUND"})

    assert response.json()["event_id"] == "store:O-1-1:REJECTED"
    [(_, _, record)] = counter.publisher.sent
    assert (record["status"], record["reason"], record["lines"]) == ("REJECTED", "NOT_FOUND", None)
    assert counter.client.get("/v1/stores/S-1/shipments").json()["shipments"] == []


def test_a_partial_reject_names_its_lines_and_the_shipment_stays_in_the_queue(counter: Counter) -> None:
    counter.queue.add(_open("O-1"))

    first = _act(counter, "O-1-1", "reject", {"reason": "NOT_FOUND", "line_ids": ["l2"]})
    again = _act(counter, "O-1-1", "reject", {"reason": "NOT_FOUND", "line_ids": ["l2"]})

    assert first.json()["event_id"] == again.json()["event_id"] == "store:O-1-1:REJECTED:l2"
    assert again.json()["duplicate"] is True
    [(_, _, record)] = counter.publisher.sent
    assert record["lines"] == [{"line_id": "l2", "sku": "SKU-2", "quantity": 1}]
    [card] = counter.client.get("/v1/stores/S-1/shipments").json()["shipments"]
    assert card["status"] == "REQUESTED"


def test_a_reject_naming_a_line_the_shipment_does_not_serve_is_refused(counter: Counter) -> None:
    counter.queue.add(_open("O-1"))

    response = _act(counter, "O-1-1", "reject", {"reason": "OTHER", "line_ids": ["l9"]})

    assert (response.status_code, response.json()["error"]) == (422, "unknown_lines")


def test_an_unknown_reason_is_a_validation_error(counter: Counter) -> None:
    counter.queue.add(_open("O-1"))

    assert _act(counter, "O-1-1", "reject", {"reason": "LAZY"}).status_code == 422


def test_an_unknown_shipment_or_one_of_another_store_is_not_found(counter: Counter) -> None:
    counter.queue.add(_open("O-2", "S-2"))

    assert _act(counter, "O-9-1", "accept").json()["error"] == "shipment_not_found"
    assert _act(counter, "O-2-1", "accept").status_code == 404
    assert _act(counter, "nonsense", "accept").status_code == 404


def test_an_unknown_location_is_not_found(counter: Counter) -> None:
    response = counter.client.get("/v1/stores/S-404/shipments")

    assert (response.status_code, response.json()["error"]) == (404, "unknown_location")


def test_a_failed_publish_answers_503_and_releases_the_desk_so_the_retry_publishes(counter: Counter) -> None:
    counter.queue.add(_open("O-1"))
    counter.publisher.failing = True

    failed = _act(counter, "O-1-1", "accept")
    queued = counter.client.get("/v1/stores/S-1/shipments").json()["shipments"][0]
    counter.publisher.failing = False
    retried = _act(counter, "O-1-1", "accept")

    assert (failed.status_code, failed.json()["error"]) == (503, "publish_failed")
    assert (queued["status"], queued["pending"]) == ("REQUESTED", False)
    assert (retried.status_code, retried.json()["duplicate"]) == (202, False)
    assert len(counter.publisher.sent) == 1


def test_a_count_publishes_a_stock_count_once_per_count_id(counter: Counter) -> None:
    body = {"sku": "SKU-1", "on_hand": 7, "count_id": "c-1"}

    first = counter.client.post("/v1/stores/S-1/counts", json=body)
    again = counter.client.post("/v1/stores/S-1/counts", json=body)

    assert first.status_code == again.status_code == 202
    assert first.json() == {"event_id": "count:S-1:c-1", "duplicate": False}
    assert again.json() == {"event_id": "count:S-1:c-1", "duplicate": True}
    [(topic, key, record)] = counter.publisher.sent
    assert (topic, key) == ("stock.counts.v1", "S-1")
    assert record == {
        "event_id": "count:S-1:c-1",
        "occurred_at": NOW_MS,
        "location_id": "S-1",
        "lines": [{"sku": "SKU-1", "on_hand": 7}],
    }


def test_a_count_whose_publish_failed_goes_out_on_retry(counter: Counter) -> None:
    body = {"sku": "SKU-1", "on_hand": 7, "count_id": "c-2"}
    counter.publisher.failing = True
    failed = counter.client.post("/v1/stores/S-1/counts", json=body)
    counter.publisher.failing = False

    retried = counter.client.post("/v1/stores/S-1/counts", json=body)

    assert failed.status_code == 503
    assert retried.json()["duplicate"] is False


def test_a_negative_count_is_refused(counter: Counter) -> None:
    assert (
        counter.client.post("/v1/stores/S-1/counts", json={"sku": "SKU-1", "on_hand": -1}).status_code == 422
    )


def test_the_stock_lookup_shows_here_and_the_nearest_stores_with_some_to_promise(counter: Counter) -> None:
    body = counter.client.get("/v1/stores/S-1/stock/SKU-1?nearby=5").json()

    assert body["here"] == {
        "location_id": "S-1",
        "name": "Store S-1",
        "on_hand": 3,
        "in_transit": 0,
        "reserved": 0,
        "allocated": 1,
        "safety_stock": 0,
        "atp": 2,
    }
    assert [(n["location_id"], n["kind"], n["atp"]) for n in body["nearby"]] == [
        ("S-2", "STORE", 5),
        ("S-3", "DARK_STORE", 2),
    ]
    assert 15 < body["nearby"][0]["distance_km"] < 20
    assert (
        counter.client.get("/v1/stores/S-1/stock/SKU-1?nearby=1").json()["nearby"][0]["location_id"] == "S-2"
    )


def test_a_sku_never_seen_is_not_found(counter: Counter) -> None:
    response = counter.client.get("/v1/stores/S-1/stock/NOPE")

    assert (response.status_code, response.json()["error"]) == (404, "sku_not_found")


def test_an_open_api_lists_every_store_and_dark_store(counter: Counter) -> None:
    body = counter.client.get("/v1/stores").json()

    assert [s["location_id"] for s in body["stores"]] == ["S-1", "S-2", "S-3", "S-4"]
    assert body["stores"][0] == {
        "location_id": "S-1",
        "name": "Store S-1",
        "kind": "STORE",
        "timezone": "Europe/Paris",
    }


def test_without_a_key_the_store_routes_answer_401(keyed: Counter) -> None:
    assert keyed.client.get("/v1/stores/S-1/shipments").status_code == 401
    assert keyed.client.get("/v1/stores").status_code == 401


def test_a_key_of_another_store_is_forbidden_and_told_which_store_it_acts_for(keyed: Counter) -> None:
    keyed.queue.add(_open("O-2", "S-2"))
    headers = {"X-API-Key": "k-s1"}

    response = keyed.client.get("/v1/stores/S-2/shipments", headers=headers)
    action = keyed.client.post("/v1/stores/S-2/shipments/O-2-1/accept", headers=headers)

    assert response.status_code == action.status_code == 403
    assert response.json()["message"] == "This API key acts for store S-1 only."
    assert keyed.publisher.sent == []


def test_a_key_without_a_store_scope_is_forbidden(keyed: Counter) -> None:
    response = keyed.client.get("/v1/stores", headers={"X-API-Key": "k-orders"})

    assert response.status_code == 403
    assert "acts for no store" in response.json()["message"]


def test_a_store_key_lists_its_store_and_acts_there(keyed: Counter) -> None:
    keyed.queue.add(_open("O-1"))

    listed = keyed.client.get("/v1/stores", headers={"X-API-Key": "k-s1"}).json()
    acted = _act(keyed, "O-1-1", "accept", key="k-s1")

    assert [s["location_id"] for s in listed["stores"]] == ["S-1"]
    assert acted.status_code == 202


def test_a_store_star_key_acts_for_every_store(keyed: Counter) -> None:
    keyed.queue.add(_open("O-2", "S-2"))
    headers = {"X-API-Key": "k-all"}

    listed = keyed.client.get("/v1/stores", headers=headers).json()
    acted = keyed.client.post("/v1/stores/S-2/shipments/O-2-1/accept", headers=headers)

    assert len(listed["stores"]) == 4
    assert acted.status_code == 202


def test_ten_simultaneous_clicks_publish_one_event(redis_url: str) -> None:
    prefix = f"t-{uuid.uuid4().hex}:"
    counter = _app(redis_url, prefix)
    counter.queue.add(_open("O-1"))

    async def clicks() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=counter.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            url = "/v1/stores/S-1/shipments/O-1-1/accept"
            return await asyncio.gather(*(client.post(url) for _ in range(10)))

    try:
        answers = asyncio.run(clicks())
    finally:
        delete_prefix(redis.Redis.from_url(redis_url), prefix)

    assert {a.status_code for a in answers} == {202}
    assert {a.json()["event_id"] for a in answers} == {"store:O-1-1:ACCEPTED"}
    assert sorted(a.json()["duplicate"] for a in answers) == [False] + [True] * 9
    assert len(counter.publisher.sent) == 1


class FirstPublishFailsLate(RecordingPublisher):
    """The first publish waits 300 ms, then the broker refuses it; the next ones go out."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def publish(self, topic: str, key: str, record: Mapping[str, Any]) -> None:
        self.calls += 1
        if self.calls == 1:
            await asyncio.sleep(0.3)
            raise PublishFailed("the broker did not confirm within 5 s")
        await super().publish(topic, key, record)


def test_a_retry_during_a_publish_that_then_fails_is_not_told_done_it_publishes_itself(
    redis_url: str,
) -> None:
    prefix = f"t-{uuid.uuid4().hex}:"
    counter = _app(redis_url, prefix, publisher=FirstPublishFailsLate())
    counter.queue.add(_open("O-1"))

    async def first_then_retry() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=counter.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            url = "/v1/stores/S-1/shipments/O-1-1/accept"
            first = asyncio.create_task(client.post(url))
            await asyncio.sleep(0.1)  # the first is publishing
            return [*await asyncio.gather(first, client.post(url))]

    try:
        first, retry = asyncio.run(first_then_retry())
    finally:
        delete_prefix(redis.Redis.from_url(redis_url), prefix)

    assert (first.status_code, first.json()["error"]) == (503, "publish_failed")
    assert (retry.status_code, retry.json()["duplicate"]) == (202, False)
    assert [record["event_id"] for _, _, record in counter.publisher.sent] == ["store:O-1-1:ACCEPTED"]


def test_a_claim_left_in_flight_by_a_process_that_died_is_published_again_under_the_same_id(
    counter: Counter, redis_url: str
) -> None:
    counter.queue.add(_open("O-1"))
    dead = in_flight_mark(ShipmentStatus.ACCEPTED, NOW_MS - STALE_AFTER_MS - 1)
    redis.Redis.from_url(redis_url).hset(desk_key(counter.prefix, "O-1"), "O-1-1", dead)

    answer = _act(counter, "O-1-1", "accept")

    assert (answer.status_code, answer.json()["duplicate"]) == (202, False)
    assert [record["event_id"] for _, _, record in counter.publisher.sent] == ["store:O-1-1:ACCEPTED"]
    assert _act(counter, "O-1-1", "accept").json()["duplicate"] is True
    assert len(counter.publisher.sent) == 1
