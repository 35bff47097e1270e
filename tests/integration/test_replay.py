"""`omnistock replay` on a real Redis: a log replayed with the live rules and a draft, KPIs checked by hand.

The packaged network with `cheapest` as the live default. A Paris customer (75011); SKU-A is at the
Rivoli store (3 units above safety stock) and the Lyon warehouse, SKU-B at the Opera store and Lyon.
Home standard: from Paris 490c a parcel (1-2 days), from Lyon 590c (2-3 days); picking costs 180c a
line in a store, 45c in a warehouse. So:
  order 1 (A):     cheapest Lyon 590+45 = 635c;         fastest Rivoli 490+180 = 670c
  order 2 (A, B):  cheapest Lyon 590+2*45 = 680c, 1 parcel;
                   fastest Rivoli (A) 670c + Opera (B) 670c, 2 parcels
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import orjson
import pytest
import redis
from confluent_kafka import Producer

from core.routing_rules import RoutingRules
from omnistock.kafka_admin import create_topics
from omnistock.network_file import NetworkSource, default_network_path
from omnistock.replay.command import compare, load_rules
from omnistock.replay.kpis import Kpi
from omnistock.replay.log import LogRecord, read_log, read_topics
from omnistock.settings import Settings
from omnistock.wiring.stores import redis_client
from topics.catalog import INPUT_TOPICS, all_topic_names
from topics.codec import AvroCodec
from topics.registry import make_registry

RECEIPTS = {
    "ST-PARIS-RIVOLI": {"SKU-A": 5},
    "ST-PARIS-OPERA": {"SKU-B": 5},
    "WH-LYON-SQF": {"SKU-A": 10, "SKU-B": 10},
}


def _line(topic: str, key: str, value: dict[str, object]) -> bytes:
    return orjson.dumps({"topic": topic, "key": key, "value": value}) + b"\n"


def _log(*extra: bytes) -> bytes:
    lines = [
        _line("stock.receipts.v1", loc, {
            "event_id": f"r-{loc}", "occurred_at": "2027-03-09T08:00:00Z", "location_id": loc,
            "lines": [{"sku": sku, "quantity": q} for sku, q in skus.items()],
        })
        for loc, skus in RECEIPTS.items()
    ]  # fmt: skip
    for n, skus in ((1, ["SKU-A"]), (2, ["SKU-A", "SKU-B"])):
        lines.append(_line("orders.v1", f"O-{n}", {
            "event_id": f"O-{n}-placed", "occurred_at": f"2027-03-09T09:0{n}:00Z", "order_id": f"O-{n}",
            "type": "PLACED", "channel": "web", "delivery": {"method": "HOME_STANDARD", "postcode": "75011"},
            "lines": [{"line_id": f"l{i}", "sku": sku, "quantity": 1} for i, sku in enumerate(skus, 1)],
        }))  # fmt: skip
    return b"".join([*lines, *extra])


Setup = tuple[Settings, redis.Redis, NetworkSource, RoutingRules]


@pytest.fixture
def setup(redis_url: str, tmp_path: Path) -> Iterator[Setup]:
    text = (
        default_network_path().read_text(encoding="utf-8").replace("default: balanced", "default: cheapest")
    )
    (tmp_path / "network.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "draft.yaml").write_text("routing:\n  default: fastest\n", encoding="utf-8")
    prefix = f"t-{uuid4().hex}:"
    client = redis.Redis.from_url(redis_url)
    settings = Settings(redis_url=redis_url, redis_prefix=prefix, schema_registry_url=None, topic_prefix="")
    yield settings, client, NetworkSource(tmp_path / "network.yaml"), load_rules(str(tmp_path / "draft.yaml"))
    assert list(client.scan_iter(match=prefix.rstrip(":") + "*")) == []  # every scratch key deleted
    client.close()


def _values(kpis: list[Kpi]) -> dict[str, float]:
    return {kpi.name.strip(): round(kpi.value, 2) for kpi in kpis}


def test_a_fastest_draft_pays_more_for_more_parcels_than_the_cheapest_live_rules(setup: Setup) -> None:
    settings, client, network, draft = setup
    records, errors = read_log(io.BytesIO(_log()))
    assert errors == []

    result = compare(settings, client, network, draft, records)

    live, trial = _values(result.live_kpis), _values(result.draft_kpis)
    assert (live["orders"], live["routed"], trial["routed"]) == (2, 2, 2)
    assert (live["cost (EUR)"], trial["cost (EUR)"]) == (13.15, 20.10)
    assert (live["parcels per routed order"], trial["parcels per routed order"]) == (1.0, 1.5)
    assert (live["split orders"], trial["split orders"]) == (0.0, 50.0)
    assert (live["parcels from stores"], trial["parcels from stores"]) == (0.0, 100.0)
    assert live["promised-date misses"] == trial["promised-date misses"] == 0  # faster than promised
    assert trial["CO2e (kg)"] < live["CO2e (kg)"]  # 400 km less of road per parcel
    assert (result.live.auto_accepted, result.draft.auto_accepted) == (2, 3)


def test_a_recorded_rejection_reroutes_the_live_run_and_is_dropped_where_the_draft_went_else(
    setup,
) -> None:  # type: ignore[no-untyped-def]
    settings, client, network, draft = setup
    rejected = _line("fulfillment.updates.v1", "O-1", {
        "event_id": "u-1", "occurred_at": "2027-03-09T09:30:00Z", "order_id": "O-1", "shipment_id": "O-1-1",
        "location_id": "WH-LYON-SQF", "status": "REJECTED", "reason": "NO_STAFF",
    })  # fmt: skip
    records, _ = read_log(io.BytesIO(_log(rejected)))

    result = compare(settings, client, network, draft, records)

    live, trial = _values(result.live_kpis), _values(result.draft_kpis)
    assert (live["re-routed shipments"], trial["re-routed shipments"]) == (1, 0)
    assert live["cost (EUR)"] == 13.50  # 6.70 + 6.80: order 1 went to Rivoli after Lyon said no
    assert (result.live.unmatched_updates, result.draft.unmatched_updates) == (0, 1)
    assert [s.location_id for s in result.live.orders["O-1"].shipments] == ["WH-LYON-SQF", "ST-PARIS-RIVOLI"]


def _fields(record: LogRecord) -> tuple[str, bytes | None, bytes, int | None]:
    return record.topic(), record.key(), record.value(), record.at_ms


def test_the_input_topics_replay_like_the_log_they_hold(setup: Setup, broker_bootstrap: str) -> None:
    settings, client, network, draft = setup
    logged, _ = read_log(io.BytesIO(_log()))
    prefix = f"replay-{uuid4().hex[:8]}."
    create_topics(broker_bootstrap, all_topic_names(prefix), 2)
    producer = Producer({"bootstrap.servers": broker_bootstrap})
    for record in logged:  # as their sources sent them: stamped when they happened
        producer.produce(prefix + record.topic(), record.value(), record.key(), timestamp=record.at_ms or 0)
    assert producer.flush(10) == 0
    config = {"bootstrap.servers": broker_bootstrap, "group.id": f"replay-test-{uuid4().hex[:8]}"}
    codec = AvroCodec(make_registry(None, prefix))

    read = read_topics(config, prefix, codec, [spec.name for spec in INPUT_TOPICS])

    # in time order; the three receipts share a time and come in partition order
    assert sorted(_fields(r) for r in read) == sorted(_fields(r) for r in logged)
    assert [r.at_ms for r in read] == sorted(r.at_ms for r in logged)
    from_topics = compare(settings, client, network, draft, read)
    from_log = compare(settings, client, network, draft, logged)
    assert _values(from_topics.live_kpis) == _values(from_log.live_kpis)
    assert _values(from_topics.draft_kpis) == _values(from_log.draft_kpis)
    assert _values(from_log.live_kpis)["routed"] == 2


def test_on_a_redis_cluster_the_draft_compares_as_on_one_redis(
    setup: Setup, redis_cluster_url: str
) -> None:
    settings, _client, network, draft = setup
    records, _ = read_log(io.BytesIO(_log()))
    on_cluster = settings.model_copy(update={"redis_url": redis_cluster_url, "redis_cluster": True})
    client = redis_client(on_cluster)
    try:
        result = compare(on_cluster, client, network, draft, records)
        assert list(client.scan_iter(match=settings.redis_prefix.rstrip(":") + "*")) == []
    finally:
        client.close()
    live, trial = _values(result.live_kpis), _values(result.draft_kpis)
    assert (live["cost (EUR)"], trial["cost (EUR)"]) == (13.15, 20.10)
    assert (live["parcels per routed order"], trial["parcels per routed order"]) == (1.0, 1.5)


def test_a_worker_writing_json_outputs_replays_the_same(setup: Setup) -> None:
    settings, client, network, draft = setup
    records, _ = read_log(io.BytesIO(_log()))
    as_json = settings.model_copy(update={"output_format": "json"})
    assert _values(compare(as_json, client, network, draft, records).live_kpis) == _values(
        compare(settings, client, network, draft, records).live_kpis
    )
