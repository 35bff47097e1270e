"""A broker restarted empty (Tansu keeps its log in memory) sends a running worker back to offset 0:
the worker says so (an error log and omnistock_offsets_reset_total), goes on consuming, and every
position still equals the sum of the events sent."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from omnistock.kafka_admin import create_topics
from omnistock.stack.embedded_broker import EmbeddedBroker
from omnistock.stack.worker_metrics import scrape_totals
from tests.support.workers import Load, Workers, positions_match
from topics.catalog import all_topic_names

pytestmark = [pytest.mark.broker, pytest.mark.redis]


def _resets(metrics: str) -> float:
    return scrape_totals(metrics).get("omnistock_offsets_reset_total", 0.0)


def test_a_worker_on_a_broker_that_lost_its_log_reports_the_reset_and_loses_nothing(
    redis_url: str, tmp_path: Path
) -> None:
    broker = EmbeddedBroker(log_path=tmp_path / "tansu-1.log").start()
    workers = Workers(broker.bootstrap, redis_url, tmp_path)
    prefix = workers.env["OMNISTOCK_TOPIC_PREFIX"]
    try:
        _, metrics = workers.start("worker")
        load = Load(broker.bootstrap, prefix)
        load.send(600)
        positions_match(workers, load, timeout_s=60)
        time.sleep(2)  # a commit or two: the group holds the worker's offsets
        assert _resets(metrics) == 0

        broker.stop()
        broker = EmbeddedBroker(port=broker.port, log_path=tmp_path / "tansu-2.log").start()
        create_topics(broker.bootstrap, all_topic_names(prefix), 4)
        load = Load(broker.bootstrap, prefix, sent=load.sent)
        load.send(60)

        positions_match(workers, load, timeout_s=60)
        assert _resets(metrics) >= 1
        log = (tmp_path / "worker.log").read_text()
        assert '"offsets_went_backwards"' in log
    finally:
        workers.close()
        broker.stop()
