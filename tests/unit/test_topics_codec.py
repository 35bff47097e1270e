"""Values are Confluent-framed Avro or JSON objects; anything else is an InvalidEvent with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from core.errors import InvalidEvent
from topics.catalog import INPUT_TOPICS, TopicSpec
from topics.codec import AvroCodec, strip_logical_types
from topics.registry import LocalSchemaList
from topics.samples import OCCURRED_AT_MS, sample_event


@pytest.fixture(scope="module")
def codec() -> AvroCodec:
    return AvroCodec(LocalSchemaList())


def without_nulls(value: Any) -> Any:
    """Avro fills optional fields the sender left out with null: drop them to compare."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def avro_value(codec: AvroCodec, spec: TopicSpec) -> bytes:
    assert spec.schema is not None
    return codec.encode(spec.schema, sample_event(spec.name))


@pytest.mark.parametrize("spec", INPUT_TOPICS, ids=lambda spec: spec.name)
def test_every_input_event_round_trips_through_avro(codec: AvroCodec, spec: TopicSpec) -> None:
    decoded = codec.decode(avro_value(codec, spec))
    assert without_nulls(decoded) == sample_event(spec.name)


@pytest.mark.parametrize("spec", INPUT_TOPICS, ids=lambda spec: spec.name)
def test_every_input_event_round_trips_through_json(codec: AvroCodec, spec: TopicSpec) -> None:
    assert codec.decode_value(orjson.dumps(sample_event(spec.name))) == sample_event(spec.name)


def test_the_wire_format_is_magic_zero_then_the_big_endian_schema_id(codec: AvroCodec) -> None:
    value = codec.encode("stock_count.v1", sample_event("stock.counts.v1"))
    assert value[0] == 0
    assert int.from_bytes(value[1:5], "big") == 4


def test_decode_value_picks_avro_by_the_magic_byte(codec: AvroCodec) -> None:
    value = codec.encode("stock_count.v1", sample_event("stock.counts.v1"))
    assert codec.decode_value(value)["lines"] == [{"sku": "SKU-1", "on_hand": 12}]


def test_json_may_start_with_white_space(codec: AvroCodec) -> None:
    assert codec.decode_value(b' \n\t{"a": 1}') == {"a": 1}


def test_timestamps_decode_as_epoch_ms_and_encode_from_datetimes_too(codec: AvroCodec) -> None:
    moment = datetime.fromtimestamp(OCCURRED_AT_MS / 1000, tz=UTC)
    value = codec.encode("stock_count.v1", sample_event("stock.counts.v1", occurred_at=moment))
    assert codec.decode(value)["occurred_at"] == OCCURRED_AT_MS


def test_strip_logical_types_leaves_the_plain_types() -> None:
    schema = {
        "fields": [{"name": "t", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]}]
    }
    assert strip_logical_types(schema) == {"fields": [{"name": "t", "type": ["null", {"type": "long"}]}]}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"ABC", "not JSON and not Confluent Avro: first byte 0x41"),
        (b"", "empty value"),
        (b"   ", "empty value"),
        (b"[1, 2]", "not JSON and not Confluent Avro: first byte 0x5B"),
        (b"\x00\x00\x00", "truncated Confluent header"),
        (b"\x00\x00\x00\x00\x4d\x02", "unknown schema id 77"),
        (b"{not json", "invalid JSON: unexpected character"),
    ],
)
def test_garbage_is_an_invalid_event_with_a_clear_reason(codec: AvroCodec, value: bytes, reason: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        codec.decode_value(value)
    assert str(caught.value.fields["reason"]).startswith(reason)
    assert caught.value.message == caught.value.fields["reason"]


def test_a_cut_avro_body_is_reported_truncated(codec: AvroCodec) -> None:
    value = codec.encode("pos_sale.v1", sample_event("pos.sales.v1"))
    with pytest.raises(InvalidEvent, match="truncated Avro body"):
        codec.decode_value(value[:-3])


def test_bytes_after_the_avro_body_are_refused(codec: AvroCodec) -> None:
    value = codec.encode("pos_sale.v1", sample_event("pos.sales.v1"))
    with pytest.raises(InvalidEvent, match="2 bytes after the Avro body"):
        codec.decode_value(value + b"\x00\x00")


def test_a_body_that_does_not_match_its_schema_is_corrupt_or_truncated(codec: AvroCodec) -> None:
    with pytest.raises(InvalidEvent, match="(corrupt|truncated) Avro body"):
        codec.decode_value(b"\x00\x00\x00\x00\x01" + b"\xff" * 12)
