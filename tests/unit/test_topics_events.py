"""The event models enforce the contract: integer units, enums, non-empty ids and lines, aware times."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from core.movements import TransferStatus
from topics.event_fields import Event
from topics.events import (
    INPUT_MODELS,
    AdjustmentReason,
    PosSale,
    StockAdjustment,
    StockCount,
    StockReceipt,
    StockTransfer,
)
from topics.order_events import CartEvent, DeliveryMethod, OrderEvent
from topics.samples import OCCURRED_AT_MS, sample_event


def validate(topic: str, **overrides: Any) -> Event:
    return INPUT_MODELS[topic].model_validate_json(orjson.dumps(sample_event(topic, **overrides)))


def error_locations(topic: str, **overrides: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        # json, not orjson: it writes integers beyond 64 bits, as a producer may
        INPUT_MODELS[topic].model_validate_json(json.dumps(sample_event(topic, **overrides)))
    return [".".join(str(part) for part in error["loc"]) for error in caught.value.errors()]


@pytest.mark.parametrize("topic", INPUT_MODELS)
def test_every_sample_event_is_valid(topic: str) -> None:
    event = validate(topic)
    assert event.event_id == "evt-1"
    assert event.occurred_at == OCCURRED_AT_MS


@pytest.mark.parametrize(
    ("occurred_at", "expected_ms"),
    [
        ("2023-11-14T22:13:20Z", OCCURRED_AT_MS),
        ("2023-11-14T22:13:20.123+00:00", OCCURRED_AT_MS + 123),
        ("2023-11-14T23:13:20+01:00", OCCURRED_AT_MS),
        (OCCURRED_AT_MS, OCCURRED_AT_MS),
    ],
)
def test_occurred_at_accepts_iso_with_offset_or_epoch_ms(occurred_at: Any, expected_ms: int) -> None:
    assert validate("pos.sales.v1", occurred_at=occurred_at).occurred_at == expected_ms


@pytest.mark.parametrize(
    "occurred_at", ["2023-11-14T22:13:20", "2023-11-14", "yesterday", 1.7e12, True, None]
)
def test_occurred_at_refuses_naive_times_and_non_integers(occurred_at: Any) -> None:
    assert error_locations("pos.sales.v1", occurred_at=occurred_at) == ["occurred_at"]


@pytest.mark.parametrize("topic", INPUT_MODELS)
@pytest.mark.parametrize("occurred_at", [10**30, 2**53, -1, 0, 4_102_444_800_000, "1999-12-31T23:59:59Z"])
def test_every_topic_refuses_a_time_outside_2000_to_2100_at_decode(topic: str, occurred_at: Any) -> None:
    assert error_locations(topic, occurred_at=occurred_at) == ["occurred_at"]


def test_a_transfer_refuses_an_expected_time_outside_2000_to_2100() -> None:
    assert error_locations("stock.transfers.v1", expected_at=10**30) == ["expected_at"]


@pytest.mark.parametrize(
    ("topic", "field"),
    [
        ("pos.sales.v1", "receipt_id"),
        ("stock.receipts.v1", "reference"),
        ("fulfillment.updates.v1", "reason"),
        ("orders.v1", "strategy"),
    ],
)
def test_free_texts_are_bounded_to_a_thousand_characters(topic: str, field: str) -> None:
    validate(topic, **{field: "x" * 1000})
    assert error_locations(topic, **{field: "x" * 1001}) == [field]


@pytest.mark.parametrize("topic", ["pos.sales.v1", "stock.counts.v1", "orders.v1", "returns.v1"])
def test_an_event_of_more_than_five_thousand_lines_is_refused(topic: str) -> None:
    line = sample_event(topic)["lines"][0]
    lines = [{**line, "line_id": f"l{i}"} if "line_id" in line else line for i in range(5001)]
    assert error_locations(topic, lines=lines) == ["lines"]


def test_a_naive_timestamp_is_explained() -> None:
    with pytest.raises(ValidationError, match="needs its offset"):
        validate("pos.sales.v1", occurred_at="2023-11-14T22:13:20")


@pytest.mark.parametrize("quantity", [2.0, "2", 2.5, None, 10**12])
def test_quantities_are_strict_bounded_integers(quantity: Any) -> None:
    lines = [{"sku": "A", "quantity": quantity}]
    assert error_locations("pos.sales.v1", lines=lines) == ["lines.0.quantity"]


def test_a_negative_sale_is_an_in_store_return() -> None:
    event = validate("pos.sales.v1", lines=[{"sku": "A", "quantity": -1}])
    assert isinstance(event, PosSale)
    assert event.lines[0].quantity == -1


@pytest.mark.parametrize("quantity", [0, -5])
def test_a_receipt_needs_a_positive_quantity(quantity: int) -> None:
    assert error_locations("stock.receipts.v1", lines=[{"sku": "A", "quantity": quantity}]) == [
        "lines.0.quantity"
    ]


def test_a_count_may_be_zero_but_not_negative() -> None:
    zero = validate("stock.counts.v1", lines=[{"sku": "A", "on_hand": 0}])
    assert isinstance(zero, StockCount)
    assert zero.lines[0].on_hand == 0
    assert error_locations("stock.counts.v1", lines=[{"sku": "A", "on_hand": -1}]) == ["lines.0.on_hand"]


def test_an_adjustment_reason_is_one_of_the_contract() -> None:
    assert error_locations("stock.adjustments.v1", reason="THEFT") == ["reason"]
    event = validate("stock.adjustments.v1", reason="FOUND")
    assert isinstance(event, StockAdjustment)
    assert event.reason is AdjustmentReason.FOUND


def test_a_transfer_status_is_one_of_the_contract() -> None:
    assert error_locations("stock.transfers.v1", status="LOST") == ["status"]
    event = validate("stock.transfers.v1", status="RECEIVED")
    assert isinstance(event, StockTransfer)
    assert event.status is TransferStatus.RECEIVED
    assert event.expected_at == OCCURRED_AT_MS + 86_400_000


def test_a_transfer_goes_between_two_locations() -> None:
    with pytest.raises(ValidationError, match="must differ"):
        validate("stock.transfers.v1", to_location_id="WH-1")


def test_a_return_line_condition_is_resellable_or_damaged() -> None:
    lines = [{"sku": "A", "quantity": 1, "condition": "USED"}]
    assert error_locations("returns.v1", lines=lines) == ["lines.0.condition"]


@pytest.mark.parametrize("topic", ["pos.sales.v1", "stock.receipts.v1", "stock.counts.v1", "returns.v1"])
def test_lines_may_not_be_empty(topic: str) -> None:
    assert error_locations(topic, lines=[]) == ["lines"]


def test_ids_may_not_be_empty_or_missing() -> None:
    assert error_locations("stock.receipts.v1", event_id="", location_id="") == ["event_id", "location_id"]
    event = sample_event("stock.receipts.v1")
    del event["location_id"]
    with pytest.raises(ValidationError, match="location_id"):
        StockReceipt.model_validate(event)


def test_extra_fields_are_allowed_and_ignored() -> None:
    event = validate("stock.receipts.v1", supplier="ACME", lines=[{"sku": "A", "quantity": 1, "lot": "L1"}])
    assert "supplier" not in event.model_dump()


def test_a_cart_line_set_needs_a_sku_and_a_quantity_but_clearing_does_not() -> None:
    with pytest.raises(ValidationError, match="LINE_SET needs sku and quantity"):
        validate("carts.events.v1", quantity=None)
    cleared = validate("carts.events.v1", type="CLEARED", sku=None, quantity=None)
    assert isinstance(cleared, CartEvent)
    assert cleared.sku is None


def test_a_placed_order_needs_lines_and_a_delivery_but_a_cancel_does_not() -> None:
    with pytest.raises(ValidationError, match="PLACED needs"):
        validate("orders.v1", delivery=None)
    cancelled = validate("orders.v1", type="CANCELLED", lines=[], delivery=None)
    assert isinstance(cancelled, OrderEvent)
    assert cancelled.lines == []


def test_click_and_collect_needs_a_pickup_location() -> None:
    with pytest.raises(ValidationError, match="CLICK_COLLECT needs pickup_location_id"):
        validate("orders.v1", delivery={"method": "CLICK_COLLECT"})
    event = validate("orders.v1", delivery={"method": "CLICK_COLLECT", "pickup_location_id": "STORE-001"})
    assert isinstance(event, OrderEvent)
    assert event.delivery is not None
    assert event.delivery.method is DeliveryMethod.CLICK_COLLECT


def test_order_line_ids_are_unique() -> None:
    lines = [{"line_id": "1", "sku": "A", "quantity": 1}, {"line_id": "1", "sku": "B", "quantity": 1}]
    with pytest.raises(ValidationError, match="line_id must be unique"):
        validate("orders.v1", lines=lines)


def test_a_fulfillment_status_is_one_of_the_contract() -> None:
    assert error_locations("fulfillment.updates.v1", status="LOST") == ["status"]
