"""The compiled Avro writer writes the bytes fastavro writes, for every schema we publish, and refuses
what fastavro refuses with a message that names the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from io import BytesIO
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer

from topics.avro_writer import compile_writer
from topics.registry import SCHEMA_DIR

SCHEMAS = sorted(path.stem for path in SCHEMA_DIR.glob("*.avsc"))


def fastavro_bytes(schema: Any, record: Any) -> bytes:
    buffer = BytesIO()
    schemaless_writer(buffer, parse_schema(schema), record)
    return buffer.getvalue()


def our_bytes(schema: Any, record: Any) -> bytes:
    out = bytearray()
    compile_writer(parse_schema(schema))(out, record)
    return bytes(out)


class Samples:
    """A value for every field of a schema: `full` sets every field (optional ones too, non-null,
    collections of two), `minimal` only the fields without a default. Values vary by a counter so
    that no two fields hold the same value."""

    def __init__(self, full: bool) -> None:
        self.full, self.counter, self.named = full, 0, {}

    def value(self, schema: Any) -> Any:
        self.counter += 1
        n = self.counter
        if isinstance(schema, str):
            primitive = {
                "null": None, "boolean": n % 2 == 0, "int": n * 7 - 40, "long": -(n**5),
                "float": n / 4, "double": n * 1.25 - 0.1, "string": f"s{n}-é", "bytes": bytes([n, 0, 255]),
            }  # fmt: skip
            return primitive[schema] if schema in primitive else self.value(self.named[schema])
        if isinstance(schema, list):
            branches = [b for b in schema if b != "null"] if self.full else schema
            return self.value(branches[0])
        kind = schema["type"]
        if kind == "record":
            self.named[schema["name"]] = self.named[f"{schema.get('namespace')}.{schema['name']}"] = schema
            return {
                field["name"]: self.value(field["type"])
                for field in schema["fields"]
                if self.full or "default" not in field
            }
        if kind == "enum":
            return schema["symbols"][n % len(schema["symbols"])]
        if kind == "array":
            return [self.value(schema["items"]) for _ in range(2 if self.full else 1)]
        if kind == "map":
            return {f"k{i}": self.value(schema["values"]) for i in range(2 if self.full else 1)}
        if schema.get("logicalType") == "timestamp-millis":
            return 1_796_149_980_000 + n
        return self.value(kind)


def schema_of(name: str) -> Any:
    return json.loads((SCHEMA_DIR / f"{name}.avsc").read_text())


@pytest.mark.parametrize("name", SCHEMAS)
def test_a_record_with_every_field_set_encodes_to_fastavros_bytes(name: str) -> None:
    schema = schema_of(name)
    record = Samples(full=True).value(schema)
    assert our_bytes(schema, record) == fastavro_bytes(schema, record)


@pytest.mark.parametrize("name", SCHEMAS)
def test_a_record_with_only_its_required_fields_takes_the_defaults_as_fastavro_does(name: str) -> None:
    schema = schema_of(name)
    record = Samples(full=False).value(schema)
    assert our_bytes(schema, record) == fastavro_bytes(schema, record)


def test_a_routing_decision_with_many_candidates_and_scores_encodes_as_fastavro_does() -> None:
    schema = schema_of("routing_decision.v1")
    record = Samples(full=True).value(schema)
    scores = {"cost": 5.8, "speed": 1.51875, "co2e": 0.156, "parcels": 1.0, "priority": 0.0}
    candidate = {**record["candidates"][0], "scores": scores, "score": None, "rank": None}
    record["candidates"] = [candidate] * 70  # more than one varint byte of count
    assert our_bytes(schema, record) == fastavro_bytes(schema, record)


def record_of(**fields: Any) -> dict[str, Any]:
    """A record schema named R with these fields (name -> type)."""
    return {"type": "record", "name": "R", "fields": [{"name": k, "type": t} for k, t in fields.items()]}


TIMESTAMP = record_of(at={"type": "long", "logicalType": "timestamp-millis"})


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 1, 18, 33, 0, 999_999, tzinfo=UTC),
        datetime(2026, 12, 1, 19, 33, 0, 1_500, tzinfo=timezone(timedelta(hours=1))),
        datetime(1969, 7, 20, 20, 17, 40, 500, tzinfo=UTC),
    ],
)
def test_an_aware_datetime_is_written_as_fastavro_writes_it_to_the_millisecond(moment: datetime) -> None:
    assert our_bytes(TIMESTAMP, {"at": moment}) == fastavro_bytes(TIMESTAMP, {"at": moment})


def test_a_naive_datetime_is_refused_rather_than_read_in_the_machines_time_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        our_bytes(TIMESTAMP, {"at": datetime(2026, 12, 1, 18, 33)})  # noqa: DTZ001 - naive on purpose


def test_a_missing_required_field_is_refused_with_its_name() -> None:
    schema = schema_of("order_status.v1")
    record = Samples(full=True).value(schema)
    del record["order_id"]
    with pytest.raises(ValueError, match="OrderStatus: required field.s. missing: order_id"):
        our_bytes(schema, record)


def test_a_missing_required_boolean_is_refused_not_written_as_true() -> None:
    schema = record_of(chosen="boolean")
    with pytest.raises(ValueError, match="missing: chosen"):
        our_bytes(schema, {})


def test_a_value_that_is_not_a_symbol_of_its_enum_is_refused() -> None:
    schema = record_of(kind={"type": "enum", "name": "K", "symbols": ["A", "B"]})
    with pytest.raises(ValueError, match="'C' is not a symbol of enum K"):
        our_bytes(schema, {"kind": "C"})


def test_a_union_beyond_null_picks_its_branch_by_type_and_never_takes_a_bool_for_a_long() -> None:
    schema = record_of(v=["null", "long", "boolean", "string"])
    for value in (None, 5, True, "x"):
        assert our_bytes(schema, {"v": value}) == fastavro_bytes(schema, {"v": value})
    with pytest.raises(ValueError, match="matches no branch"):
        our_bytes(schema, {"v": 1.5})


def test_a_recursive_record_refers_to_itself_by_name() -> None:
    schema = {"type": "record", "name": "Node", "namespace": "t", "fields": [
        {"name": "id", "type": "string"},
        {"name": "next", "type": ["null", "Node"], "default": None},
    ]}  # fmt: skip
    chain = {"id": "a", "next": {"id": "b", "next": {"id": "c"}}}
    assert our_bytes(schema, chain) == fastavro_bytes(schema, chain)
