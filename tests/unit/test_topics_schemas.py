"""Every event of the contract has a versioned Avro schema with the contract's field names."""

from __future__ import annotations

from typing import Any

import fastavro
import pytest

from topics.catalog import INPUT_TOPICS, OUTPUT_TOPICS, TopicSpec
from topics.registry import SCHEMA_DIR, load_index, load_schema

SPECS = INPUT_TOPICS + OUTPUT_TOPICS

# Field paths named in CONTRACT.md ("lines.sku": a field of the records in the `lines` array).
CONTRACT_FIELDS: dict[str, set[str]] = {
    "pos.sales.v1": {"location_id", "lines.sku", "lines.quantity", "receipt_id"},
    "stock.receipts.v1": {"location_id", "lines.sku", "lines.quantity", "reference"},
    "stock.adjustments.v1": {"location_id", "lines.sku", "lines.quantity", "reason"},
    "stock.counts.v1": {"location_id", "lines.sku", "lines.on_hand"},
    "stock.transfers.v1": {
        "transfer_id",
        "status",
        "from_location_id",
        "to_location_id",
        "lines.sku",
        "lines.quantity",
        "expected_at",
    },
    "carts.events.v1": {"cart_id", "type", "sku", "quantity", "location_id", "channel"},
    "orders.v1": {
        "order_id",
        "type",
        "lines.line_id",
        "lines.sku",
        "lines.quantity",
        "delivery.method",
        "delivery.postcode",
        "delivery.lat",
        "delivery.lon",
        "delivery.pickup_location_id",
        "cart_id",
        "channel",
        "strategy",
    },
    "fulfillment.updates.v1": {"order_id", "shipment_id", "location_id", "status", "lines.sku", "reason"},
    "returns.v1": {"return_id", "order_id", "location_id", "lines.sku", "lines.quantity", "lines.condition"},
    # omnistock's own extension (not in the contract): what each LINE_SET of a cart got.
    "carts.holds.v1": {"cart_id", "sku", "location_id", "requested", "granted", "outcome", "cause_event_id"},
    "availability.changes.v1": {
        "sku",
        "location_id",
        "on_hand",
        "in_transit",
        "reserved",
        "allocated",
        "safety_stock",
        "atp",
        "network_atp",
        "cause_event_id",
    },
    "fulfillment.requests.v1": {
        "order_id",
        "shipment_id",
        "location_id",
        "lines.sku",
        "method",
        "carrier_service",
        "decision_id",
    },
    "orders.status.v1": {"order_id", "status", "shipments.shipment_id"},
    "routing.decisions.v1": {
        "order_id",
        "candidates.location_id",
        "candidates.excluded_by",
        "candidates.score",
        "rule_set",
        "rule_set_version",
    },
}
ENUMS = {
    ("stock.adjustments.v1", "reason"): ["DAMAGED", "SHRINK", "FOUND", "OTHER"],
    ("stock.transfers.v1", "status"): ["SHIPPED", "RECEIVED", "CANCELLED"],
    ("carts.events.v1", "type"): ["LINE_SET", "LINE_REMOVED", "CLEARED", "ABANDONED"],
    ("orders.v1", "type"): ["PLACED", "CANCELLED"],
    ("orders.v1", "delivery.method"): ["HOME_STANDARD", "HOME_EXPRESS", "CLICK_COLLECT", "RELAY"],
    ("fulfillment.updates.v1", "status"): [
        "ACCEPTED",
        "REJECTED",
        "PICKED",
        "READY_FOR_PICKUP",  # an extension of the contract's list (issue 17: the store's counter)
        "SHIPPED",
        "COLLECTED",
        "DELIVERED",
        "CANCELLED",
    ],
    ("returns.v1", "lines.condition"): ["RESELLABLE", "DAMAGED"],
    ("orders.status.v1", "status"): [
        "ROUTED",
        "PARTIALLY_ROUTED",
        "BACKORDERED",
        "UNFULFILLABLE",
        "SHIPPED",
        "COMPLETED",
        "CANCELLED",
    ],
}


def _non_null(avro_type: Any) -> Any:
    if isinstance(avro_type, list):
        (only,) = [item for item in avro_type if item != "null"]
        return only
    return avro_type


def field_types(schema: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every field path of a record schema -> its Avro type (nullable unions unwrapped)."""
    paths: dict[str, Any] = {}
    for field in schema["fields"]:
        path, avro_type = prefix + field["name"], _non_null(field["type"])
        paths[path] = field["type"]
        if isinstance(avro_type, dict) and avro_type["type"] == "array":
            avro_type = avro_type["items"]
        if isinstance(avro_type, dict) and avro_type["type"] == "record":
            paths.update(field_types(avro_type, path + "."))
    return paths


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_every_topic_has_a_schema_that_fastavro_parses(spec: TopicSpec) -> None:
    assert spec.schema is not None
    parsed = fastavro.parse_schema(load_schema(spec.schema))
    assert isinstance(parsed, dict)
    assert parsed["name"].startswith("omnistock.v1.")


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_every_field_named_in_the_contract_exists_in_the_schema(spec: TopicSpec) -> None:
    assert spec.schema is not None
    paths = field_types(load_schema(spec.schema))
    assert CONTRACT_FIELDS[spec.name] <= set(paths)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_every_event_has_a_string_id_and_a_millisecond_timestamp(spec: TopicSpec) -> None:
    assert spec.schema is not None
    paths = field_types(load_schema(spec.schema))
    assert paths["event_id"] == "string"
    assert paths["occurred_at"] == {"type": "long", "logicalType": "timestamp-millis"}


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_optional_fields_are_null_unions_defaulting_to_null(spec: TopicSpec) -> None:
    assert spec.schema is not None
    schema = load_schema(spec.schema)
    for field in schema["fields"]:
        if isinstance(field["type"], list):
            assert field["type"][0] == "null", field["name"]
            assert "default" in field, field["name"]
            assert field["default"] is None, field["name"]


@pytest.mark.parametrize(("topic_field", "symbols"), ENUMS.items(), ids=lambda item: str(item))
def test_enums_are_avro_enums_with_the_contract_symbols(
    topic_field: tuple[str, str], symbols: list[str]
) -> None:
    topic, path = topic_field
    schema_name = next(spec.schema for spec in SPECS if spec.name == topic)
    assert schema_name is not None
    enum = _non_null(field_types(load_schema(schema_name))[path])
    assert enum["type"] == "enum"
    assert enum["symbols"] == symbols


def test_the_schema_list_has_one_stable_id_per_schema_file() -> None:
    index = load_index()
    files = {path.name.removesuffix(".avsc") for path in SCHEMA_DIR.glob("*.avsc")}
    assert set(index) == files
    assert len(set(index.values())) == len(index)
    assert all(isinstance(schema_id, int) and schema_id > 0 for schema_id in index.values())
    assert index["pos_sale.v1"] == 1
    assert index["availability_change.v1"] == 10


def test_every_schema_file_is_a_record_in_the_v1_namespace_with_snake_case_fields() -> None:
    for path in SCHEMA_DIR.glob("*.avsc"):
        schema = load_schema(path.name.removesuffix(".avsc"))
        assert schema["type"] == "record"
        assert schema["namespace"] == "omnistock.v1"
        for field_path in field_types(schema):
            assert field_path.replace(".", "_").islower(), field_path
