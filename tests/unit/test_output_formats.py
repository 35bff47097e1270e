"""Every output record names its schema in a header, and OMNISTOCK_OUTPUT_FORMAT=json writes plain JSON
objects with the Avro records' fields (defaults filled in, timestamps as ISO-8601 `Z` strings)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from core.allocation import OrderStatus
from core.movements import LocationFigures, MovementResult, Outcome, ReleasedHold, SetHold
from tests.unit.test_order_outputs import NOW_MS, ORDER
from topics.codec import AvroCodec
from topics.json_writer import compile_json, iso_millis
from topics.order_outputs import OrderOutputs, order_outputs
from topics.output_codec import OUTPUT_SCHEMAS, JsonOutputs, output_codec, prepare_outputs
from topics.output_headers import output_headers, record_full_name
from topics.outputs import (
    AvailabilityChangeEncoder,
    CartHoldEncoder,
    JsonChangeEncoder,
    availability_change_encoder,
    cart_hold_encoder,
)
from topics.registry import LocalSchemaList, load_schema

FIGURES = LocationFigures("ST-1", on_hand=12, in_transit=1, reserved=2, allocated=3, safety_stock=1, atp=6)
MOMENT_MS = 1_796_541_083_123  # 2026-12-06T07:11:23.123Z


def headers_dict(headers: Any) -> dict[str, bytes]:
    return dict(headers)


def test_an_iso_timestamp_has_milliseconds_and_a_z() -> None:
    assert iso_millis(MOMENT_MS) == "2026-12-06T07:11:23.123Z"
    assert iso_millis(0) == "1970-01-01T00:00:00.000Z"
    assert iso_millis(datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)) == "2026-01-02T03:04:05.006Z"
    assert datetime.fromisoformat(iso_millis(MOMENT_MS)).timestamp() * 1000 == pytest.approx(MOMENT_MS)


def test_each_output_schema_is_named_by_its_avro_full_name() -> None:
    assert record_full_name("fulfillment_request.v1") == "omnistock.v1.FulfillmentRequest"
    assert record_full_name("order_status.v1") == "omnistock.v1.OrderStatus"
    assert len({record_full_name(name) for name in OUTPUT_SCHEMAS}) == len(OUTPUT_SCHEMAS) == 5


def test_avro_records_say_their_ids_are_the_repo_list_only_without_a_registry() -> None:
    local = headers_dict(output_headers("order_status.v1", "avro", local_ids=True))
    assert local == {
        "omnistock.schema": b"omnistock.v1.OrderStatus",
        "content-type": b"application/avro",
        "omnistock.schema.ids": b"local",
    }
    registry = headers_dict(output_headers("order_status.v1", "avro", local_ids=False))
    assert "omnistock.schema.ids" not in registry
    assert headers_dict(output_headers("order_status.v1", "json"))["content-type"] == b"application/json"


def test_every_change_and_hold_record_carries_its_schema_header() -> None:
    for fmt in ("avro", "json"):
        changes = availability_change_encoder(None, output_format=fmt)  # type: ignore[arg-type]
        holds = cart_hold_encoder(None, output_format=fmt)  # type: ignore[arg-type]
        assert headers_dict(changes.headers)["omnistock.schema"] == b"omnistock.v1.AvailabilityChange"
        assert headers_dict(holds.headers)["omnistock.schema"] == b"omnistock.v1.CartHold"
        assert headers_dict(holds.headers)["content-type"] == f"application/{fmt}".encode()


def test_the_json_change_has_the_avro_change_fields_with_an_iso_time() -> None:
    avro_codec = AvroCodec(LocalSchemaList())
    avro = avro_codec.decode(
        AvailabilityChangeEncoder(avro_codec).encode("SKU-1", FIGURES, 40, "e-1", MOMENT_MS)
    )
    json = orjson.loads(JsonChangeEncoder(JsonOutputs()).encode("SKU-1", FIGURES, 40, "e-1", MOMENT_MS))
    assert list(json) == [field["name"] for field in load_schema("availability_change.v1")["fields"]]
    assert json == {**avro, "occurred_at": "2026-12-06T07:11:23.123Z"}


def test_the_json_fulfillment_request_and_status_match_the_avro_ones_field_for_field() -> None:
    avro_codec = AvroCodec(LocalSchemaList())
    as_avro, as_json = OrderOutputs(avro_codec), order_outputs(None, output_format="json")
    for schema_name, make in (
        ("order_status.v1", lambda o: o.order_status(ORDER, OrderStatus.ROUTED, "evt-1", NOW_MS)),
        (
            "fulfillment_request.v1",
            lambda o: o.fulfillment_request(ORDER, ORDER.shipments[0], None, "HOME_STANDARD", NOW_MS),
        ),
    ):
        avro_record, json_record = make(as_avro), make(as_json)
        decoded, plain = avro_codec.decode(avro_record.value), orjson.loads(json_record.value)
        assert plain["occurred_at"] == iso_millis(NOW_MS)
        # the Avro record (timestamps as epoch ms) with its timestamps written as ISO strings
        assert plain == compile_json(load_schema(schema_name))(decoded)
        assert json_record.key == avro_record.key == b"o-1"
        assert headers_dict(json_record.headers)["content-type"] == b"application/json"


def test_a_json_record_missing_a_required_field_is_refused_like_the_avro_one() -> None:
    convert = compile_json(load_schema("cart_hold.v1"))
    with pytest.raises(ValueError, match="required field missing"):
        convert({"event_id": "e"})


def test_a_json_record_fills_the_schema_defaults_and_converts_nested_timestamps() -> None:
    schema = {
        "type": "record", "name": "Outer", "namespace": "t",
        "fields": [
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "maybe", "default": None,
             "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
            {"name": "items", "type": {"type": "array", "items": {
                "type": "record", "name": "Inner", "fields": [
                    {"name": "when", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}}},
            {"name": "again", "type": ["null", "Inner"], "default": None},
        ],
    }  # fmt: skip
    convert = compile_json(schema)
    assert convert({"at": 0, "items": [{"when": 1}], "again": {"when": 2}}) == {
        "at": "1970-01-01T00:00:00.000Z", "maybe": None,
        "items": [{"when": "1970-01-01T00:00:00.001Z"}], "again": {"when": "1970-01-01T00:00:00.002Z"},
    }  # fmt: skip


def test_holds_in_json_are_plain_objects() -> None:
    holds = CartHoldEncoder(JsonOutputs())
    hold = SetHold("e-9", "cart-1", "SKU-1", None, 2, 900_000)
    result = MovementResult(Outcome.TRIMMED, "SKU-1", "e-9", (), 1, granted=1)
    record = orjson.loads(holds.encode(hold, result, MOMENT_MS))
    assert (record["outcome"], record["granted"], record["location_id"]) == ("TRIMMED", 1, None)
    expired = orjson.loads(holds.encode_expired("SKU-1", ReleasedHold("cart-1", None, 2), "x", MOMENT_MS))
    assert (expired["outcome"], expired["occurred_at"]) == ("EXPIRED", "2026-12-06T07:11:23.123Z")


def test_prepare_builds_every_output_schema_for_both_formats() -> None:
    for codec in (output_codec(None), output_codec(None, output_format="json")):
        prepare_outputs(codec)
        for name in OUTPUT_SCHEMAS:
            assert headers_dict(codec.headers(name))["omnistock.schema"] == record_full_name(name).encode()
