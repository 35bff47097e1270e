"""The headers on every output record: which schema it is and how its value is written.

Built once per schema and shared by every record of it (librdkafka copies them at produce), so the
hot path pays one attribute read. A consumer needs nothing of this repo to tell what a record is:
- `omnistock.schema`: the Avro full name of the record (`omnistock.v1.FulfillmentRequest`; the
  namespace carries the version), also what names the schema in the JSON format;
- `content-type`: `application/json` (a plain JSON object) or `application/avro` (Confluent wire
  format: magic byte 0, 4-byte schema id, Avro body);
- `omnistock.schema.ids`: `local` on Avro records whose id is from the repo's own list
  (topics/schemas/index.json) rather than a schema registry: those ids are not a registry's and a
  registry-aware deserializer must not look them up (absent when a registry gave the id).
"""

from __future__ import annotations

from typing import Literal

from topics.records import Headers
from topics.registry import load_schema

OutputFormat = Literal["avro", "json"]
SCHEMA_HEADER = "omnistock.schema"
IDS_HEADER = "omnistock.schema.ids"
CONTENT_TYPE_HEADER = "content-type"
CONTENT_TYPES: dict[str, bytes] = {"avro": b"application/avro", "json": b"application/json"}


def record_full_name(schema_name: str) -> str:
    """`fulfillment_request.v1` -> `omnistock.v1.FulfillmentRequest` (from its .avsc)."""
    schema = load_schema(schema_name)
    name: str = schema["name"]
    namespace = schema.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"


def output_headers(schema_name: str, output_format: OutputFormat, local_ids: bool = False) -> Headers:
    """The headers of every output record of `schema_name` (values pre-encoded)."""
    headers: Headers = [
        (SCHEMA_HEADER, record_full_name(schema_name).encode()),
        (CONTENT_TYPE_HEADER, CONTENT_TYPES[output_format]),
    ]
    if output_format == "avro" and local_ids:
        headers.append((IDS_HEADER, b"local"))
    return headers
