"""`omnistock rebuild` on the embedded broker and a real Redis: it stops at the group's committed offsets,
reads again what a worker committed meanwhile, clears what was written onto the empty store, and marks it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import orjson
import pytest
import redis
from confluent_kafka import Producer
from redis.cluster import RedisCluster

from core.movements import AdjustOnHand, OnHandDelta
from omnistock import rebuild as rebuild_module
from omnistock.kafka_admin import create_topics
from omnistock.network_file import NetworkSource
from omnistock.rebuild import rebuild, run_rebuild
from omnistock.settings import Settings
from omnistock.stack.redis_keys import delete_prefix
from omnistock.wiring.stores import stock_store
from state.epoch import NEW_DEPLOYMENT, REBUILD, StoreMarker
from state.shard_markers import store_marker
from topics.catalog import all_topic_names

pytestmark = [pytest.mark.broker, pytest.mark.redis]

NETWORK = Path(__file__).parents[1] / "e2e" / "network.yaml"
RECEIPTS = "stock.receipts.v1"


@pytest.fixture
def settings(broker_bootstrap: str, redis_url: str) -> Iterator[Settings]:
    run = uuid4().hex[:10]
    yield Settings(
        broker=broker_bootstrap, redis_url=redis_url, redis_prefix=f"it-rebuild-{run}:",
        topic_prefix=f"it-rebuild-{run}.", group_id=f"it-rebuild-{run}", network_file=str(NETWORK),
    )  # fmt: skip
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"it-rebuild-{run}:*"):
        client.unlink(key)


def _send_receipts(settings: Settings, count: int) -> int:
    """`count` receipts of one unit of SKU-X at WH-1 (one key: one partition); returns that partition."""
    create_topics(settings.broker, all_topic_names(settings.topic_prefix), settings.topic_partitions)
    producer = Producer({"bootstrap.servers": settings.broker})
    partitions: list[int] = []
    for n in range(count):
        event = {"event_id": f"r-{n}", "occurred_at": 1_800_000_000_000 + n, "location_id": "WH-1",
                 "lines": [{"sku": "SKU-X", "quantity": 1}]}  # fmt: skip
        producer.produce(
            settings.topic_prefix + RECEIPTS, orjson.dumps(event), b"WH-1",
            on_delivery=lambda _error, message: partitions.append(message.partition() or 0),
        )  # fmt: skip
    assert producer.flush(10) == 0
    assert len(set(partitions)) == 1
    return partitions[0]


def test_rebuild_reads_up_to_the_committed_offsets_then_what_a_worker_committed_meanwhile(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    partition = _send_receipts(settings, 6)
    topic = (settings.topic_prefix + RECEIPTS, partition)
    # what the group's offsets read, call after call: a worker commits 2 more while the first pass runs
    answers = iter([{topic: 2}, {topic: 4}, {topic: 4}])
    monkeypatch.setattr(rebuild_module, "committed_offsets", lambda *_: next(answers))
    store = stock_store(settings, NetworkSource(str(NETWORK)))
    store.client.set(settings.redis_prefix + "written-onto-the-empty-store", 1)

    report = rebuild(settings, store.client, store)

    wh1 = [loc for loc in store.read_sync(["SKU-X"])["SKU-X"].locations if loc.location_id == "WH-1"]
    assert wh1[0].on_hand == 4  # offsets 0..3: the two after them are the workers' to apply
    assert (report.records, report.passes) == (4, 2)
    assert store.client.get(settings.redis_prefix + "written-onto-the-empty-store") is None
    assert (StoreMarker(store.client, settings.redis_prefix).read() or {}).get("origin") == REBUILD


def test_rebuild_applies_what_the_workers_applied_whatever_its_time_and_skips_what_they_dead_lettered(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_topics(settings.broker, all_topic_names(settings.topic_prefix), settings.topic_partitions)
    now_ms = time.time_ns() // 1_000_000
    stamps = {"r-0": now_ms, "r-1": 4_070_000_000_000, "r-2": now_ms - 3 * 3600_000, "r-3": now_ms}
    producer = Producer({"bootstrap.servers": settings.broker})
    offsets: dict[str, tuple[int, int]] = {}
    for event_id, at in stamps.items():  # r-1 is stamped in 2098: the worker sent it to the DLQ
        event = {"event_id": event_id, "occurred_at": at, "location_id": "WH-1",
                 "lines": [{"sku": "SKU-X", "quantity": 1}]}  # fmt: skip
        producer.produce(
            settings.topic_prefix + RECEIPTS, orjson.dumps(event), b"WH-1",
            on_delivery=lambda _e, m, e=event_id: offsets.__setitem__(e, (m.partition(), m.offset())),
        )  # fmt: skip
        producer.flush(10)
    partition, offset = offsets["r-1"]
    producer.produce(
        settings.topic_prefix + RECEIPTS + ".dlq", b"(the refused record)", b"WH-1",
        headers=[("omnistock.error.reason", b"from_the_future"),
                 ("omnistock.source.topic", (settings.topic_prefix + RECEIPTS).encode()),
                 ("omnistock.source.partition", str(partition).encode()),
                 ("omnistock.source.offset", str(offset).encode())],
    )  # fmt: skip
    assert producer.flush(10) == 0
    topic = (settings.topic_prefix + RECEIPTS, partition)
    monkeypatch.setattr(rebuild_module, "committed_offsets", lambda *_: {topic: 4})
    store = stock_store(settings, NetworkSource(str(NETWORK)))

    report = rebuild(settings, store.client, store)

    wh1 = [loc for loc in store.read_sync(["SKU-X"])["SKU-X"].locations if loc.location_id == "WH-1"]
    # r-0, r-2 (three hours old: the worker took it when it came) and r-3; r-1 is on the DLQ
    assert (wh1[0].on_hand, report.skipped, report.refused) == (3, 1, 0)


@pytest.fixture
def cluster_settings(broker_bootstrap: str, redis_cluster_url: str) -> Iterator[Settings]:
    run = uuid4().hex[:10]
    yield Settings(
        broker=broker_bootstrap, redis_url=redis_cluster_url, redis_cluster=True,
        redis_prefix=f"it-rebuild-{run}:", topic_prefix=f"it-rebuild-{run}.", group_id=f"it-rebuild-{run}",
        network_file=str(NETWORK),
    )  # fmt: skip
    client = RedisCluster.from_url(redis_cluster_url)
    delete_prefix(client, f"it-rebuild-{run}:")
    client.close()


def test_on_a_cluster_one_master_wiped_alone_is_found_and_rebuild_restores_every_sku_to_the_oracle(
    cluster_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = cluster_settings
    create_topics(settings.broker, all_topic_names(settings.topic_prefix), settings.topic_partitions)
    skus = [f"SKU-{n}" for n in range(24)]  # 24 hash tags: every master holds some
    oracle = dict.fromkeys(skus, 0)
    producer, sent, applied = Producer({"bootstrap.servers": settings.broker}), [], []
    for n in range(96):
        sku, quantity = skus[n % len(skus)], 1 + n % 5
        oracle[sku] += quantity
        applied.append(AdjustOnHand(f"r-{n}", sku, 1_800_000_000_000 + n, (OnHandDelta("WH-1", quantity),)))
        event = {"event_id": f"r-{n}", "occurred_at": 1_800_000_000_000 + n, "location_id": "WH-1",
                 "lines": [{"sku": sku, "quantity": quantity}]}  # fmt: skip
        producer.produce(settings.topic_prefix + RECEIPTS, orjson.dumps(event), b"WH-1",
                         on_delivery=lambda _e, m: sent.append((m.partition(), m.offset())))  # fmt: skip
    assert producer.flush(10) == 0
    store = stock_store(settings, NetworkSource(str(NETWORK)))
    assert isinstance(store.client, RedisCluster)
    store.apply(applied, 1_800_000_000_100)  # what the workers applied: the intact masters keep it
    marker = store_marker(store.client, settings.redis_prefix)
    marker.write(1, NEW_DEPLOYMENT)
    wiped = store.client.get_primaries()[1]
    gone = _delete_on_one_master(store.client.get_redis_connection(wiped), settings.redis_prefix)
    assert any(b":stock:" in key for key in gone)  # some skus' figures were on the wiped master
    assert not marker.present()
    partition = sent[0][0]
    monkeypatch.setattr(
        rebuild_module, "committed_offsets", lambda *_: {(settings.topic_prefix + RECEIPTS, partition): 96}
    )

    assert run_rebuild(settings, False, lambda s: store, print) == 0

    found = store.read_sync(skus)
    assert {sku: found[sku].locations[0].on_hand for sku in skus} == oracle  # no master's counted twice
    assert marker.present()
    assert "from 96 records" in capsys.readouterr().out


def _delete_on_one_master(node: redis.Redis, prefix: str) -> list[bytes]:
    """As a master restarted empty, for this test's keys only (the session's cluster is shared)."""
    found = list(node.scan_iter(match=prefix + "*", count=1000))
    pipe = node.pipeline(transaction=False)
    for key in found:
        pipe.unlink(key)
    pipe.execute()
    return found
