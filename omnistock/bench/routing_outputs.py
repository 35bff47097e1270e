"""What `omnistock bench routing` reads back: the worker's output topics, and its batch metrics."""

from __future__ import annotations

import time
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from confluent_kafka import OFFSET_BEGINNING, TIMESTAMP_NOT_AVAILABLE, Consumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from topics.catalog import FULFILLMENT_REQUESTS, ORDERS


@dataclass
class Outputs:
    """What the worker published, per order: its first status (and that record's Kafka timestamp in
    ms) and when its first fulfillment request was read here (epoch seconds)."""

    statuses: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    requests: dict[str, float] = field(default_factory=dict)


class OutputReader:
    """Reads some of the worker's output topics from their start, on assigned partitions (no group join)."""

    def __init__(self, bootstrap: str, topic_prefix: str, partitions: int, topics: Sequence[str]) -> None:
        self._consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": f"bench-routing-reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False, "fetch.wait.max.ms": 5, "enable.partition.eof": False,
        })  # fmt: skip
        self._requests = topic_prefix + FULFILLMENT_REQUESTS
        self._consumer.assign([
            TopicPartition(topic_prefix + name, p, OFFSET_BEGINNING)
            for name in topics for p in range(partitions)
        ])  # fmt: skip
        self.out = Outputs()
        self._closed = False

    def read_until(self, until: Callable[[Outputs], bool], timeout_s: float, waiting_for: str) -> None:
        """Polls until `until(self.out)` is true; TimeoutError naming what it waited for after `timeout_s`."""
        if not self.read(until, timeout_s):
            raise TimeoutError(
                f"{waiting_for}: {len(self.out.statuses)} statuses and {len(self.out.requests)} requests "
                f"read after {timeout_s:.0f} s"
            )

    def drain(self, seconds: float) -> None:
        """Reads for `seconds`, keeping what comes."""
        until = time.monotonic() + seconds
        self.read(lambda out: time.monotonic() > until, seconds + 5.0)

    def read(self, until: Callable[[Outputs], bool], timeout_s: float) -> bool:
        """Polls until `until(self.out)` is true (True) or `timeout_s` has passed (False)."""
        deadline = time.monotonic() + timeout_s
        while not until(self.out):
            if time.monotonic() > deadline:
                return False
            # what has arrived, else the first record within 50 ms: consume(1000, 0.05) alone would wait
            # for 1000 records or the full 50 ms, adding its own delay to every latency measured
            records = self._consumer.consume(1000, 0) or self._consumer.consume(1, 0.05)
            for record in records:
                if record.error() is not None:
                    continue
                seen, order_id = time.time(), (record.key() or b"").decode()
                if record.topic() == self._requests:
                    self.out.requests.setdefault(order_id, seen)
                else:
                    kind, stamp = record.timestamp()
                    ms = round(seen * 1000) if kind == TIMESTAMP_NOT_AVAILABLE else stamp
                    self.out.statuses.setdefault(order_id, (record.value() or b"", ms))
        return True

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._consumer.close()


def worker_sums(url: str) -> dict[str, float]:
    """The worker's orders.v1 batch figures: records and routing seconds (sums and counts so far)."""
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310 - a loopback URL we built
            text = answer.read().decode()
    except OSError:
        return {}
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith(("omnistock_routing_batch_seconds_", "omnistock_batch_records_"))
        and sample.labels.get("topic", ORDERS).endswith(ORDERS)
        and sample.name.endswith(("_sum", "_count"))
    } | {
        f"age_le_{sample.labels['le']}": sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "omnistock_event_age_seconds_bucket" and sample.labels.get("topic") == ORDERS
    }


def worker_line(before: dict[str, float], after: dict[str, float]) -> str:
    """Mean orders per batch and routing milliseconds per batch and per order, between two scrapes."""
    d = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in after}
    batches, orders = d.get("omnistock_batch_records_count", 0.0), d.get("omnistock_batch_records_sum", 0.0)
    routing = d.get("omnistock_routing_batch_seconds_sum", 0.0) * 1000
    if not batches or not orders:
        return "worker: no orders.v1 batch figures"
    ages = {name[7:]: count for name, count in d.items() if name.startswith("age_le_")}
    total = ages.get("+Inf", 0.0)
    aged = (
        ", ".join(f"{ages.get(le, 0.0) / total:.0%} < {float(le) * 1000:.0f} ms" for le in ("0.05", "0.1"))
        if total
        else ""
    )
    return (
        f"worker: {batches:.0f} batches of {orders / batches:.1f} orders on average; routing "
        f"{routing / batches:.1f} ms per batch, {routing / orders:.2f} ms per order"
        + (f"; oldest order of a batch, sent to produced: {aged}" if aged else "")
    )
