"""Plain JSON output values (`OMNISTOCK_OUTPUT_FORMAT=json`): the Avro record's fields, readable anywhere.

A record is written as one JSON object with the schema's field names, every field present (a field
the record leaves out takes its schema default, as the Avro writer does) and timestamps
(`timestamp-millis`) as ISO-8601 UTC strings with milliseconds and a `Z` (`2026-12-06T07:31:23.123Z`):
what the HTTP API and a person read, and what `datetime.fromisoformat` parses. The conversion is
compiled once per schema (the dispatch decided then, not per value); orjson writes the bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

Convert = Callable[[Any], Any]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso_millis(value: int | datetime) -> str:
    """Epoch milliseconds (or an aware datetime) as `YYYY-MM-DDTHH:MM:SS.mmmZ`."""
    moment = value if isinstance(value, datetime) else EPOCH + timedelta(milliseconds=value)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _same(value: Any) -> Any:
    return value


def compile_json(schema: Any) -> Convert:
    """The converter of `schema` (as JSON gives it): a record dict in, a JSON-ready dict out."""
    return _Compiler().compile(schema, "")


def json_value(convert: Convert, record: Mapping[str, Any]) -> bytes:
    return orjson.dumps(convert(record))


class _Compiler:
    def __init__(self) -> None:
        self.named: dict[str, Convert] = {}

    def compile(self, schema: Any, namespace: str) -> Convert:
        if isinstance(schema, str):
            return self.named.get(schema) or self.named.get(f"{namespace}.{schema}") or _same
        if isinstance(schema, list):
            return _union([self.compile(branch, namespace) for branch in schema if branch != "null"])
        kind = schema["type"]
        if schema.get("logicalType") == "timestamp-millis":
            return iso_millis
        if kind == "record":
            return self._record(schema, namespace)
        if kind == "array":
            item = self.compile(schema["items"], namespace)
            return _same if item is _same else (lambda values: [item(v) for v in values])
        if kind == "map":
            value = self.compile(schema["values"], namespace)
            return _same if value is _same else (lambda values: {k: value(v) for k, v in values.items()})
        if kind == "enum":
            self._name(schema, namespace, _same)
            return _same
        return self.compile(kind, namespace)

    def _name(self, schema: Mapping[str, Any], namespace: str, convert: Convert) -> str:
        name: str = schema["name"]
        space: str = schema.get("namespace", namespace)
        self.named[name] = self.named[f"{space}.{name}"] = convert
        return space

    def _record(self, schema: Mapping[str, Any], namespace: str) -> Convert:
        name = schema["name"]
        fields: list[tuple[str, Any, Convert]] = []

        def convert(record: Mapping[str, Any]) -> dict[str, Any]:
            out = {}
            for field, default, each in fields:
                value = record.get(field, default)
                if value is _REQUIRED:
                    raise ValueError(f"{name}: required field missing: {field}")
                out[field] = value if value is None else each(value)
            return out

        space = self._name(schema, namespace, convert)
        for field in schema["fields"]:
            fields.append(
                (field["name"], field.get("default", _REQUIRED), self.compile(field["type"], space))
            )
        return convert


_REQUIRED = object()


def _union(branches: list[Convert]) -> Convert:
    """Our unions are ["null", X]: a None stays None (the record converter keeps it), X is converted."""
    converting = [branch for branch in branches if branch is not _same]
    return converting[0] if len(converting) == 1 and len(branches) == 1 else _same
