"""The topic catalog holds every topic of the contract with its key, schema and role."""

from __future__ import annotations

from topics.catalog import (
    DLQ_TOPICS,
    INPUT_TOPICS,
    OUTPUT_TOPICS,
    STOCK_TOPICS,
    TOPICS,
    Role,
    all_topic_names,
    dlq_name,
    full_name,
    topic_spec,
)

CONTRACT_INPUTS = {
    "pos.sales.v1": "location_id",
    "stock.receipts.v1": "location_id",
    "stock.adjustments.v1": "location_id",
    "stock.counts.v1": "location_id",
    "stock.transfers.v1": "transfer_id",
    "carts.events.v1": "cart_id",
    "orders.v1": "order_id",
    "fulfillment.updates.v1": "order_id",
    "returns.v1": "return_id",
}
CONTRACT_OUTPUTS = {
    "availability.changes.v1": "sku",
    "fulfillment.requests.v1": "order_id",
    "orders.status.v1": "order_id",
    "routing.decisions.v1": "order_id",
}


def test_every_input_topic_of_the_contract_is_in_the_catalog_with_its_key() -> None:
    assert {spec.name: spec.key_field for spec in INPUT_TOPICS} == CONTRACT_INPUTS
    assert all(spec.role is Role.INPUT for spec in INPUT_TOPICS)


# Outputs omnistock adds to the contract (it may be extended; these are documented in the README).
EXTENSION_OUTPUTS = {"carts.holds.v1": "cart_id"}


def test_every_output_topic_of_the_contract_is_in_the_catalog_with_its_key() -> None:
    assert {spec.name: spec.key_field for spec in OUTPUT_TOPICS} == CONTRACT_OUTPUTS | EXTENSION_OUTPUTS
    assert all(spec.role is Role.OUTPUT for spec in OUTPUT_TOPICS)


def test_each_input_has_a_dead_letter_topic_without_schema() -> None:
    assert {spec.name for spec in DLQ_TOPICS} == {name + ".dlq" for name in CONTRACT_INPUTS}
    assert all(spec.schema is None and spec.role is Role.DLQ for spec in DLQ_TOPICS)


def test_inputs_and_outputs_each_name_a_distinct_schema() -> None:
    schemas = [spec.schema for spec in INPUT_TOPICS + OUTPUT_TOPICS]
    assert None not in schemas
    assert len(set(schemas)) == len(schemas)


def test_stock_topics_are_the_six_inputs_that_move_stock() -> None:
    assert set(STOCK_TOPICS) == {
        "pos.sales.v1",
        "stock.receipts.v1",
        "stock.adjustments.v1",
        "stock.counts.v1",
        "stock.transfers.v1",
        "returns.v1",
    }
    assert all(topic_spec(name).role is Role.INPUT for name in STOCK_TOPICS)


def test_the_prefix_goes_in_front_and_the_dlq_suffix_at_the_end() -> None:
    assert full_name("acme-", "pos.sales.v1") == "acme-pos.sales.v1"
    assert full_name("", "orders.v1") == "orders.v1"
    assert dlq_name("pos.sales.v1") == "pos.sales.v1.dlq"
    assert dlq_name(full_name("acme-", "returns.v1")) == "acme-returns.v1.dlq"


def test_all_topic_names_lists_inputs_outputs_and_dlqs_prefixed() -> None:
    names = all_topic_names("p.")
    assert len(names) == len(set(names)) == 9 + 4 + len(EXTENSION_OUTPUTS) + 9
    assert set(names) == {"p." + name for name in TOPICS}
    assert "p.pos.sales.v1.dlq" in names
    assert "p.availability.changes.v1" in names
