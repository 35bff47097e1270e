"""With OMNISTOCK_SCHEMA_REGISTRY_URL set, the worker registers every output schema under
`<prefixed topic>-value` at start, frames its records with the registry's ids (not the repo's 1-14),
decodes Avro inputs by the registry's ids, and refuses to start when the registry cannot register.

Against tests/support/schema_registry.py: no real registry-compatible server can be installed here."""

from __future__ import annotations

import socket

import pytest

from core.allocation import OrderStatus
from tests.support.schema_registry import schema_registry
from tests.unit.test_order_outputs import NOW_MS, ORDER
from topics.catalog import OUTPUT_TOPICS, POS_SALES
from topics.codec import AvroCodec
from topics.decoding import validate_value
from topics.events import PosSale
from topics.order_outputs import OrderOutputs
from topics.output_codec import output_codec, prepare_outputs
from topics.registry import ConfluentSchemaRegistry, SchemaRegistryError

PREFIX = "shop-a."


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_every_output_schema_is_registered_under_its_topic_subject_at_start() -> None:
    with schema_registry() as (url, state):
        prepare_outputs(output_codec(url, PREFIX))
        assert sorted(state.subjects) == sorted(f"{PREFIX}{spec.name}-value" for spec in OUTPUT_TOPICS)
        assert all(ids[0] >= 1001 for ids in state.subjects.values())


def test_output_records_carry_the_registry_ids_and_any_registry_client_decodes_them() -> None:
    with schema_registry() as (url, state):
        codec = output_codec(url, PREFIX)
        prepare_outputs(codec)
        record = OrderOutputs(codec).order_status(ORDER, OrderStatus.ROUTED, "evt-1", NOW_MS)
        (registered,) = state.subjects[f"{PREFIX}orders.status.v1-value"]
        assert int.from_bytes(record.value[1:5], "big") == registered
        assert "omnistock.schema.ids" not in dict(record.headers or [])
        another_client = AvroCodec(ConfluentSchemaRegistry(url))  # knows nothing: asks for the id
        assert another_client.decode(record.value)["status"] == "ROUTED"


def test_an_avro_input_framed_with_a_registry_id_is_decoded_by_that_id() -> None:
    with schema_registry(first_id=500) as (url, state):
        producer = AvroCodec(ConfluentSchemaRegistry(url, PREFIX))
        sale = {"event_id": "s-1", "occurred_at": NOW_MS, "location_id": "ST-1",
                "lines": [{"sku": "SKU-1", "quantity": 2}]}  # fmt: skip
        value = producer.encode("pos_sale.v1", sale)
        assert state.subjects[f"{PREFIX}{POS_SALES}-value"] == [500]
        worker = AvroCodec(ConfluentSchemaRegistry(url, PREFIX))
        event = validate_value(worker, PosSale, POS_SALES, value)
        assert (event.location_id, event.lines[0].sku, event.lines[0].quantity) == ("ST-1", "SKU-1", 2)


def test_a_registry_out_of_reach_stops_the_worker_at_start_with_its_reason() -> None:
    with pytest.raises(SchemaRegistryError, match="unreachable"):
        prepare_outputs(output_codec(closed_port_url(), PREFIX))


def test_a_registry_that_refuses_a_schema_says_which_and_why() -> None:
    with schema_registry() as (url, state):
        state.refuse.add(f"{PREFIX}fulfillment.requests.v1-value")
        said = "409 to POST /subjects/shop-a.fulfillment.requests.v1-value/versions: .*incompatible"
        with pytest.raises(SchemaRegistryError, match=said):
            prepare_outputs(output_codec(url, PREFIX))


def test_json_outputs_register_nothing() -> None:
    with schema_registry() as (url, state):
        prepare_outputs(output_codec(url, PREFIX, "json"))
        assert state.subjects == {}
