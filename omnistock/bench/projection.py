"""What W workers on S shards would do, from the CPU each event cost a worker, each shard and the broker.

A 2-core machine cannot run 8 workers and 4 shards side by side, so the bench measures what one event
costs each process (CPU µs per event, from /proc) and scales: each worker and each shard on a core
of its own, partitions >= workers, skus spread over the shards as unevenly as measured. The
projection is the lower of the workers' and the shards' bounds; the broker, one partition key and
one sku are bounds of their own, printed beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

MICROS = 1_000_000


@dataclass(frozen=True)
class EventCosts:
    """CPU µs per event of the stream: one worker's, each shard's (their sum is Redis's), the broker's."""

    worker_us: float
    shard_us: tuple[float, ...]
    broker_us: float

    @property
    def redis_us(self) -> float:
        return sum(self.shard_us)

    @property
    def shard_skew(self) -> float:
        """The busiest shard's cost over the mean (1.0: evenly spread)."""
        mean = self.redis_us / len(self.shard_us)
        return max(self.shard_us) / mean if mean else 1.0


@dataclass(frozen=True)
class Projection:
    workers: int
    shards: int
    partitions: int
    costs: EventCosts

    @property
    def workers_bound(self) -> float:
        """Events/s of the workers, one core each (partitions >= workers assumed)."""
        return self.workers * MICROS / self.costs.worker_us

    @property
    def shards_bound(self) -> float:
        """Events/s the shards take, one core each, the busiest saturating first."""
        return self.shards * MICROS / (self.costs.redis_us * self.costs.shard_skew)

    @property
    def broker_bound(self) -> float:
        """Events/s of the measured broker on one core."""
        return MICROS / self.costs.broker_us if self.costs.broker_us > 0 else float("inf")

    @property
    def partitions_bound(self) -> float:
        """Events/s when only `partitions` workers can be busy on a topic (the rest idle)."""
        return min(self.workers, self.partitions) * MICROS / self.costs.worker_us

    @property
    def one_key_bound(self) -> float:
        """Events/s of one partition key (a store's sales): one partition, so one worker."""
        return MICROS / self.costs.worker_us

    @property
    def one_sku_bound(self) -> float:
        """Events/s touching one sku: every call of it on one shard's core."""
        return MICROS / self.costs.redis_us

    @property
    def events_per_s(self) -> float:
        return min(self.workers_bound, self.shards_bound)

    @property
    def bottleneck(self) -> str:
        return "the shards (Redis)" if self.shards_bound <= self.workers_bound else "the workers"

    def next_bounds(self) -> list[tuple[str, float]]:
        """Every other bound, lowest first: the one of workers and shards that did not bind, the broker
        on one core, and the partitions as created when fewer than the workers."""
        found = {
            "the workers": self.workers_bound,
            "the shards (Redis)": self.shards_bound,
            "the broker (as measured, one core)": self.broker_bound,
        }
        if self.partitions < self.workers:
            found[f"the partitions ({self.partitions} per topic)"] = self.partitions_bound
        del found[self.bottleneck]
        return sorted(found.items(), key=lambda item: item[1])


def describe(p: Projection) -> list[str]:
    """The projection as printed, its arithmetic and assumptions in the lines."""
    c = p.costs
    lines = [
        f"projection, {p.workers} workers on {p.shards} shards (one core each, partitions >= workers, "
        f"skus spread as measured: busiest shard x{c.shard_skew:.2f} the mean):",
        f"  workers  {p.workers} x 1e6 / {c.worker_us:.0f} us per event = {p.workers_bound:,.0f} events/s",
        f"  shards   {p.shards} x 1e6 / ({c.redis_us:.0f} us x {c.shard_skew:.2f}) "
        f"= {p.shards_bound:,.0f} events/s",
        f"  -> {p.events_per_s:,.0f} events/s, bounded by {p.bottleneck}",
        "  what binds next, lowest first: " + ", ".join(f"{name} {n:,.0f}" for name, n in p.next_bounds()),
        f"  broker   1e6 / {c.broker_us:.0f} us = {p.broker_bound:,.0f} events/s on one core (the embedded "
        "Tansu here; Kafka or Redpanda spread partitions over brokers, so size the broker for it)",
    ]
    if p.partitions < p.workers:
        lines.append(
            f"  partitions: topics are created with {p.partitions} partitions (OMNISTOCK topic_partitions): "
            f"only {p.partitions} workers busy per topic, {p.partitions_bound:,.0f} events/s; "
            f"create them with >= {p.workers}"
        )
    lines.append(
        f"  hot spots: one store's sales share a partition key, so one worker: <= {p.one_key_bound:,.0f} "
        f"events/s; one sku's calls share a shard: <= {p.one_sku_bound:,.0f} events/s"
    )
    return lines
