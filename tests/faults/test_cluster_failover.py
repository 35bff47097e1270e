"""A Redis Cluster master killed mid-stream, with OMNISTOCK_REDIS_WAIT_REPLICAS=1: its replica is
promoted, both workers find it (the slot map is read again after a node out of reach) and go on, and
every position ends equal to the oracle. Nothing acknowledged is lost: a batch's offsets are committed
only after its writes are on the replica, and a batch whose WAIT fell short is retried (dedupe).

Run time on the 2-core shared machine: about 40-60 s (a cluster of 6 nodes, two workers, 12,000 events).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.cluster_failover import NODE_TIMEOUT_MS, Failover, cluster_workers
from tests.faults.harness import (
    FIGURES,
    NETWORK,
    RATE_PER_S,
    SETTLE_TIMEOUT_S,
    Figures,
    assert_matches_oracle,
    planned_stream,
)
from tests.support.cluster_settle import settle_on_cluster
from tests.support.redis_cluster import started_cluster
from tests.support.send import fast_producer, send_stream

pytestmark = [pytest.mark.faults, pytest.mark.broker, pytest.mark.redis]


def retries_logged(log_dir: Path) -> int:
    """Batches the workers retried because the store was unavailable (their logs say so, one line each)."""
    return sum(log.read_text().count("store_unavailable_retrying") for log in log_dir.glob("*.log"))


def test_a_cluster_master_killed_mid_stream_loses_nothing_with_wait_replicas(
    broker_bootstrap: str, tmp_path: Path
):
    stream, oracle = planned_stream(seed=15)
    figures = Figures("Redis Cluster master killed (SIGKILL) mid-stream, WAIT 1", distinct=oracle.applied)
    FIGURES.append(figures)
    with started_cluster(masters=3, replicas=1, node_timeout_ms=NODE_TIMEOUT_MS) as cluster:
        workers = cluster_workers(broker_bootstrap, cluster, tmp_path, redis_wait_replicas="1")
        try:
            first, _ = workers.start("worker-0")
            second, _ = workers.start("worker-1")
            failover = Failover(cluster, index=1)
            report = send_stream(
                fast_producer(broker_bootstrap),
                workers.env["OMNISTOCK_TOPIC_PREFIX"],
                stream,
                RATE_PER_S,
                {len(stream) * 2 // 5: failover.run},
            )
            for thread in report.fault_threads:
                thread.join(90)
            figures.sent, figures.send_s = report.sent, report.seconds
            urls = [node.url for node in cluster.masters + cluster.replicas[1]]
            group = (broker_bootstrap, workers.env["OMNISTOCK_GROUP_ID"])
            figures.settled = settled = settle_on_cluster(
                urls,
                workers.env["OMNISTOCK_REDIS_PREFIX"],
                str(NETWORK),
                group,
                oracle.positions(),
                report.ends,
                SETTLE_TIMEOUT_S,
            )
            retries = retries_logged(tmp_path)
            figures.notes += [failover.note(), f"{retries} batch retries logged by the workers"]
            print(figures.line())
            assert failover.errors == [], failover.errors
            assert retries > 0, "the workers never met the failover (the kill came after their last batch)"
            assert_matches_oracle(settled)
            assert first.poll() is None, "the first worker died"
            assert second.poll() is None, "the second worker died"
        finally:
            workers.stop_all()
