"""What a failover loses of what a master acknowledged, with and without OMNISTOCK_REDIS_WAIT_REPLICAS
(two kills each way), and what WAIT costs (receipts/s, WAIT 0 and 1 taking turns batch by batch on one
cluster); the figures are printed at the end of the fault suite. With WAIT 1 a receipt is acknowledged
only once the replica holds it: none may be lost. Without WAIT some may be (asynchronous replication):
the figure is reported, not asserted.

Run time on the 2-core shared machine: about 60 s (five clusters of 6 nodes).
"""

from __future__ import annotations

import pytest

from tests.faults.acknowledged_loss import LossFigures, measure, throughput
from tests.faults.harness import FIGURES

pytestmark = [pytest.mark.faults, pytest.mark.redis]
RUNS = 2


def test_a_failover_loses_no_acknowledged_write_with_wait_and_reports_both_ways():
    figures = LossFigures("Redis Cluster failover, acknowledged receipts lost (store writer, 500 per batch)")
    FIGURES.append(figures)
    without = [measure(wait_replicas=0) for _ in range(RUNS)]
    with_wait = [measure(wait_replicas=1) for _ in range(RUNS)]
    figures.losses = without + with_wait
    figures.cost = throughput()
    print(figures.line())
    assert all(loss.acknowledged > 0 for loss in without + with_wait), "a writer acknowledged nothing"
    assert [loss.lost for loss in with_wait] == [0] * RUNS
