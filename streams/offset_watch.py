"""Notices a partition's offsets going backwards (a broker that lost its log, a topic recreated)."""

from __future__ import annotations

import logging

from confluent_kafka import KafkaError
from prometheus_client import Counter

log = logging.getLogger("omnistock.feed")
# librdkafka's answer to a position beyond the log's end: it applies auto.offset.reset (earliest).
RESET_ERRORS = frozenset({KafkaError.OFFSET_OUT_OF_RANGE, KafkaError._AUTO_OFFSET_RESET})


class OffsetWatch:
    """The end of what was consumed on each owned partition, compared batch by batch.

    A batch whose last offset is not past the previous batch's end went backwards: the broker lost
    what it had (Tansu restarted, a topic deleted and recreated) and the consumer went on from the
    log's start, silently (librdkafka applies auto.offset.reset without an error or a log line).
    Each such partition is logged as an error and counted; consuming goes on from there (the store's
    dedupe makes records seen before change nothing). Only batch ends are compared, so the cost is
    per partition and batch, not per record.

    After an assignment a partition starts again at the group's committed offset, which may be
    below what this worker consumed (its last commit refused as the group moved on): the floor is
    the group's committed offset (read once per assignment), or what this worker committed itself
    if higher. So a worker (re)started on a log shorter than its group's offset (librdkafka resets
    to the start) is seen, and so is a broker that lost its log and the group with it (the worker is
    assigned its partitions again, at 0, below what it committed). Not seen: a log lost together
    with the group's offsets (a topic deleted and recreated) under a worker that has committed
    nothing on it, and a log lost and grown past the old position before the next fetch (its
    offsets look new; Kafka's leader epochs, KIP-320, catch that one).
    """

    def __init__(self, resets: Counter | None = None, topic_prefix: str = "") -> None:
        self._ends: dict[tuple[str, int], int] = {}
        self._committed: dict[tuple[str, int], int] = {}
        self._resets, self._prefix = resets, topic_prefix

    def next_offsets(self) -> dict[tuple[str, int], int]:
        """Each held partition's next offset to do, as far as known (a copy: read from another thread)."""
        return dict(self._ends)

    def committed(self, offsets: dict[tuple[str, int], int]) -> None:
        """The group accepted these offsets (called from the committing thread: one dict update)."""
        self._committed.update(offsets)

    def reassigned(self, group: dict[tuple[str, int], int] | None = None) -> None:
        """Partitions were assigned or revoked: each starts again where the group committed (`group`,
        read on assignment), and no lower than this worker committed itself."""
        ends = dict(self._committed)
        for key, offset in (group or {}).items():
            ends[key] = max(offset, ends.get(key, offset))
        self._ends = ends

    def check(self, ends: dict[tuple[str, int], int]) -> None:
        """`ends`: each partition's next offset after the batch just done."""
        seen = self._ends
        for key, end in ends.items():
            previous = seen.get(key)
            if previous is not None and end <= previous:
                topic, partition = key
                # expected: the next offset the partition owed; got: the batch's last offset, below it
                log.error(
                    "offsets_went_backwards",
                    extra={"topic": topic, "partition": partition, "expected": previous, "got": end - 1},
                )
                self._count(topic)
            seen[key] = end

    def reset_error(self, topic: str | None, partition: int | None, error: KafkaError) -> None:
        """The consumer reported that its position was out of range and reset it."""
        log.error(
            "offsets_reset_by_broker",
            extra={"topic": topic, "partition": partition, "error": str(error)},
        )
        self._count(topic or "")

    def _count(self, topic: str) -> None:
        if self._resets is not None:
            self._resets.labels(topic.removeprefix(self._prefix)).inc()
