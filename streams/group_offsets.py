"""The consumer group's committed offsets on a set of topics: where the workers will resume."""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka import Consumer, TopicPartition

Offsets = dict[tuple[str, int], int]  # (full topic name, partition) -> next offset to consume


def committed_offsets(consumer: Consumer, topics: Sequence[str], timeout_s: float = 10.0) -> Offsets:
    """The committed offset of every partition of `topics` (full names) that has one; a partition the
    group never committed is absent (its workers start it from the earliest offset)."""
    metadata = consumer.list_topics(timeout=timeout_s).topics
    partitions = [
        TopicPartition(name, p) for name in topics if name in metadata for p in metadata[name].partitions
    ]
    if not partitions:
        return {}
    found = consumer.committed(partitions, timeout=timeout_s)
    return {(tp.topic, tp.partition): tp.offset for tp in found if tp.error is None and tp.offset >= 0}
