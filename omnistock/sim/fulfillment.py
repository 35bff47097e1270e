"""Simulated stores and warehouses answering fulfillment requests: the other side of `omnistock dev`.

Most requests are accepted, picked and shipped (at a store, click & collect is made ready for pickup
and collected there), after delays drawn in simulated minutes; a few are rejected, a few lose one
line at pick time (NOT_FOUND), and a few are never answered, so the worker's acceptance deadline
re-routes them. Order statuses tell the nodes what the worker took back (a re-route, a cancellation),
as a real order system would. One store may be left to a person (`omnistock dev`'s store page): every
`person_every`-th shipment requested there gets no simulated answer at all, so the person accepts,
rejects and collects it.

`FulfillmentDesk` is pure: the `random.Random` and the times are passed in, answers wait in a heap by
due time, so nothing sleeps. `run_fulfillment` is the loop that consumes and sends.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from confluent_kafka import Consumer

from core.errors import InvalidEvent
from core.network import LocationKind, Network
from omnistock.sim.events import Item
from topics.catalog import FULFILLMENT_REQUESTS, FULFILLMENT_UPDATES, ORDER_STATUS
from topics.codec import AvroCodec
from topics.registry import make_registry

log = logging.getLogger("omnistock.sim_fulfillment")

SILENT, REJECTED, NOT_FOUND = 0.03, 0.03, 0.04  # shares of requests (the rest are served)
_REJECT_REASONS = ("CAPACITY", "STORE_BUSY", "DAMAGED")
_TAKEN_BACK = frozenset({"REJECTED", "CANCELLED"})
# Simulated minutes from the previous step, as (low, high) ranges.
_ACCEPT = {
    LocationKind.STORE: (1, 12),
    LocationKind.WAREHOUSE: (2, 25),
    LocationKind.DARK_STORE: (1, 6),
    LocationKind.SUPPLIER: (10, 120),
}
_PICK, _READY, _SHIP, _COLLECT = (5, 25), (2, 10), (10, 40), (20, 120)
_DELIVER = {"HOME_EXPRESS": (240, 720), "CLICK_COLLECT": (1440, 2880)}
_DELIVER_DEFAULT = (1440, 3600)

Lines = list[dict[str, Any]]
Take = Callable[[str, str, int], None]


@dataclass(frozen=True, slots=True)
class Step:
    """One answer to send `minutes` (simulated) after the previous one."""

    minutes: float
    status: str
    reason: str | None = None
    line_id: str | None = None  # a NOT_FOUND for this line only


@dataclass(slots=True)
class _Shipment:
    order_id: str
    location_id: str
    lines: Lines
    steps: list[Step] = field(default_factory=list)
    shipped: bool = False


class FulfillmentDesk:
    """Every node's answers. `take(location_id, sku, quantity)` hears of units that left a node."""

    def __init__(
        self,
        network: Network,
        sim_hour_s: float,
        seed: int = 0,
        take: Take | None = None,
        person_store: str | None = None,
        person_every: int = 2,
    ) -> None:
        self.network, self.rng, self.real_s_per_minute = network, random.Random(seed), sim_hour_s / 60
        self.take: Take = take or (lambda location_id, sku, quantity: None)
        self.answered: dict[str, int] = {}  # how many answers of each status were sent
        self.person_store, self.person_every = person_store, max(1, person_every)
        self.left_to_person: list[str] = []  # the shipment ids the simulator leaves to the person, in order
        self._at_person_store = 0
        self._persons: dict[str, str] = {}  # shipment id -> location, until the person ships or drops it
        self._shipments: dict[str, _Shipment] = {}
        self._seen: set[str] = set()
        self._heap: list[tuple[float, int, str]] = []
        self._sequence = itertools.count()

    @property
    def pending(self) -> int:
        return len(self._shipments)

    def request(self, record: Mapping[str, Any], now_s: float) -> None:
        """A fulfillment request: its fate is drawn now and its first answer scheduled."""
        shipment_id = str(record["shipment_id"])
        if shipment_id in self._seen:
            return  # a request delivered twice gets one set of answers
        self._seen.add(shipment_id)
        if self._leaves_to_person(str(record["location_id"])):
            self.left_to_person.append(shipment_id)
            self._persons[shipment_id] = str(record["location_id"])
            return
        location = self.network.locations.get(str(record["location_id"]))
        kind = location.kind if location else LocationKind.WAREHOUSE
        lines = [dict(line) for line in record["lines"]]
        steps = plan(self.rng, kind, str(record["method"]), [str(line["line_id"]) for line in lines])
        if steps:
            self._shipments[shipment_id] = _Shipment(
                str(record["order_id"]), str(record["location_id"]), lines, steps
            )
            self._schedule(shipment_id, now_s)

    def _persons_shipment(self, summary: Mapping[str, Any]) -> None:
        """A shipment the person shipped or handed over: its units left the store, as the simulator's
        own do (`take`), so the simulation's later counts there agree. One taken back is forgotten."""
        location_id = self._persons.get(str(summary["shipment_id"]))
        if location_id is None:
            return
        if summary["status"] in ("SHIPPED", "COLLECTED", "DELIVERED"):
            self._took(location_id, [dict(line) for line in summary["lines"]])
            del self._persons[str(summary["shipment_id"])]
        elif summary["status"] in _TAKEN_BACK:
            del self._persons[str(summary["shipment_id"])]

    def _leaves_to_person(self, location_id: str) -> bool:
        """Every `person_every`-th request at the person's store, the first one included: a person
        who opens the page soon after the stack starts has something to do."""
        if location_id != self.person_store:
            return False
        self._at_person_store += 1
        return (self._at_person_store - 1) % self.person_every == 0

    def status(self, record: Mapping[str, Any]) -> None:
        """An order status: shipments taken back stop; the others serve the lines the worker left them."""
        cancelled = record["status"] == "CANCELLED"
        for summary in record.get("shipments") or ():
            self._persons_shipment(summary)
            shipment = self._shipments.get(str(summary["shipment_id"]))
            if shipment is None:
                continue
            if (
                (cancelled and not shipment.shipped)
                or summary["status"] in _TAKEN_BACK
                or not summary["lines"]
            ):
                del self._shipments[str(summary["shipment_id"])]
            else:
                shipment.lines = [dict(line) for line in summary["lines"]]

    def due(self, now_s: float, sim_now_ms: int) -> list[Item]:
        """The answers due by `now_s` (the clock `request` was given), stamped with simulated time."""
        items = []
        while self._heap and self._heap[0][0] <= now_s:
            due_s, _, shipment_id = heapq.heappop(self._heap)
            shipment = self._shipments.get(shipment_id)
            if shipment is None or not shipment.steps:
                continue  # taken back by the worker meanwhile
            items.append(self._answer(shipment_id, shipment, shipment.steps.pop(0), sim_now_ms))
            if shipment.steps and shipment.lines:
                self._schedule(shipment_id, due_s)
            else:
                del self._shipments[shipment_id]
        return items

    def _schedule(self, shipment_id: str, after_s: float) -> None:
        step = self._shipments[shipment_id].steps[0]
        due_s = after_s + step.minutes * self.real_s_per_minute
        heapq.heappush(self._heap, (due_s, next(self._sequence), shipment_id))

    def _answer(self, shipment_id: str, shipment: _Shipment, step: Step, sim_now_ms: int) -> Item:
        event: dict[str, object] = {
            "event_id": f"{shipment_id}:{step.status}" + (f":{step.line_id}" if step.line_id else ""),
            "occurred_at": sim_now_ms,
            "order_id": shipment.order_id,
            "shipment_id": shipment_id,
            "location_id": shipment.location_id,
            "status": step.status,
        }
        if step.reason:
            event["reason"] = step.reason
        if step.line_id is not None:
            missing = [line for line in shipment.lines if line["line_id"] == step.line_id]
            shipment.lines = [line for line in shipment.lines if line["line_id"] != step.line_id]
            event["lines"] = missing
            self._took(shipment.location_id, missing)
        elif step.status in ("SHIPPED", "COLLECTED") and not shipment.shipped:
            shipment.shipped = True
            self._took(shipment.location_id, shipment.lines)
        self.answered[step.status] = self.answered.get(step.status, 0) + 1
        return (FULFILLMENT_UPDATES, shipment.order_id, event)

    def _took(self, location_id: str, lines: Lines) -> None:
        for line in lines:
            self.take(location_id, str(line["sku"]), int(line["quantity"]))


def plan(rng: random.Random, kind: LocationKind, method: str, line_ids: list[str]) -> list[Step]:
    """What a node will answer: nothing (SILENT), a rejection, or the steps of serving the shipment."""
    fate = rng.random()
    accept = rng.uniform(*_ACCEPT.get(kind, _ACCEPT[LocationKind.WAREHOUSE]))
    if fate < SILENT:
        return []
    if fate < SILENT + REJECTED:
        return [Step(accept, "REJECTED", rng.choice(_REJECT_REASONS))]
    steps = [Step(accept, "ACCEPTED")]
    if fate < SILENT + REJECTED + NOT_FOUND:
        steps.append(Step(rng.uniform(*_PICK) / 2, "REJECTED", "NOT_FOUND", rng.choice(line_ids)))
        if len(line_ids) == 1:
            return steps
    steps.append(Step(rng.uniform(*_PICK), "PICKED"))
    if method == "CLICK_COLLECT" and kind is LocationKind.STORE:  # picked for the customer at the till
        ready = Step(rng.uniform(*_READY), "READY_FOR_PICKUP")  # bagged at the counter: the customer is told
        return [*steps, ready, Step(rng.uniform(*_COLLECT), "COLLECTED")]
    steps.append(Step(rng.uniform(*_SHIP), "SHIPPED"))
    last = "COLLECTED" if method == "CLICK_COLLECT" else "DELIVERED"
    return [*steps, Step(rng.uniform(*_DELIVER.get(method, _DELIVER_DEFAULT)), last)]


def consumer_settings(bootstrap: str, group_id: str) -> dict[str, Any]:
    """For the embedded broker: Tansu holds a join for half the session, and answers LATEST wrongly."""
    return {
        "bootstrap.servers": bootstrap,
        "group.id": group_id,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1000,
        "enable.partition.eof": False,
    }


def run_fulfillment(
    desk: FulfillmentDesk,
    settings: Mapping[str, Any],
    topic_prefix: str,
    send: Callable[[str, bytes, bytes], None],
    sim_now_ms: Callable[[], int],
    stop_event: threading.Event,
) -> int:
    """Consume requests and statuses, send the answers as they fall due, until `stop_event`; returns
    how many were sent. `send(topic_base_name, key, value)` gets JSON values (the contract allows them)."""
    codec, sent = AvroCodec(make_registry(None, topic_prefix)), 0
    consumer = Consumer(dict(settings))
    consumer.subscribe([topic_prefix + FULFILLMENT_REQUESTS, topic_prefix + ORDER_STATUS])
    try:
        while not stop_event.is_set():
            for record in consumer.consume(500, 0.1):
                if record.error() is None:
                    _take_in(desk, codec, str(record.topic())[len(topic_prefix) :], record.value() or b"")
            for topic, key, event in desk.due(time.monotonic(), sim_now_ms()):
                send(topic, key.encode(), orjson.dumps(event))
                sent += 1
    finally:
        consumer.close()
    return sent


def _take_in(desk: FulfillmentDesk, codec: AvroCodec, topic: str, value: bytes) -> None:
    try:
        record = codec.decode_value(value)
    except InvalidEvent as error:
        log.warning("fulfillment_record_unreadable", extra={"topic": topic, "error": error.message})
        return
    if topic == FULFILLMENT_REQUESTS:
        desk.request(record, time.monotonic())
    else:
        desk.status(record)
