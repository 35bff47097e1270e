"""Record values on the wire: Confluent Avro (magic 0, 4-byte big-endian schema id, body) or a JSON object."""

from __future__ import annotations

import struct
from io import BytesIO
from typing import Any

import orjson
from fastavro import parse_schema, schemaless_reader

from core.errors import InvalidEvent
from topics.avro_writer import Write, compile_writer
from topics.output_headers import output_headers
from topics.records import Headers
from topics.registry import LocalSchemaList, Schema, SchemaRegistry, UnknownSchema, load_schema

MAGIC = 0
HEADER = struct.Struct(">bI")
JSON_START = ord("{")
# What fastavro raises on a body that does not match its schema (UnicodeDecodeError is a ValueError).
AVRO_BODY_ERRORS = (ValueError, IndexError, KeyError, TypeError, OverflowError)

Record = dict[str, Any]


def invalid(reason: str, **fields: object) -> InvalidEvent:
    """An InvalidEvent whose message is its `reason` (the DLQ header shows the message)."""
    return InvalidEvent(reason, reason=reason, **fields)


def strip_logical_types(schema: Any) -> Any:
    """A copy of `schema` without logicalType: timestamps decode as int epoch ms, no datetime round trip."""
    if isinstance(schema, dict):
        return {key: strip_logical_types(value) for key, value in schema.items() if key != "logicalType"}
    if isinstance(schema, list):
        return [strip_logical_types(item) for item in schema]
    return schema


def first_byte(data: bytes) -> int:
    """The first byte that is not ASCII white space, or -1 for an empty or blank value."""
    if data and data[0] not in b" \t\r\n":
        return data[0]
    stripped = data.lstrip()
    return stripped[0] if stripped else -1


def describe_first_byte(data: bytes) -> str:
    byte = first_byte(data)
    return "empty value" if byte < 0 else f"not JSON and not Confluent Avro: first byte 0x{byte:02X}"


class AvroCodec:
    """Encodes (topics.avro_writer) and decodes (fastavro) Confluent-framed Avro; schemas parsed or
    compiled once, then found by a dict get."""

    def __init__(self, registry: SchemaRegistry) -> None:
        self._registry = registry
        self._writers: dict[str, tuple[bytes, Any]] = {}
        self._encoders: dict[str, tuple[bytes, Write]] = {}
        self._readers: dict[int, Any] = {}
        self._headers: dict[str, Headers] = {}

    @property
    def local_ids(self) -> bool:
        """True when ids come from the repo's own list (no schema registry)."""
        return isinstance(self._registry, LocalSchemaList)

    def headers(self, schema_name: str) -> Headers:
        """The headers of every output record of `schema_name` (topics.output_headers), built once."""
        headers = self._headers.get(schema_name)
        if headers is None:
            headers = self._headers[schema_name] = output_headers(schema_name, "avro", self.local_ids)
        return headers

    def encode(self, schema_name: str, record: Record) -> bytes:
        """Frame `record` with the id of `schema_name` (timestamps may be int epoch ms or aware datetimes)."""
        header, write = self._encoders.get(schema_name) or self._encoder(schema_name)
        out = bytearray(header)
        write(out, record)
        return bytes(out)

    def writer(self, schema_name: str) -> tuple[bytes, Any]:
        """The 5-byte header and parsed schema of `schema_name`, for encoders with their own fast path."""
        return self._writers.get(schema_name) or self._writer(schema_name)

    def decode(self, data: bytes) -> Record:
        """The record of a Confluent-framed Avro value; timestamps come out as int epoch ms."""
        if len(data) < HEADER.size or data[0] != MAGIC:
            raise invalid("truncated Confluent header" if data[:1] == b"\x00" else describe_first_byte(data))
        schema_id = int.from_bytes(data[1:5], "big")
        parsed = self._readers.get(schema_id)
        if parsed is None:
            parsed = self._reader(schema_id)
        buffer = BytesIO(data)
        buffer.seek(HEADER.size)
        try:
            record = schemaless_reader(buffer, parsed)
        except EOFError:
            raise invalid("truncated Avro body", schema_id=schema_id) from None
        except AVRO_BODY_ERRORS as error:
            raise invalid(f"corrupt Avro body: {error}", schema_id=schema_id) from None
        if buffer.tell() != len(data):
            raise invalid(f"{len(data) - buffer.tell()} bytes after the Avro body", schema_id=schema_id)
        if not isinstance(record, dict):
            raise invalid("the Avro value is not a record", schema_id=schema_id)
        return record

    def decode_value(self, data: bytes) -> Record:
        """A JSON object or a Confluent Avro record, picked by the first non-space byte."""
        byte = first_byte(data)
        if byte == MAGIC:
            return self.decode(data)
        if byte == JSON_START:
            return decode_json(data)
        raise invalid(describe_first_byte(data))

    def _writer(self, schema_name: str) -> tuple[bytes, Any]:
        schema_id = self._registry.id_for(schema_name)
        parsed = parse_schema(load_schema(schema_name))
        entry = self._writers[schema_name] = (HEADER.pack(MAGIC, schema_id), parsed)
        return entry

    def _encoder(self, schema_name: str) -> tuple[bytes, Write]:
        header, parsed = self.writer(schema_name)
        entry = self._encoders[schema_name] = (header, compile_writer(parsed))
        return entry

    def _reader(self, schema_id: int) -> Any:
        try:
            schema: Schema = self._registry.schema_for(schema_id)
        except UnknownSchema:
            raise invalid(f"unknown schema id {schema_id}", schema_id=schema_id) from None
        parsed = self._readers[schema_id] = parse_schema(strip_logical_types(schema))
        return parsed


def decode_json(data: bytes) -> Record:
    """A JSON object value (orjson); anything else is an InvalidEvent."""
    try:
        record = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise invalid(f"invalid JSON: {error}") from None
    if not isinstance(record, dict):
        raise invalid("a JSON value must be an object")
    return record
