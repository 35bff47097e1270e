"""The topics of the contract: names, record keys, schema names and roles; prefixes and DLQ names."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    INPUT = "INPUT"
    OUTPUT = "OUTPUT"
    DLQ = "DLQ"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic: `schema` names its Avro schema (topics/schemas/<schema>.avsc); a DLQ has none."""

    name: str
    key_field: str
    schema: str | None
    role: Role


DLQ_SUFFIX = ".dlq"


def dlq_name(name: str) -> str:
    """The dead-letter topic of an input topic (works on prefixed names too)."""
    return name + DLQ_SUFFIX


def full_name(prefix: str, name: str) -> str:
    """The topic name on the broker: the configured prefix put in front."""
    return prefix + name


# Every topic's name (unprefixed): the one place a topic is spelled.
POS_SALES = "pos.sales.v1"
STOCK_RECEIPTS = "stock.receipts.v1"
STOCK_ADJUSTMENTS = "stock.adjustments.v1"
STOCK_COUNTS = "stock.counts.v1"
STOCK_TRANSFERS = "stock.transfers.v1"
CART_EVENTS = "carts.events.v1"
ORDERS = "orders.v1"
FULFILLMENT_UPDATES = "fulfillment.updates.v1"
RETURNS = "returns.v1"
AVAILABILITY_CHANGES = "availability.changes.v1"
FULFILLMENT_REQUESTS = "fulfillment.requests.v1"
ORDER_STATUS = "orders.status.v1"
ROUTING_DECISIONS = "routing.decisions.v1"
CART_HOLDS = "carts.holds.v1"


def _input(name: str, key_field: str, schema: str) -> TopicSpec:
    return TopicSpec(name, key_field, schema, Role.INPUT)


def _output(name: str, key_field: str, schema: str) -> TopicSpec:
    return TopicSpec(name, key_field, schema, Role.OUTPUT)


INPUT_TOPICS: tuple[TopicSpec, ...] = (
    _input("pos.sales.v1", "location_id", "pos_sale.v1"),
    _input("stock.receipts.v1", "location_id", "stock_receipt.v1"),
    _input("stock.adjustments.v1", "location_id", "stock_adjustment.v1"),
    _input("stock.counts.v1", "location_id", "stock_count.v1"),
    _input("stock.transfers.v1", "transfer_id", "stock_transfer.v1"),
    _input("carts.events.v1", "cart_id", "cart_event.v1"),
    _input("orders.v1", "order_id", "order_event.v1"),
    _input("fulfillment.updates.v1", "order_id", "fulfillment_update.v1"),
    _input("returns.v1", "return_id", "return_event.v1"),
)

OUTPUT_TOPICS: tuple[TopicSpec, ...] = (
    _output("availability.changes.v1", "sku", "availability_change.v1"),
    _output("fulfillment.requests.v1", "order_id", "fulfillment_request.v1"),
    _output("orders.status.v1", "order_id", "order_status.v1"),
    _output("routing.decisions.v1", "order_id", "routing_decision.v1"),
    _output("carts.holds.v1", "cart_id", "cart_hold.v1"),
)

DLQ_TOPICS: tuple[TopicSpec, ...] = tuple(
    TopicSpec(dlq_name(spec.name), spec.key_field, None, Role.DLQ) for spec in INPUT_TOPICS
)

TOPICS: dict[str, TopicSpec] = {spec.name: spec for spec in INPUT_TOPICS + OUTPUT_TOPICS + DLQ_TOPICS}

# The inputs that move on_hand / in_transit directly (names, unprefixed); their events map to core movements.
STOCK_TOPICS: tuple[str, ...] = (
    "pos.sales.v1",
    "stock.receipts.v1",
    "stock.adjustments.v1",
    "stock.counts.v1",
    "stock.transfers.v1",
    "returns.v1",
)

# The inputs that hold stock for carts (soft holds with a TTL).
HOLD_TOPICS: tuple[str, ...] = ("carts.events.v1",)

AVAILABILITY_CHANGES = "availability.changes.v1"


def topic_spec(name: str) -> TopicSpec:
    """The spec of an unprefixed topic name; KeyError when the contract has no such topic."""
    return TOPICS[name]


def all_topic_names(prefix: str) -> list[str]:
    """Every topic the worker needs (inputs, outputs, DLQs), prefixed, in catalog order."""
    return [full_name(prefix, name) for name in TOPICS]


def schema_topics() -> dict[str, str]:
    """Schema name -> the (unprefixed) topic that carries it."""
    return {spec.schema: spec.name for spec in TOPICS.values() if spec.schema is not None}
