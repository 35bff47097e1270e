"""What a failover loses of the writes a master acknowledged: a writer applies batches of receipts (one
new sku each, so a receipt's effect is its sku's on_hand) to a cluster with a replica per master, a
master is killed (SIGKILL) under it, and after the promotion each acknowledged receipt is looked for.
The writer stands for the worker: a batch whose apply returned would have its offsets committed."""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field

from redis.cluster import RedisCluster

from core.errors import StoreUnavailable
from core.movements import AdjustOnHand, OnHandDelta
from omnistock.network_file import NetworkSource
from state.replica_wait import ReplicaWait
from state.store import RedisStockStore
from tests.faults.cluster_failover import NODE_TIMEOUT_MS
from tests.faults.harness import NETWORK, Figures
from tests.support.redis_cluster import started_cluster

BATCH = 500
LOCATION = "WH-1"


@dataclass
class Loss:
    wait_replicas: int
    acknowledged: int = 0
    lost: int = 0
    events_per_s: float = 0.0  # acknowledged receipts per second before the kill

    def line(self) -> str:
        return (
            f"WAIT {self.wait_replicas}: {self.acknowledged} receipts acknowledged at "
            f"{self.events_per_s:,.0f}/s, {self.lost} lost by the failover"
        )


@dataclass
class LossFigures(Figures):
    """The fault suite's line for this scenario: the runs each way, and WAIT's cost."""

    losses: list[Loss] = field(default_factory=list)
    cost: list[tuple[int, float]] = field(default_factory=list)

    def line(self) -> str:
        runs = "; ".join(loss.line() for loss in self.losses)
        cost = ", ".join(f"WAIT {n} {rate:,.0f}/s" for n, rate in self.cost)
        return f"{self.scenario}: {runs}; receipts/s at the median batch, WAIT taking turns: {cost}"


class Writer(threading.Thread):
    """Applies batches until told to stop or the store fails; `acknowledged` are the skus of every
    batch whose apply returned."""

    def __init__(self, store: RedisStockStore) -> None:
        super().__init__(daemon=True)
        self.store, self.acknowledged, self.stop = store, [], threading.Event()
        self.started_at = self.last_at = 0.0

    def run(self) -> None:
        run, n = uuid.uuid4().hex[:6], 0
        self.started_at = time.monotonic()
        while not self.stop.is_set():
            skus = [f"L-{run}-{n + i}" for i in range(BATCH)]
            now_ms = time.time_ns() // 1_000_000
            batch = [AdjustOnHand(f"e-{sku}", sku, now_ms, (OnHandDelta(LOCATION, 1),)) for sku in skus]
            try:
                self.store.apply(batch, now_ms)
            except StoreUnavailable:
                return  # the kill: nothing of this batch is acknowledged
            self.acknowledged += skus
            self.last_at = time.monotonic()
            n += BATCH


def throughput(wait_replicas: tuple[int, ...] = (0, 1), batches: int = 20) -> list[tuple[int, float]]:
    """(WAIT n, receipts/s at the median batch time) of a writer on one cluster with a replica per
    master. The settings take turns batch by batch, so the shared machine's noise falls on each alike;
    5,000 skus, as a worker's batches do."""
    network = NetworkSource(str(NETWORK)).current
    timings: dict[int, list[float]] = {n: [] for n in wait_replicas}
    with started_cluster(masters=3, replicas=1, node_timeout_ms=NODE_TIMEOUT_MS) as cluster:
        client = RedisCluster.from_url(cluster.url, socket_timeout=5)
        prefix = f"cost-{uuid.uuid4().hex[:6]}:"
        stores = {n: RedisStockStore(client, prefix, network, wait=ReplicaWait(n, 1000)) for n in timings}
        for batch in range(batches + 1):  # the first round loads the scripts: not timed
            for turn, (n, store) in enumerate(stores.items()):
                now_ms = time.time_ns() // 1_000_000
                first = (batch * len(stores) + turn) * BATCH
                receipts = [
                    AdjustOnHand(
                        f"e{first + i}", f"C-{(first + i) % 5000}", now_ms, (OnHandDelta(LOCATION, 1),)
                    )
                    for i in range(BATCH)
                ]
                started = time.perf_counter()
                store.apply(receipts, now_ms)
                if batch:
                    timings[n].append(time.perf_counter() - started)
        client.close()
    return [(n, BATCH / statistics.median(times)) for n, times in timings.items()]


def measure(wait_replicas: int, load_s: float = 2.0) -> Loss:
    """One cluster, one writer for `load_s`, master 1 killed under it, its replica promoted."""
    loss = Loss(wait_replicas)
    network = NetworkSource(str(NETWORK)).current
    prefix = f"loss-{uuid.uuid4().hex[:6]}:"
    with started_cluster(masters=3, replicas=1, node_timeout_ms=NODE_TIMEOUT_MS) as cluster:
        client = RedisCluster.from_url(cluster.url, socket_timeout=5)
        writer = Writer(RedisStockStore(client, prefix, network, wait=ReplicaWait(wait_replicas, 1000)))
        writer.start()
        time.sleep(load_s)
        cluster.masters[1].kill()
        writer.stop.set()
        writer.join(30)
        cluster.wait_promoted(cluster.replicas[1][0])
        client.close()
        loss.acknowledged = len(writer.acknowledged)
        loss.events_per_s = loss.acknowledged / max(writer.last_at - writer.started_at, 1e-9)
        reader = RedisCluster.from_url(cluster.replicas[1][0].url, socket_timeout=5)
        try:
            found = RedisStockStore(reader, prefix, network).read_sync(writer.acknowledged)
        finally:
            reader.close()
        loss.lost = sum(1 for sku in writer.acknowledged if sku not in found)
    return loss
