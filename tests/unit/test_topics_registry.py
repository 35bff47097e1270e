"""Schema ids come from the repo's list offline, or from a Confluent registry (faked on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from topics.codec import AvroCodec
from topics.registry import (
    ConfluentSchemaRegistry,
    LocalSchemaList,
    SchemaRegistryError,
    UnknownSchema,
    load_schema,
    make_registry,
)


class FakeRegistry(HTTPServer):
    """Registers schemas per subject with ids from 100; counts requests to show what is cached."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FakeRegistryHandler)
        self.schemas: dict[int, str] = {}
        self.subjects: dict[str, int] = {}
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class FakeRegistryHandler(BaseHTTPRequestHandler):
    server: FakeRegistry

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.server.requests.append("POST " + self.path)
        subject = self.path.removeprefix("/subjects/").removesuffix("/versions")
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        schema_id = self.server.subjects.setdefault(subject, 100 + len(self.server.subjects))
        self.server.schemas[schema_id] = body["schema"]
        self._answer(200, {"id": schema_id})

    def do_GET(self) -> None:  # noqa: N802
        self.server.requests.append("GET " + self.path)
        schema_id = int(self.path.removeprefix("/schemas/ids/"))
        if schema_id in self.server.schemas:
            self._answer(200, {"schema": self.server.schemas[schema_id]})
        else:
            self._answer(404, {"error_code": 40403, "message": "Schema not found"})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the test output
        pass


@pytest.fixture
def fake_registry() -> Iterator[FakeRegistry]:
    server = FakeRegistry()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_local_list_gives_the_ids_of_index_json_and_their_schemas() -> None:
    registry = LocalSchemaList()
    assert registry.id_for("pos_sale.v1") == 1
    assert registry.schema_for(1)["name"] == "PosSale"
    assert registry.schema_for(registry.id_for("availability_change.v1")) == load_schema(
        "availability_change.v1"
    )


def test_the_local_list_refuses_unknown_names_and_ids() -> None:
    registry = LocalSchemaList()
    with pytest.raises(UnknownSchema):
        registry.id_for("no_such.v1")
    with pytest.raises(UnknownSchema, match="unknown schema id 77"):
        registry.schema_for(77)


def test_without_a_url_the_factory_gives_the_local_list() -> None:
    assert isinstance(make_registry(None), LocalSchemaList)
    assert isinstance(make_registry(""), LocalSchemaList)
    assert isinstance(make_registry("http://127.0.0.1:1"), ConfluentSchemaRegistry)


def test_confluent_registers_under_the_prefixed_topic_subject_once(fake_registry: FakeRegistry) -> None:
    registry = ConfluentSchemaRegistry(fake_registry.url, topic_prefix="acme-")
    first = registry.id_for("pos_sale.v1")
    again = registry.id_for("pos_sale.v1")
    assert first == again == 100
    assert fake_registry.subjects == {"acme-pos.sales.v1-value": 100}
    assert fake_registry.requests == ["POST /subjects/acme-pos.sales.v1-value/versions"]
    assert json.loads(fake_registry.schemas[100]) == load_schema("pos_sale.v1")


def test_confluent_fetches_a_schema_by_id_once_and_caches_it(fake_registry: FakeRegistry) -> None:
    fake_registry.schemas[5] = json.dumps(load_schema("stock_count.v1"))
    registry = ConfluentSchemaRegistry(fake_registry.url)
    assert registry.schema_for(5)["name"] == "StockCount"
    assert registry.schema_for(5)["name"] == "StockCount"
    assert fake_registry.requests == ["GET /schemas/ids/5"]


def test_confluent_says_unknown_schema_for_an_id_it_does_not_have(fake_registry: FakeRegistry) -> None:
    registry = ConfluentSchemaRegistry(fake_registry.url)
    with pytest.raises(UnknownSchema, match="unknown schema id 77"):
        registry.schema_for(77)


def test_an_unreachable_registry_is_a_registry_error_not_a_bad_record() -> None:
    server = FakeRegistry()
    url = server.url
    server.server_close()  # nothing listens there any more
    registry = ConfluentSchemaRegistry(url, timeout_s=1)
    with pytest.raises(SchemaRegistryError, match="unreachable"):
        registry.schema_for(1)


def test_a_codec_on_the_confluent_registry_round_trips_with_registry_ids(fake_registry: FakeRegistry) -> None:
    producer = AvroCodec(ConfluentSchemaRegistry(fake_registry.url))
    consumer = AvroCodec(ConfluentSchemaRegistry(fake_registry.url))
    record = {"event_id": "e1", "occurred_at": 5, "location_id": "S1", "lines": [{"sku": "A", "on_hand": 3}]}
    value = producer.encode("stock_count.v1", record)
    assert value[:5] == b"\x00\x00\x00\x00\x64"
    assert consumer.decode(value) == record
