"""Schema ids: the repo's own schema list (offline) or a Confluent schema registry, both cached."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from core.errors import OmnistockError
from topics.catalog import full_name, schema_topics

SCHEMA_DIR = Path(__file__).parent / "schemas"
INDEX_FILE = SCHEMA_DIR / "index.json"
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"

Schema = dict[str, Any]


class UnknownSchema(OmnistockError):
    """No schema has this id or name; `fields` carry `schema_id` or `schema_name`."""


class SchemaRegistryError(OmnistockError):
    """The schema registry refused a request or could not be reached (not the record's fault)."""


class SchemaRegistry(Protocol):
    def id_for(self, schema_name: str) -> int:
        """The id producers put in front of records of `schema_name` (e.g. "pos_sale.v1")."""
        ...

    def schema_for(self, schema_id: int) -> Schema:
        """The writer schema of `schema_id` as a JSON object; raises UnknownSchema."""
        ...


@cache
def load_schema(schema_name: str) -> Schema:
    """The repo's schema `topics/schemas/<schema_name>.avsc` as a JSON object (do not mutate it)."""
    path = SCHEMA_DIR / f"{schema_name}.avsc"
    if not path.is_file():
        raise UnknownSchema(f"no schema named {schema_name}", schema_name=schema_name)
    schema: Schema = json.loads(path.read_text(encoding="utf-8"))
    return schema


def load_index(path: Path = INDEX_FILE) -> dict[str, int]:
    """The repo's schema list: schema name -> id (append-only: an id is never reused)."""
    index: dict[str, int] = json.loads(path.read_text(encoding="utf-8"))
    return index


class LocalSchemaList:
    """Ids from topics/schemas/index.json, so producers and consumers agree without a registry."""

    def __init__(self, index: dict[str, int] | None = None) -> None:
        self._ids = dict(load_index() if index is None else index)
        self._names = {schema_id: name for name, schema_id in self._ids.items()}

    def id_for(self, schema_name: str) -> int:
        try:
            return self._ids[schema_name]
        except KeyError:
            raise UnknownSchema(f"no schema named {schema_name}", schema_name=schema_name) from None

    def schema_for(self, schema_id: int) -> Schema:
        name = self._names.get(schema_id)
        if name is None:
            raise UnknownSchema(f"unknown schema id {schema_id}", schema_id=schema_id)
        return load_schema(name)


class ConfluentSchemaRegistry:
    """A Confluent-compatible registry over HTTP: schemas registered under `<prefixed topic>-value`."""

    def __init__(self, url: str, topic_prefix: str = "", timeout_s: float = 5.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"schema registry url must be http(s): {url}")
        self._url = url.rstrip("/")
        self._prefix = topic_prefix
        self._timeout_s = timeout_s
        self._topics = schema_topics()
        self._ids: dict[str, int] = {}
        self._schemas: dict[int, Schema] = {}

    def subject_for(self, schema_name: str) -> str:
        topic = self._topics.get(schema_name)
        return f"{full_name(self._prefix, topic)}-value" if topic else schema_name

    def id_for(self, schema_name: str) -> int:
        schema_id = self._ids.get(schema_name)
        if schema_id is None:
            schema = load_schema(schema_name)
            body = json.dumps({"schema": json.dumps(schema)}).encode()
            answer = self._call("POST", f"/subjects/{self.subject_for(schema_name)}/versions", body)
            schema_id = self._ids[schema_name] = int(answer["id"])
            self._schemas[schema_id] = schema
        return schema_id

    def schema_for(self, schema_id: int) -> Schema:
        schema = self._schemas.get(schema_id)
        if schema is None:
            try:
                answer = self._call("GET", f"/schemas/ids/{schema_id}")
            except urllib.error.HTTPError as error:
                if error.code == 404:
                    raise UnknownSchema(f"unknown schema id {schema_id}", schema_id=schema_id) from None
                raise SchemaRegistryError(f"schema registry answered {error.code}", url=self._url) from None
            schema = self._schemas[schema_id] = json.loads(answer["schema"])
        return schema

    def _call(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self._url + path, data=body, method=method, headers={"Content-Type": CONTENT_TYPE}
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as response:  # noqa: S310
                answer: dict[str, Any] = json.loads(response.read())
        except urllib.error.HTTPError as error:
            if method == "GET":
                raise
            detail = error.read().decode(errors="replace")[:200]
            raise SchemaRegistryError(
                f"schema registry answered {error.code} to {method} {path}: {detail}", url=self._url
            ) from None
        except (urllib.error.URLError, OSError) as error:
            raise SchemaRegistryError(f"schema registry unreachable: {error}", url=self._url) from None
        return answer


def make_registry(url: str | None, topic_prefix: str = "") -> SchemaRegistry:
    """`settings.schema_registry_url` set: the Confluent registry; else the repo's schema list."""
    return ConfluentSchemaRegistry(url, topic_prefix) if url else LocalSchemaList()
