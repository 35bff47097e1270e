"""Stock events become core movements: one per sku, lines summed, from Avro or JSON alike."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from core.errors import InvalidEvent
from core.movements import AdjustOnHand, Movement, MoveTransfer, OnHandDelta, RecordCount, TransferStatus
from topics.catalog import STOCK_TOPICS, topic_spec
from topics.codec import AvroCodec
from topics.mappers import STOCK_ROUTES, StockEventDecoder, decode_stock_event, stock_event_decoder
from topics.registry import LocalSchemaList
from topics.samples import OCCURRED_AT_MS, sample_event

CODEC = AvroCodec(LocalSchemaList())


def as_json(topic: str, **overrides: Any) -> bytes:
    return orjson.dumps(sample_event(topic, **overrides))


def as_avro(topic: str, **overrides: Any) -> bytes:
    schema = topic_spec(topic).schema
    assert schema is not None
    return CODEC.encode(schema, sample_event(topic, **overrides))


def adjust(sku: str, location_id: str, quantity: int, event_id: str = "evt-1") -> AdjustOnHand:
    return AdjustOnHand(event_id, sku, OCCURRED_AT_MS, (OnHandDelta(location_id, quantity),))


def test_every_stock_topic_has_a_mapper() -> None:
    assert set(STOCK_ROUTES) == set(STOCK_TOPICS)


@pytest.mark.parametrize("topic", STOCK_TOPICS)
def test_avro_and_json_values_give_the_same_movements(topic: str) -> None:
    from_json = decode_stock_event(topic, as_json(topic))
    assert from_json
    assert decode_stock_event(topic, as_avro(topic)) == from_json


def test_a_sale_takes_stock_off_with_lines_of_one_sku_summed() -> None:
    movements = decode_stock_event("pos.sales.v1", as_json("pos.sales.v1"))
    assert movements == [adjust("SKU-1", "STORE-001", -3), adjust("SKU-2", "STORE-001", -1)]


def test_a_negative_sale_line_puts_stock_back() -> None:
    lines = [{"sku": "A", "quantity": -2}]
    assert decode_stock_event("pos.sales.v1", as_json("pos.sales.v1", lines=lines)) == [
        adjust("A", "STORE-001", 2)
    ]


def test_sale_lines_that_cancel_out_move_nothing() -> None:
    lines = [{"sku": "A", "quantity": 2}, {"sku": "A", "quantity": -2}, {"sku": "B", "quantity": 1}]
    movements = decode_stock_event("pos.sales.v1", as_json("pos.sales.v1", lines=lines))
    assert movements == [adjust("B", "STORE-001", -1)]


def test_a_receipt_adds_stock() -> None:
    lines = [{"sku": "A", "quantity": 5}, {"sku": "A", "quantity": 7}]
    movements = decode_stock_event("stock.receipts.v1", as_json("stock.receipts.v1", lines=lines))
    assert movements == [adjust("A", "WH-1", 12)]


def test_an_adjustment_adds_its_signed_quantity() -> None:
    lines = [{"sku": "A", "quantity": -3}, {"sku": "B", "quantity": 4}]
    movements = decode_stock_event("stock.adjustments.v1", as_json("stock.adjustments.v1", lines=lines))
    assert movements == [adjust("A", "STORE-001", -3), adjust("B", "STORE-001", 4)]


def test_a_return_puts_resellable_lines_back_where_they_came_back() -> None:
    lines = [
        {"sku": "A", "quantity": 1, "condition": "RESELLABLE"},
        {"sku": "A", "quantity": 2, "condition": "RESELLABLE"},
        {"sku": "B", "quantity": 1, "condition": "DAMAGED"},
    ]
    movements = decode_stock_event("returns.v1", as_json("returns.v1", lines=lines, location_id="STORE-9"))
    assert movements == [adjust("A", "STORE-9", 3)]


def test_a_return_of_only_damaged_goods_moves_nothing() -> None:
    lines = [{"sku": "B", "quantity": 1, "condition": "DAMAGED"}]
    assert decode_stock_event("returns.v1", as_json("returns.v1", lines=lines)) == []


def test_a_count_records_one_absolute_count_per_sku() -> None:
    lines = [{"sku": "A", "on_hand": 4}, {"sku": "B", "on_hand": 0}, {"sku": "A", "on_hand": 3}]
    movements = decode_stock_event("stock.counts.v1", as_json("stock.counts.v1", lines=lines))
    assert movements == [
        RecordCount("evt-1", "A", OCCURRED_AT_MS, "STORE-001", 7),
        RecordCount("evt-1", "B", OCCURRED_AT_MS, "STORE-001", 0),
    ]


def test_a_transfer_moves_each_sku_once() -> None:
    lines = [{"sku": "A", "quantity": 5}, {"sku": "B", "quantity": 1}, {"sku": "A", "quantity": 5}]
    value = as_json("stock.transfers.v1", lines=lines, status="CANCELLED")
    expected: list[Movement] = [
        MoveTransfer("evt-1", "A", OCCURRED_AT_MS, "T-9", TransferStatus.CANCELLED, "WH-1", "STORE-001", 10),
        MoveTransfer("evt-1", "B", OCCURRED_AT_MS, "T-9", TransferStatus.CANCELLED, "WH-1", "STORE-001", 1),
    ]
    assert decode_stock_event("stock.transfers.v1", value) == expected


def test_an_iso_occurred_at_reaches_the_movement_as_epoch_ms() -> None:
    value = as_json("stock.receipts.v1", occurred_at="2023-11-14T22:13:20.5Z")
    (movement,) = decode_stock_event("stock.receipts.v1", value)
    assert movement.occurred_at_ms == OCCURRED_AT_MS + 500


def test_an_invalid_event_names_the_topic_and_the_bad_fields() -> None:
    value = as_json("stock.receipts.v1", event_id="", lines=[{"sku": "A", "quantity": 0}])
    with pytest.raises(InvalidEvent) as caught:
        decode_stock_event("stock.receipts.v1", value)
    reason = str(caught.value.fields["reason"])
    assert reason.startswith("invalid stock.receipts.v1 event: ")
    assert "event_id: String should have at least 1 character" in reason
    assert "lines.0.quantity: Input should be greater than 0" in reason


def test_an_avro_event_that_fails_validation_is_invalid_too() -> None:
    value = as_avro("stock.counts.v1", lines=[])
    with pytest.raises(InvalidEvent, match="lines: List should have at least 1 item"):
        decode_stock_event("stock.counts.v1", value)


def test_an_avro_record_of_another_topic_is_invalid() -> None:
    with pytest.raises(InvalidEvent, match="invalid stock.transfers.v1 event"):
        decode_stock_event("stock.transfers.v1", as_avro("pos.sales.v1"))


def test_many_errors_are_cut_short() -> None:
    lines = [{"sku": "", "quantity": "x"}] * 5
    with pytest.raises(InvalidEvent, match="and 6 more$"):
        decode_stock_event("pos.sales.v1", as_json("pos.sales.v1", lines=lines))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"ABC", "not JSON and not Confluent Avro: first byte 0x41"),
        (b"", "empty value"),
        (b'{"event_id": ', "invalid pos.sales.v1 event: Invalid JSON"),
        (b"\x00\x00\x00\x00\x4d\x00", "unknown schema id 77"),
    ],
)
def test_garbage_raises_invalid_event_with_its_reason(value: bytes, reason: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        decode_stock_event("pos.sales.v1", value)
    assert caught.value.message.startswith(reason)
    assert caught.value.fields["topic"] == "pos.sales.v1"


def test_a_topic_that_is_not_a_stock_topic_is_a_wiring_error() -> None:
    with pytest.raises(ValueError, match="orders.v1 is not a stock topic"):
        decode_stock_event("orders.v1", as_json("orders.v1"))


def test_without_a_registry_url_the_decoder_uses_the_repo_schema_list() -> None:
    decoder = stock_event_decoder(None)
    assert isinstance(decoder, StockEventDecoder)
    assert decoder("stock.counts.v1", as_avro("stock.counts.v1")) == [
        RecordCount("evt-1", "SKU-1", OCCURRED_AT_MS, "STORE-001", 12)
    ]
