"""A Redis wiped under a running stack is noticed (/readyz 503, the worker applies nothing onto it), and
`omnistock rebuild` brings back every position of the oracle, shipments and open allocations included,
while the sale that arrived during the loss is applied once, by the worker, after the rebuild."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from omnistock.stack.embedded_redis import EmbeddedRedis, ensure_redis
from omnistock.stack.processes import free_port
from tests.support.stack import Stack, eventually, running_stack
from topics.codec import AvroCodec
from topics.registry import LocalSchemaList

pytestmark = [pytest.mark.broker, pytest.mark.redis]

NETWORK = Path(__file__).with_name("routing_network.yaml")
CODEC = AvroCodec(LocalSchemaList())
SKU = "SKU-RA"


@pytest.fixture(scope="module")
def own_redis() -> Iterator[EmbeddedRedis]:
    """A server of this test's own: it is wiped (FLUSHALL), which the shared one must never be."""
    server = ensure_redis(f"redis://127.0.0.1:{free_port()}/0")
    assert server is not None
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def stack(
    broker_bootstrap: str, own_redis: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("e2e-storeloss-logs")
    with running_stack(broker_bootstrap, own_redis.url, NETWORK, logs) as running:
        running.logs = logs  # type: ignore[attr-defined]
        yield running


def now_ms() -> int:
    return int(time.time() * 1000)


def stock_event(event_id: str, node: str, quantity: int) -> dict[str, Any]:
    return {
        "event_id": event_id, "occurred_at": now_ms(), "location_id": node,
        "lines": [{"sku": SKU, "quantity": quantity}],
    }  # fmt: skip


def place(stack: Stack, order_id: str, quantity: int) -> None:
    order = {
        "event_id": f"{order_id}-placed", "occurred_at": now_ms(), "order_id": order_id, "type": "PLACED",
        "channel": "web", "lines": [{"line_id": "l1", "sku": SKU, "quantity": quantity}],
        "delivery": {"method": "HOME_STANDARD", "postcode": "75011"},
    }  # fmt: skip
    stack.send("orders.v1", order_id, order)


def positions(stack: Stack) -> dict[str, tuple[int, int]]:
    """(on hand, allocated) per location; asserts (for `eventually`) that the sku is readable."""
    status, body = stack.get(f"/v1/availability/{SKU}")
    assert status == 200, body
    return {loc["location_id"]: (loc["on_hand"], loc["allocated"]) for loc in body["locations"]}


def requests(stack: Stack, expected: int) -> dict[str, dict[str, Any]]:
    found = [CODEC.decode(r.value()) for r in stack.read_topic("fulfillment.requests.v1", expected)]
    assert len(found) == expected
    return {request["order_id"]: request for request in found}


def rebuild(stack: Stack, redis_url: str) -> subprocess.CompletedProcess[str]:
    run = stack.topic_prefix.removeprefix("e2e-").removesuffix(".")  # as tests.support.stack names it
    env = {
        **os.environ, "OMNISTOCK_BROKER": stack.bootstrap, "OMNISTOCK_REDIS_URL": redis_url,
        "OMNISTOCK_REDIS_PREFIX": f"e2e-{run}:", "OMNISTOCK_TOPIC_PREFIX": stack.topic_prefix,
        "OMNISTOCK_GROUP_ID": f"omnistock-{run}", "OMNISTOCK_NETWORK_FILE": str(NETWORK),
    }  # fmt: skip
    command = [sys.executable, "-m", "omnistock", "rebuild"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603


def test_a_wiped_store_is_noticed_refused_and_rebuilt_from_the_topics(
    stack: Stack, own_redis: EmbeddedRedis
) -> None:
    stack.send("stock.receipts.v1", "WH-1", stock_event("r-wh", "WH-1", 50))
    stack.send("stock.receipts.v1", "ST-2", stock_event("r-st2", "ST-2", 20))
    stack.send("pos.sales.v1", "ST-2", stock_event("s-1", "ST-2", 3))
    stack.send("stock.adjustments.v1", "WH-1", {**stock_event("a-1", "WH-1", -5), "reason": "DAMAGED"})
    eventually(lambda: _equal(positions(stack), {"WH-1": (45, 0), "ST-2": (17, 0)}))
    place(stack, "O-OPEN", 2)
    place(stack, "O-SHIP", 4)
    sent = requests(stack, 2)
    shipped = sent["O-SHIP"]
    stack.send("fulfillment.updates.v1", "O-SHIP", {
        "event_id": "ship-1", "occurred_at": now_ms(), "order_id": "O-SHIP",
        "shipment_id": shipped["shipment_id"], "location_id": shipped["location_id"], "status": "SHIPPED",
    })  # fmt: skip
    oracle = {"WH-1": [45, 0], "ST-2": [17, 0]}
    oracle[sent["O-OPEN"]["location_id"]][1] += 2
    oracle[shipped["location_id"]][0] -= 4
    expected = {node: (on_hand, allocated) for node, (on_hand, allocated) in oracle.items()}
    eventually(lambda: _equal(positions(stack), expected))

    redis.Redis.from_url(own_redis.url).flushall()

    status, body = stack.get("/readyz")
    assert (status, body.get("reason")) == (503, "store_lost")
    stack.send("pos.sales.v1", "ST-2", stock_event("s-during-loss", "ST-2", 1))
    worker_log = stack.logs / "worker.log"  # type: ignore[attr-defined]
    eventually(lambda: _contains(worker_log, '"store_lost"'))
    assert stack.get(f"/v1/availability/{SKU}")[0] == 404  # nothing applied onto the empty store

    done = rebuild(stack, own_redis.url)

    assert done.returncode == 0, done.stderr
    assert "store marker written" in done.stdout
    eventually(lambda: _equal(stack.get("/readyz")[0], 200))
    expected["ST-2"] = (expected["ST-2"][0] - 1, expected["ST-2"][1])  # the held sale, applied once
    eventually(lambda: _equal(positions(stack), expected))
    time.sleep(1.0)
    assert positions(stack) == expected  # and not twice
    assert rebuild(stack, own_redis.url).returncode == 2  # the marker is back: nothing is lost


def _equal(actual: object, expected: object) -> None:
    assert actual == expected


def _contains(path: Path, text: str) -> None:
    assert text in path.read_text(errors="replace")


@pytest.fixture(scope="module")
def short_poll_stack(
    broker_bootstrap: str, own_redis: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """A worker whose max.poll.interval is 10 s (the floor of consumer_config)."""
    logs = tmp_path_factory.mktemp("e2e-storeloss-hold-logs")
    with running_stack(
        broker_bootstrap, own_redis.url, NETWORK, logs, group_rebalance_timeout_s="6"
    ) as running:
        running.logs = logs  # type: ignore[attr-defined]
        yield running


def test_a_worker_holding_longer_than_its_poll_interval_stays_in_the_group(
    short_poll_stack: Stack, own_redis: EmbeddedRedis
) -> None:
    stack = short_poll_stack
    stack.send("stock.receipts.v1", "ST-2", stock_event("r-hold", "ST-2", 20))
    eventually(lambda: _equal(positions(stack), {"ST-2": (20, 0)}))
    redis.Redis.from_url(own_redis.url).flushall()
    stack.send("pos.sales.v1", "ST-2", stock_event("s-hold", "ST-2", 1))
    worker_log = stack.logs / "worker.log"  # type: ignore[attr-defined]
    eventually(lambda: _contains(worker_log, '"store_lost"'))

    time.sleep(13)  # past max.poll.interval (10 s): the paused consumer's polls keep it a member
    assert rebuild(stack, own_redis.url).returncode == 0

    eventually(lambda: _equal(positions(stack), {"ST-2": (19, 0)}))
    assert "MAX_POLL_EXCEEDED" not in worker_log.read_text(errors="replace")
