"""A schema registry for the tests: the part of the Confluent Schema Registry REST API omnistock and the
example consumer use, served over HTTP on 127.0.0.1.

No registry-compatible server could be installed on this machine (Confluent's and Apicurio's are
Java artifacts from Maven Central, which is not reachable here; Karapace is not on PyPI; PyPI and npm
only offer clients), so the tests speak HTTP to this one. It keeps the registry's rules that matter to
a client: an id is global to a schema (the same schema under two subjects has one id), registering a
schema again answers its id, and ids start where a real registry's would not collide with the repo's
own list (`first_id`), so a test sees which ids a record carries.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


@dataclass
class RegistryState:
    first_id: int
    ids: dict[str, int] = field(default_factory=dict)  # canonical schema -> id
    schemas: dict[int, str] = field(default_factory=dict)
    subjects: dict[str, list[int]] = field(default_factory=dict)  # subject -> ids, version order
    refuse: set[str] = field(default_factory=set)  # subjects that answer 409 (incompatible)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, subject: str, schema: str) -> int:
        canonical = json.dumps(json.loads(schema), sort_keys=True, separators=(",", ":"))
        with self.lock:
            schema_id = self.ids.get(canonical)
            if schema_id is None:
                schema_id = self.ids[canonical] = self.first_id + len(self.ids)
                self.schemas[schema_id] = schema
            versions = self.subjects.setdefault(subject, [])
            if schema_id not in versions:
                versions.append(schema_id)
            return schema_id


class _Handler(BaseHTTPRequestHandler):
    state: RegistryState

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        parts = self._parts()
        if len(parts) != 3 or parts[0] != "subjects" or parts[2] != "versions":
            self._answer(404, {"error_code": 404, "message": "not found"})
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        if parts[1] in self.state.refuse:
            self._answer(409, {"error_code": 409, "message": "Schema being registered is incompatible"})
            return
        self._answer(200, {"id": self.state.register(parts[1], body["schema"])})

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        parts = self._parts()
        if parts == ["subjects"]:
            self._answer(200, sorted(self.state.subjects))
        elif len(parts) == 3 and parts[:2] == ["schemas", "ids"] and parts[2].isdigit():
            schema = self.state.schemas.get(int(parts[2]))
            if schema is None:
                self._answer(404, {"error_code": 40403, "message": "Schema not found"})
            else:
                self._answer(200, {"schema": schema})
        elif len(parts) == 3 and parts[0] == "subjects" and parts[2] == "versions":
            versions = self.state.subjects.get(parts[1])
            if versions is None:
                self._answer(404, {"error_code": 40401, "message": "Subject not found"})
            else:
                self._answer(200, list(range(1, len(versions) + 1)))
        else:
            self._answer(404, {"error_code": 404, "message": "not found"})

    def _parts(self) -> list[str]:
        """The path's parts; query parameters (Confluent's client sends some) change nothing here."""
        return urlsplit(self.path).path.strip("/").split("/")

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: the tests read the state, not the log."""


@contextlib.contextmanager
def schema_registry(first_id: int = 1001) -> Iterator[tuple[str, RegistryState]]:
    """The registry's URL and state, served from a thread until the block ends."""
    state = RegistryState(first_id)
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
