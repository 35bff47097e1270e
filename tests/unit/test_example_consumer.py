"""The example consumer's decoding (examples/consume_fulfillment.py) on the records omnistock writes in
each format: JSON, Avro with the repo's ids (schema picked by header), Avro with a registry's ids."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from core.allocation import OrderStatus
from tests.support.schema_registry import schema_registry
from tests.unit.test_order_outputs import NOW_MS, ORDER
from topics.order_outputs import OrderOutputs
from topics.output_codec import output_codec
from topics.records import OutRecord

ROOT = Path(__file__).parents[2]
SCHEMAS = str(ROOT / "topics" / "schemas")


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "consume_fulfillment", ROOT / "examples" / "consume_fulfillment.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXAMPLE = load_example()


def as_consumed(record: OutRecord) -> tuple[bytes, dict[str, str]]:
    """What the example reads off a message: the value and the headers as text."""
    headers = {name: value.decode() for name, value in record.headers or [] if isinstance(value, bytes)}
    return record.value, headers


def a_request(outputs: OrderOutputs) -> OutRecord:
    return outputs.fulfillment_request(ORDER, ORDER.shipments[0], None, "HOME_STANDARD", NOW_MS)


def check_request(decoded: dict[str, Any]) -> None:
    assert (decoded["order_id"], decoded["location_id"]) == ("o-1", ORDER.shipments[0].location_id)
    assert [line["sku"] for line in decoded["lines"]] == [line.sku for line in ORDER.shipments[0].lines]


def test_it_reads_json_outputs_without_any_schema() -> None:
    value, headers = as_consumed(a_request(OrderOutputs(output_codec(None, output_format="json"))))
    decoded = EXAMPLE.decode(value, headers, EXAMPLE.Schemas(None, None))
    check_request(decoded)
    assert decoded["occurred_at"].endswith("Z")


def test_it_reads_avro_with_the_repo_ids_by_the_schema_the_header_names() -> None:
    value, headers = as_consumed(a_request(OrderOutputs(output_codec(None))))
    assert headers["omnistock.schema.ids"] == "local"
    check_request(EXAMPLE.decode(value, headers, EXAMPLE.Schemas(None, SCHEMAS)))
    with schema_registry() as (url, _):  # a registry at hand is not asked for a local id
        check_request(EXAMPLE.decode(value, headers, EXAMPLE.Schemas(url, SCHEMAS)))


def test_it_reads_avro_with_registry_ids_from_the_registry() -> None:
    with schema_registry(first_id=70) as (url, _):
        record = OrderOutputs(output_codec(url)).order_status(ORDER, OrderStatus.ROUTED, "e", NOW_MS)
        value, headers = as_consumed(record)
        decoded = EXAMPLE.decode(value, headers, EXAMPLE.Schemas(url, None))
    assert (decoded["order_id"], decoded["status"]) == ("o-1", "ROUTED")


def test_a_local_id_without_the_schema_files_is_an_error_that_says_so() -> None:
    value, headers = as_consumed(a_request(OrderOutputs(output_codec(None))))
    with pytest.raises(LookupError, match="omnistock.v1.FulfillmentRequest"):
        EXAMPLE.decode(value, headers, EXAMPLE.Schemas(None, None))
