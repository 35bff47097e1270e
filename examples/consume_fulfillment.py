"""Read omnistock's fulfillment requests and order statuses, and print each one as a JSON line.

A copy-and-adapt example for integrators: it needs only confluent-kafka and fastavro (nothing of
omnistock's code), and decodes every format omnistock writes, telling them apart by the record's
headers:
- `content-type: application/json` (OMNISTOCK_OUTPUT_FORMAT=json): the value is a JSON object;
- `content-type: application/avro`: Confluent wire format (byte 0, a 4-byte schema id, the Avro
  body). With `--registry URL` the writer schema is fetched by its id (GET /schemas/ids/{id});
  a record marked `omnistock.schema.ids: local` (omnistock ran without a registry, so the id is from
  its own list, not a registry's) is decoded with the schema its `omnistock.schema` header names, from
  a folder of .avsc files (`--schemas`, a copy of omnistock's topics/schemas/).

    python consume_fulfillment.py --broker localhost:9092 --registry http://registry:8081
    python consume_fulfillment.py --broker localhost:9092 --schemas ./omnistock-schemas

Each line: {"topic", "key", "schema", "content_type", "value"}; timestamps print as ISO-8601 UTC.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaException
from fastavro import parse_schema, schemaless_reader

TOPICS = ("fulfillment.requests.v1", "orders.status.v1")


class Schemas:
    """Writer schemas by registry id (fetched once each) or by full name from a folder of .avsc files."""

    def __init__(self, registry: str | None, folder: str | None) -> None:
        self.registry = registry.rstrip("/") if registry else None
        self.by_id: dict[int, Any] = {}
        self.by_name: dict[str, Any] = {}
        for path in sorted(Path(folder).glob("*.avsc")) if folder else ():
            schema = json.loads(path.read_text(encoding="utf-8"))
            name = schema["name"] if "." in schema["name"] else f"{schema.get('namespace')}.{schema['name']}"
            self.by_name[name] = parse_schema(schema)

    def of(self, schema_id: int, headers: dict[str, str]) -> Any:
        if headers.get("omnistock.schema.ids") == "local" or self.registry is None:
            name = headers.get("omnistock.schema", "")
            if name not in self.by_name:
                raise LookupError(
                    f"no .avsc for {name!r} in --schemas (and the id {schema_id} is not a registry's)"
                )
            return self.by_name[name]
        if schema_id not in self.by_id:
            url = f"{self.registry}/schemas/ids/{schema_id}"
            with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - the URL the user gave
                self.by_id[schema_id] = parse_schema(json.loads(json.load(answer)["schema"]))
        return self.by_id[schema_id]


def decode(value: bytes, headers: dict[str, str], schemas: Schemas) -> Any:
    """The record of one value, whichever format omnistock wrote it in."""
    if headers.get("content-type") == "application/json" or value[:1] == b"{":
        return json.loads(value)
    if value[:1] != b"\x00" or len(value) < 5:
        raise ValueError("neither JSON nor Confluent Avro")
    schema = schemas.of(int.from_bytes(value[1:5], "big"), headers)
    return schemaless_reader(BytesIO(value[5:]), schema)


def printable(value: Any) -> Any:
    return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", default="localhost:9092", help="bootstrap servers (default: %(default)s)")
    parser.add_argument("--topic-prefix", default="", help="OMNISTOCK_TOPIC_PREFIX of the omnistock you read")
    parser.add_argument("--registry", help="schema registry URL, when omnistock uses one")
    parser.add_argument("--schemas", help="folder of omnistock's .avsc files, when it uses none")
    parser.add_argument(
        "--group", default="fulfillment-example", help="consumer group (default: %(default)s)"
    )
    parser.add_argument("--max-records", type=int, default=0, help="stop after this many (default: never)")
    parser.add_argument(
        "--timeout", type=float, default=0, help="stop after this many idle seconds (0: never)"
    )
    args = parser.parse_args(argv)
    schemas = Schemas(args.registry, args.schemas)
    consumer = Consumer(
        {
            "bootstrap.servers": args.broker,
            "group.id": args.group,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,  # Kafka's minimum; a small broker joins the group sooner with it
        }
    )
    consumer.subscribe([args.topic_prefix + topic for topic in TOPICS])
    seen, idle = 0, 0.0
    try:
        while not args.max_records or seen < args.max_records:
            message = consumer.poll(1.0)
            if message is None:
                idle += 1.0
                if args.timeout and idle >= args.timeout:
                    break
                continue
            if message.error():
                raise KafkaException(message.error())
            idle = 0.0
            headers = {k: v.decode() for k, v in message.headers() or [] if v is not None}
            record = decode(message.value(), headers, schemas)
            line = {
                "topic": message.topic(),
                "key": (message.key() or b"").decode(),
                "schema": headers.get("omnistock.schema"),
                "content_type": headers.get("content-type"),
                "value": record,
            }
            print(json.dumps(line, default=printable), flush=True)
            seen += 1
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
