"""Availability changes are encoded by hand to exactly the bytes fastavro would write."""

from __future__ import annotations

import pytest

from core.movements import LocationFigures
from topics.codec import AvroCodec
from topics.outputs import AvailabilityChangeEncoder, availability_change_encoder, avro_long, change_event_id
from topics.registry import LocalSchemaList

CODEC = AvroCodec(LocalSchemaList())
FIGURES = LocationFigures(
    "STORE-001", on_hand=120, in_transit=5, reserved=3, allocated=2, safety_stock=1, atp=114
)


def expected_record(figures: LocationFigures, network_atp: int, now_ms: int) -> dict[str, object]:
    return {
        "event_id": f"evt-7:SKU-é:{figures.location_id}",
        "occurred_at": now_ms,
        "sku": "SKU-é",
        "location_id": figures.location_id,
        "on_hand": figures.on_hand,
        "in_transit": figures.in_transit,
        "reserved": figures.reserved,
        "allocated": figures.allocated,
        "safety_stock": figures.safety_stock,
        "atp": figures.atp,
        "network_atp": network_atp,
        "cause_event_id": "evt-7",
    }


@pytest.mark.parametrize(
    ("figures", "network_atp"),
    [
        (FIGURES, 5000),
        (LocationFigures("W", -3, 0, 0, 0, 0, 0), 0),
        (LocationFigures("W" * 300, 2**40, -(2**40), 2047, 2048, -2048, -2049), 2**62),
    ],
)
def test_the_hand_encoding_equals_fastavro(figures: LocationFigures, network_atp: int) -> None:
    encoder = AvailabilityChangeEncoder(CODEC)
    value = encoder.encode("SKU-é", figures, network_atp, "evt-7", 1_700_000_000_123)
    assert value == CODEC.encode(
        "availability_change.v1", expected_record(figures, network_atp, 1_700_000_000_123)
    )
    assert CODEC.decode(value) == expected_record(figures, network_atp, 1_700_000_000_123)


def test_a_new_now_is_encoded_for_each_batch() -> None:
    encoder = AvailabilityChangeEncoder(CODEC)
    encoder.encode("SKU-é", FIGURES, 1, "evt-7", 1000)
    assert CODEC.decode(encoder.encode("SKU-é", FIGURES, 1, "evt-7", 2000))["occurred_at"] == 2000


@pytest.mark.parametrize("value", [0, 1, -1, 63, -64, 64, 2047, -2048, 2048, 2**31, -(2**63), 2**63 - 1])
def test_avro_long_is_the_zigzag_varint(value: int) -> None:
    n = (value << 1) ^ (value >> 63)
    expected = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        expected.append(byte | (0x80 if n else 0))
        if not n:
            break
    assert avro_long(value) == bytes(expected)


def test_a_change_id_is_derived_from_its_cause_so_replays_repeat_it() -> None:
    assert change_event_id("evt-7", "SKU-1", "STORE-001") == "evt-7:SKU-1:STORE-001"


def test_the_value_carries_the_local_schema_id_without_a_registry() -> None:
    value = availability_change_encoder(None).encode("SKU-1", FIGURES, 1, "evt-7", 1)
    assert value[:5] == b"\x00\x00\x00\x00\x0a"
