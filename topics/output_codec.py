"""The output format (`OMNISTOCK_OUTPUT_FORMAT`): Confluent Avro (default) or plain JSON, one codec each.

Both answer `encode(schema_name, record) -> bytes` and `headers(schema_name)`: topics.codec.AvroCodec
for Avro, JsonOutputs here for JSON. `output_codec` picks one from the settings; `prepare_outputs`
resolves every output schema at start, so a schema registry is called (each schema registered under
`<prefixed topic>-value`) before the first batch, and an unreachable or refusing registry stops the
worker at start with its reason rather than in the middle of a batch.
"""

from __future__ import annotations

from typing import Any, Protocol

from topics.catalog import OUTPUT_TOPICS
from topics.codec import AvroCodec
from topics.json_writer import Convert, compile_json, json_value
from topics.output_headers import OutputFormat, output_headers
from topics.records import Headers
from topics.registry import load_schema, make_registry

OUTPUT_SCHEMAS: tuple[str, ...] = tuple(spec.schema for spec in OUTPUT_TOPICS if spec.schema is not None)


class OutputCodec(Protocol):
    def encode(self, schema_name: str, record: dict[str, Any]) -> bytes:
        """The record's value on the wire (timestamps may be int epoch ms or aware datetimes)."""
        ...

    def headers(self, schema_name: str) -> Headers:
        """The headers every record of `schema_name` carries (shared: do not mutate)."""
        ...


class JsonOutputs:
    """Output records as plain JSON objects (topics.json_writer), converters compiled once per schema."""

    def __init__(self) -> None:
        self._converters: dict[str, Convert] = {}
        self._headers: dict[str, Headers] = {}

    def encode(self, schema_name: str, record: dict[str, Any]) -> bytes:
        convert = self._converters.get(schema_name)
        if convert is None:
            convert = self._converters[schema_name] = compile_json(load_schema(schema_name))
        return json_value(convert, record)

    def headers(self, schema_name: str) -> Headers:
        headers = self._headers.get(schema_name)
        if headers is None:
            headers = self._headers[schema_name] = output_headers(schema_name, "json")
        return headers


def output_codec(
    registry_url: str | None, topic_prefix: str = "", output_format: OutputFormat = "avro"
) -> AvroCodec | JsonOutputs:
    """JSON, or Avro with ids from the registry at `registry_url` when set, else the repo's list."""
    if output_format == "json":
        return JsonOutputs()
    return AvroCodec(make_registry(registry_url, topic_prefix))


def prepare_outputs(codec: AvroCodec | JsonOutputs) -> None:
    """Resolve every output schema now: with a registry, registers each one (SchemaRegistryError if it
    cannot); builds the headers and encoders the hot path then finds in a dict."""
    for schema_name in OUTPUT_SCHEMAS:
        if isinstance(codec, AvroCodec):
            codec.writer(schema_name)
        codec.headers(schema_name)
