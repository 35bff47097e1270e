"""Routing outputs round-trip through the codec, keyed by order, with replay-stable event ids; their
schemas only ever grow by fields with defaults, so old and new readers and writers agree."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import fastavro
import pytest

from core.allocation import OrderLine, OrderStatus
from core.order_types import Order, Shipment, ShipmentStatus, Unplaced
from core.routing import route
from core.routing_rules import BUILT_IN
from core.routing_types import Delivery, DeliveryMethod, RoutingDecision, decision_dict
from streams.records import OutRecord
from tests.support.promise_network import PARIS_CUSTOMER, prepared, utc
from topics.catalog import FULFILLMENT_REQUESTS, ORDER_STATUS, ROUTING_DECISIONS
from topics.codec import AvroCodec, strip_logical_types
from topics.order_outputs import OrderOutputs, epoch_ms, order_outputs
from topics.registry import LocalSchemaList, load_schema

CODEC = AvroCodec(LocalSchemaList())
OUTPUTS = OrderOutputs(CODEC)
NOW_MS = epoch_ms(utc(17, 10))  # the routing clock of decision()
L1, L2 = OrderLine("l1", "A", 1), OrderLine("l2", "B", 2)
SHIPMENT = Shipment("o-1-1", "WH", (L1,), ShipmentStatus.REQUESTED, NOW_MS, NOW_MS + 3_600_000, "d-1")
ORDER = Order(
    "o-1",
    (L1, L2),
    "HOME_STANDARD",
    OrderStatus.PARTIALLY_ROUTED,
    (SHIPMENT,),
    unplaced={"l2": Unplaced.UNFULFILLABLE},
)


def decision() -> RoutingDecision:
    """WH ships l1 (A) to a Paris home; nothing has B, so l2 is unrouted; SHOP and RP are candidates too."""
    lines = [L1, L2]
    home = Delivery(DeliveryMethod.HOME_STANDARD, PARIS_CUSTOMER)
    atp = {("A", "WH"): 9}
    return route(prepared(), lines, home, utc(17, 10), atp, BUILT_IN["cheapest"], decision_id="d-1")


def test_a_fulfillment_request_round_trips_with_the_routed_promise() -> None:
    routed = decision().shipments[0]
    out = OUTPUTS.fulfillment_request(ORDER, SHIPMENT, routed, "HOME_STANDARD", NOW_MS + 5)
    assert (out.topic, out.key) == (FULFILLMENT_REQUESTS, b"o-1")
    record = CODEC.decode(out.value)
    assert record == {
        "event_id": "o-1-1:request:d-1",
        "occurred_at": NOW_MS + 5,
        "order_id": "o-1",
        "shipment_id": "o-1-1",
        "location_id": "WH",
        "lines": [{"line_id": "l1", "sku": "A", "quantity": 1}],
        "method": "HOME_STANDARD",
        "carrier_service": routed.carrier_service,
        "promised_ship_by": None,
        "promised_earliest": epoch_ms(routed.earliest),
        "promised_latest": epoch_ms(routed.latest),
        "decision_id": "d-1",
        "accept_by": NOW_MS + 3_600_000,
        "promise_known": True,
        "cost_cents": routed.cost_cents,
        "co2e_grams": routed.co2e_grams,
        "distance_km": round(routed.km, 1),
    }


def test_a_request_without_its_decision_says_its_promise_is_unknown() -> None:
    out = OUTPUTS.fulfillment_request(ORDER, SHIPMENT, None, "CLICK_COLLECT", NOW_MS)
    record = CODEC.decode(out.value)
    assert (record["promise_known"], record["carrier_service"]) == (False, "")
    assert record["promised_earliest"] == record["promised_latest"] == SHIPMENT.requested_at_ms
    assert (record["cost_cents"], record["co2e_grams"], record["distance_km"]) == (None, None, None)


def test_a_resent_shipment_under_a_new_decision_gets_a_new_request_id() -> None:
    again = OUTPUTS.fulfillment_request(ORDER, SHIPMENT, None, "HOME_STANDARD", NOW_MS + 99)
    other = Shipment("o-1-2", "SHOP", (L1,), ShipmentStatus.REQUESTED, NOW_MS, NOW_MS, "d-2")
    rerouted = OUTPUTS.fulfillment_request(ORDER, other, None, "HOME_STANDARD", NOW_MS)
    first = OUTPUTS.fulfillment_request(ORDER, SHIPMENT, None, "HOME_STANDARD", NOW_MS)
    ids = [CODEC.decode(r.value)["event_id"] for r in (first, again, rerouted)]
    assert ids == ["o-1-1:request:d-1", "o-1-1:request:d-1", "o-1-2:request:d-2"]


def test_an_order_status_carries_every_shipment_and_the_unplaced_lines() -> None:
    rejected = Shipment(
        "o-1-2", "SHOP", (), ShipmentStatus.REJECTED, NOW_MS, NOW_MS + 1, "d-0", dropped=(L2,)
    )
    order = Order("o-1", (L1, L2), "HOME_STANDARD", None, (rejected, SHIPMENT), unplaced=ORDER.unplaced)
    out = OUTPUTS.order_status(order, OrderStatus.PARTIALLY_ROUTED, "evt-9", NOW_MS, reason="no stock")
    assert (out.topic, out.key) == (ORDER_STATUS, b"o-1")
    record = CODEC.decode(out.value)
    assert record["event_id"] == "evt-9:status:PARTIALLY_ROUTED"
    assert (record["status"], record["reason"], record["method"]) == (
        "PARTIALLY_ROUTED",
        "no stock",
        "HOME_STANDARD",
    )
    assert (record["decision_id"], record["cause_event_id"]) == ("d-1", "evt-9")
    assert [(s["shipment_id"], s["status"], s["decision_id"]) for s in record["shipments"]] == [
        ("o-1-2", "REJECTED", "d-0"),
        ("o-1-1", "REQUESTED", "d-1"),
    ]
    assert record["shipments"][0]["dropped"] == [{"line_id": "l2", "sku": "B", "quantity": 2}]
    assert record["shipments"][1]["accept_by"] == NOW_MS + 3_600_000
    assert record["unplaced"] == [{"line_id": "l2", "sku": "B", "quantity": 2, "why": "UNFULFILLABLE"}]


def test_two_statuses_from_one_cause_have_distinct_ids() -> None:
    routed = OUTPUTS.order_status(ORDER, OrderStatus.ROUTED, "evt-9", NOW_MS)
    cancelled = OUTPUTS.order_status(ORDER, OrderStatus.CANCELLED, "evt-9", NOW_MS)
    ids = {CODEC.decode(r.value)["event_id"] for r in (routed, cancelled)}
    assert ids == {"evt-9:status:ROUTED", "evt-9:status:CANCELLED"}


def test_a_status_of_an_order_without_shipments_has_no_decision() -> None:
    order = Order("o-2", (L1,), "RELAY", unplaced={"l1": Unplaced.REROUTE})
    record = CODEC.decode(OUTPUTS.order_status(order, OrderStatus.UNFULFILLABLE, "evt-1", NOW_MS).value)
    assert (record["shipments"], record["decision_id"], record["reason"]) == ([], None, None)


def test_a_routing_decision_carries_everything_the_decision_dict_gives() -> None:
    chosen = decision()
    out = OUTPUTS.routing_decision("o-1", chosen, "cheapest", NOW_MS + 7)
    assert (out.topic, out.key) == (ROUTING_DECISIONS, b"o-1")
    record = CODEC.decode(out.value)
    expected = decision_dict(chosen, "cheapest")
    times = {"decided_at", "shipments"}
    assert {k: v for k, v in record.items() if k not in times} == {
        **{k: v for k, v in expected.items() if k not in times},
        "event_id": "d-1:decision",
        "occurred_at": NOW_MS + 7,
        "order_id": "o-1",
    }
    assert record["decided_at"] == NOW_MS
    (shipment,) = record["shipments"]
    assert shipment["promised_earliest"] == epoch_ms(chosen.shipments[0].earliest)
    assert shipment["lines"] == [{"line_id": "l1", "sku": "A", "quantity": 1}]
    assert [u["line_id"] for u in record["unrouted"]] == ["l2"]
    assert {c["location_id"] for c in record["candidates"]} == {"WH", "SHOP"}
    assert any(c["scores"] and c["lines"] for c in record["candidates"])


def test_records_are_the_out_records_the_worker_produces_keyed_by_order() -> None:
    record = OUTPUTS.order_status(ORDER, OrderStatus.ROUTED, "evt-1", NOW_MS)
    assert record == OutRecord(ORDER_STATUS, b"o-1", record.value, CODEC.headers("order_status.v1"))


def test_the_factory_uses_the_repo_schema_list_without_a_registry() -> None:
    out = order_outputs(None).order_status(ORDER, OrderStatus.ROUTED, "evt-1", NOW_MS)
    assert CODEC.decode(out.value)["order_id"] == "o-1"


# --- schema evolution -------------------------------------------------------------------------------
SCHEMAS = ("routing_decision.v1", "fulfillment_request.v1", "order_status.v1")
# Fields without a default, as first released: a new one would break every reader of older records.
REQUIRED_AT_RELEASE = {
    "routing_decision.v1": {
        "event_id", "occurred_at", "order_id", "decision_id", "rule_set", "rule_set_version",
        "candidates", "candidates.location_id", "candidates.chosen",
    },
    "fulfillment_request.v1": {
        "event_id", "occurred_at", "order_id", "shipment_id", "location_id", "lines", "lines.line_id",
        "lines.sku", "lines.quantity", "method", "carrier_service", "promised_earliest", "promised_latest",
        "decision_id",
    },
    "order_status.v1": {
        "event_id", "occurred_at", "order_id", "status", "shipments", "shipments.shipment_id",
        "shipments.location_id", "shipments.lines", "shipments.lines.line_id", "shipments.lines.sku",
        "shipments.lines.quantity",
    },
}  # fmt: skip


def _record_of(field_type: Any) -> dict[str, Any] | None:
    """The record a field holds (directly, in an array or in a nullable union), if any."""
    if isinstance(field_type, list):
        field_type = next((t for t in field_type if t != "null"), None)
    if isinstance(field_type, dict) and field_type["type"] == "array":
        field_type = field_type["items"]
    return field_type if isinstance(field_type, dict) and field_type["type"] == "record" else None


def required_paths(schema: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for field in schema["fields"]:
        if "default" in field:
            continue
        paths.add(prefix + field["name"])
        inner = _record_of(field["type"])
        if inner is not None:
            paths |= required_paths(inner, prefix + field["name"] + ".")
    return paths


def without_defaulted_fields(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema an older writer may have used: every field with a default left out, at every depth."""
    fields = []
    for field in schema["fields"]:
        if "default" in field:
            continue
        inner = _record_of(field["type"])
        if inner is not None:
            field = {**field, "type": _replace_record(field["type"], without_defaulted_fields(inner))}
        fields.append(field)
    return {**schema, "fields": fields}


def _replace_record(field_type: Any, record: dict[str, Any]) -> Any:
    if isinstance(field_type, dict) and field_type["type"] == "array":
        return {**field_type, "items": record}
    return record


def read(data: bytes, writer: dict[str, Any], reader: dict[str, Any]) -> Any:
    return fastavro.schemaless_reader(
        BytesIO(data), fastavro.parse_schema(writer), fastavro.parse_schema(reader)
    )


def sample_record(schema_name: str) -> tuple[dict[str, Any], bytes]:
    """A full record of the current schema, from the outputs (the Avro body, without the 5-byte header)."""
    outputs = {
        "routing_decision.v1": lambda: OUTPUTS.routing_decision("o-1", decision(), None, NOW_MS),
        "fulfillment_request.v1": lambda: OUTPUTS.fulfillment_request(
            ORDER, SHIPMENT, decision().shipments[0], "HOME_STANDARD", NOW_MS
        ),
        "order_status.v1": lambda: OUTPUTS.order_status(ORDER, OrderStatus.ROUTED, "evt-1", NOW_MS),
    }
    value = outputs[schema_name]().value
    return CODEC.decode(value), value[5:]


@pytest.mark.parametrize("schema_name", SCHEMAS)
def test_no_field_without_a_default_was_added_since_the_first_release(schema_name: str) -> None:
    assert required_paths(load_schema(schema_name)) == REQUIRED_AT_RELEASE[schema_name]


@pytest.mark.parametrize("schema_name", SCHEMAS)
def test_a_record_from_an_older_writer_reads_with_the_new_schema_and_its_defaults(schema_name: str) -> None:
    new = strip_logical_types(load_schema(schema_name))
    old = without_defaulted_fields(new)
    full, _ = sample_record(schema_name)
    buffer = BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(old), full)
    upgraded = read(buffer.getvalue(), old, new)
    assert (upgraded["event_id"], upgraded["order_id"]) == (full["event_id"], full["order_id"])
    if schema_name == "routing_decision.v1":
        assert (upgraded["scores"], upgraded["shipments"], upgraded["unrouted"]) == ({}, [], [])
        assert upgraded["strategy"] is None
        assert {(c["reason"], c["rank"]) for c in upgraded["candidates"]} == {("", None)}
    if schema_name == "fulfillment_request.v1":
        assert upgraded["promise_known"] is True
    if schema_name == "order_status.v1":
        assert upgraded["unplaced"] == []
        assert upgraded["shipments"][0]["dropped"] == []
        assert upgraded["shipments"][0]["status"] is None


@pytest.mark.parametrize("schema_name", SCHEMAS)
def test_an_older_reader_reads_a_new_record_and_ignores_the_new_fields(schema_name: str) -> None:
    new = strip_logical_types(load_schema(schema_name))
    old = without_defaulted_fields(new)
    full, body = sample_record(schema_name)
    seen = read(body, new, old)
    assert set(seen) == {field["name"] for field in old["fields"]}
    assert seen["event_id"] == full["event_id"]
