"""Prometheus metrics of the stream processors (prefix omnistock_, base units, no sku or order labels)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from streams.dlq import REASONS
from streams.lag import ConsumerLag
from streams.pulse import WorkerPulse


@dataclass(frozen=True)
class WorkerMetrics:
    consumed: Counter
    applied: Counter
    duplicates: Counter
    ignored: Counter
    dlq: Counter
    dead_letters: Counter
    dlq_produce_failures: Counter
    changes: Counter
    apply_seconds: Histogram
    batch_size: Histogram
    retries: Counter
    assigned: Gauge
    event_age: Histogram
    holds_expired: Counter
    orders_unrouted: Counter
    drift: Counter
    reconciliations: Counter
    offsets_reset: Counter
    pulse: WorkerPulse
    last_batch_age: Gauge
    lag: ConsumerLag

    @classmethod
    def create(cls, registry: CollectorRegistry, pulse: WorkerPulse | None = None) -> WorkerMetrics:
        pulse = pulse or WorkerPulse()
        last_batch_age = Gauge(
            "omnistock_last_batch_age_seconds",
            "Seconds since this worker last applied a batch (since its start while none): with consumer "
            "lag above 0 it means records wait and nothing is applied (stock is stale)",
            registry=registry,
        )
        last_batch_age.set_function(pulse.last_batch_age_s)
        return cls(
            pulse=pulse,
            last_batch_age=last_batch_age,
            lag=ConsumerLag(registry),
            consumed=Counter(
                "omnistock_events_consumed_total", "Input records consumed", ["topic"], registry=registry
            ),
            applied=Counter(
                "omnistock_events_applied_total",
                "Stock movements applied (one per event and sku)",
                ["topic"],
                registry=registry,
            ),
            duplicates=Counter(
                "omnistock_events_duplicate_total",
                "Stock movements already applied (same event_id and sku): nothing changed",
                ["topic"],
                registry=registry,
            ),
            ignored=Counter(
                "omnistock_events_ignored_total",
                "Commands that changed nothing: count rules, refused holds or allocations, unknown holds",
                ["topic", "reason"],
                registry=registry,
            ),
            dlq=Counter(
                "omnistock_events_dlq_total",
                "Records sent to the dead-letter topic",
                ["topic"],
                registry=registry,
            ),
            dead_letters=_per_reason(
                Counter(
                    "omnistock_dead_letters_total",
                    "Records sent to a dead-letter topic, per reason (the header omnistock.error.reason)",
                    ["reason"],
                    registry=registry,
                )
            ),
            dlq_produce_failures=Counter(
                "omnistock_dlq_produce_failures_total",
                "Dead letters that could not be produced (logged, then dropped: their partition goes on)",
                registry=registry,
            ),
            changes=Counter(
                "omnistock_availability_changes_total",
                "Availability change events published",
                registry=registry,
            ),
            apply_seconds=Histogram(
                "omnistock_apply_latency_seconds",
                "Time to apply one batch to the stock store (one round trip)",
                ["topic"],
                buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
                registry=registry,
            ),
            batch_size=Histogram(
                "omnistock_batch_records",
                "Records per applied batch",
                ["topic"],
                buckets=(1, 10, 50, 100, 250, 500, 1000, 2000),
                registry=registry,
            ),
            retries=Counter(
                "omnistock_store_retries_total",
                "Batches retried because the stock store was unreachable",
                registry=registry,
            ),
            holds_expired=Counter(
                "omnistock_holds_expired_total",
                "Cart holds released because their TTL passed",
                registry=registry,
            ),
            orders_unrouted=Counter(
                "omnistock_orders_unrouted_total",
                "PLACED orders left unallocated: they need routing among several nodes (not built yet)",
                registry=registry,
            ),
            drift=Counter(
                "omnistock_stock_drift_total",
                "Stored figures found different from their records by reconciliation (and repaired)",
                ["figure"],
                registry=registry,
            ),
            reconciliations=Counter(
                "omnistock_reconciliations_total", "Reconciliation passes completed", registry=registry
            ),
            offsets_reset=Counter(
                "omnistock_offsets_reset_total",
                "Partitions whose offsets went backwards or were reset by the broker (a lost log)",
                ["topic"],
                registry=registry,
            ),
            assigned=Gauge(
                "omnistock_worker_assigned_partitions",
                "Input partitions assigned to this worker (0 until it has joined the group)",
                registry=registry,
            ),
            event_age=Histogram(
                "omnistock_event_age_seconds",
                "Age of each batch's oldest record (its producer timestamp) when the batch's outputs are "
                "handed to the producer: broker hop, wait for the poll and processing",
                ["topic"],
                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
                registry=registry,
            ),
        )

    def start_at_zero(self, topics: Iterable[str]) -> None:
        """A zero series for each input topic (by its name without prefix): a dashboard's rate() and an
        alert's increase() see a topic from the start, not from its first record or dead letter."""
        for topic in topics:
            for counter in (self.consumed, self.applied, self.duplicates, self.dlq, self.offsets_reset):
                counter.labels(topic)


def _per_reason(counter: Counter) -> Counter:
    """The counter with a zero series for every known reason, so dashboards and alerts see them all."""
    for reason in REASONS:
        counter.labels(reason)
    return counter
