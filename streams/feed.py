"""The record feed: a confluent-kafka consumer read in batches, committed only after outputs are delivered."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from prometheus_client import Counter

from streams.offset_watch import RESET_ERRORS, OffsetWatch
from streams.records import OutRecord
from topics.catalog import DLQ_SUFFIX

log = logging.getLogger("omnistock.feed")
TOP_UP_S = 0.005  # how long a started batch may wait for more records under load (about one broker fetch)
# The group moved on (this member was dropped or a rebalance is under way): the offsets are no longer
# ours to commit; whoever owns the partitions now gets the records again and the store dedupes them.
GROUP_CHANGED = frozenset(
    {
        KafkaError.UNKNOWN_MEMBER_ID,
        KafkaError.ILLEGAL_GENERATION,
        KafkaError.REBALANCE_IN_PROGRESS,
        KafkaError._NO_OFFSET,
    }
)


class DeliveryFailed(Exception):
    """An output record could not be delivered: the worker stops before committing, so nothing is lost.
    A dead letter is the exception: it is logged and counted, and its partition goes on (the record it
    copies was refused anyway; stopping for its copy would stop the partition for good)."""


class BatchFeed:
    """Consumes batches, produces outputs, and commits the offsets of what is fully done."""

    def __init__(
        self,
        consumer: Consumer,
        producer: Producer,
        topic_prefix: str,
        dlq_failures: Counter | None = None,
        *,
        offsets: OffsetWatch | None = None,
    ) -> None:
        self._dlq_failures = dlq_failures
        self._consumer = consumer
        self._producer = producer
        self._prefix = topic_prefix
        self._done: dict[tuple[str, int], int] = {}
        self.offsets = offsets or OffsetWatch()
        self._revoked: set[tuple[str, int]] = set()  # during the poll under way
        self._commit_lock = threading.Lock()
        self._failures: list[str] = []
        self.assigned = 0

    def subscribe(self, topics: Sequence[str]) -> None:
        self._consumer.subscribe(list(topics), on_assign=self._on_assign, on_revoke=self._on_revoke)

    def poll(self, max_records: int, timeout_s: float, top_up_s: float = 0.0) -> list[Message]:
        """Up to `max_records` records. With records waiting: what is already fetched, topped up for at
        most `top_up_s` when it is not a full batch (the worker asks for that only under load, where
        taking only what is fetched makes small batches). On a quiet feed: the first record to come
        within `timeout_s` and what came with it, at once (consume() alone waits for `max_records` or
        the whole timeout: the record would wait for company). Errors are logged."""
        consume = self._consumer.consume
        self._revoked.clear()
        records = consume(num_messages=max_records, timeout=0)
        if records and len(records) < max_records:
            if top_up_s > 0:
                records += consume(num_messages=max_records - len(records), timeout=top_up_s)
        elif not records:
            records = consume(num_messages=1, timeout=timeout_s)
            if records and max_records > 1:
                records += consume(num_messages=max_records - 1, timeout=0)
        good = []
        for record in records:
            error = record.error()
            if error is None:
                good.append(record)
            elif error.code() in RESET_ERRORS:
                self.offsets.reset_error(record.topic(), record.partition(), error)
            elif error.code() != KafkaError._PARTITION_EOF:
                log.warning("consume_error", extra={"error": str(error)})
        if self._revoked:
            good = self._owned(good)
        return good

    def _owned(self, records: list[Message]) -> list[Message]:
        """Records fetched before a revoke in the same poll: no longer ours to apply or commit (the new
        owner starts at the offsets committed on revoke)."""
        revoked = self._revoked
        kept = [r for r in records if (r.topic(), r.partition()) not in revoked]
        if len(kept) < len(records):
            log.info("revoked_records_dropped", extra={"records": len(records) - len(kept)})
        return kept

    def produce(self, outputs: Sequence[OutRecord]) -> None:
        produce, prefix = self._producer.produce, self._prefix
        for out in outputs:
            while True:
                try:
                    produce(
                        prefix + out.topic,
                        out.value,
                        out.key,
                        headers=out.headers,
                        on_delivery=self._delivered,
                    )
                    break
                except BufferError:
                    self._producer.poll(0.05)  # local queue full: let deliveries drain, then retry
                except KafkaException as error:  # e.g. MSG_SIZE_TOO_LARGE: refused before it is queued
                    self._failed(prefix + out.topic, str(error), error)
                    break
        self._producer.poll(0)

    def mark_done(self, records: Sequence[Message]) -> None:
        ends: dict[tuple[str, int], int] = {}
        for record in records:
            ends[(record.topic(), record.partition())] = record.offset() + 1  # type: ignore[index,operator]
        self.offsets.check(ends)
        self._done.update(ends)

    def commit(self, flush_timeout_s: float = 30.0) -> int:
        """Flush outputs, then commit what is done; returns the partitions committed."""
        return self.commit_offsets(self.take_done(), flush_timeout_s)

    def take_done(self) -> dict[tuple[str, int], int]:
        """The offsets done so far, handed over (the feed forgets them): for a commit in the background
        while batches go on; what is marked done after this goes to the next commit."""
        done, self._done = self._done, {}
        return done

    def commit_offsets(self, done: dict[tuple[str, int], int], flush_timeout_s: float = 30.0) -> int:
        """Flush every output produced so far (those of `done` among them), then commit `done`.

        One commit at a time: a revoke's commit (in the poll's thread) waits for the background one
        under way, whose offsets are older; landing after it, they would take the group back."""
        if not done:
            return 0
        with self._commit_lock:
            return self._flush_and_commit(done, flush_timeout_s)

    def _flush_and_commit(self, done: dict[tuple[str, int], int], flush_timeout_s: float) -> int:
        pending = self._producer.flush(flush_timeout_s)
        if pending or self._failures:
            raise DeliveryFailed(f"{pending} outputs undelivered; failures: {self._failures[:3]}")
        offsets = [TopicPartition(topic, part, offset) for (topic, part), offset in done.items()]
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
            self.offsets.committed(done)
        except KafkaException as error:
            code = error.args[0].code() if error.args else None
            if code not in GROUP_CHANGED:
                raise
            log.warning(
                "commit_skipped_group_changed", extra={"error": str(error), "partitions": len(offsets)}
            )
        return len(offsets)

    def close(self, flush_timeout_s: float = 30.0) -> None:
        """Flush, commit what is done, and leave the group (its partitions go to the others at once)."""
        try:
            # Every output, also those tied to no offset (the periodic sweeps: expired holds are
            # released once, in Redis, and published once): a commit flushes only when it has offsets.
            self._producer.flush(flush_timeout_s)
            self.commit(flush_timeout_s)
        finally:
            self._consumer.close()

    def pause(self) -> None:
        """Pause every assigned partition (the store is lost): polls then keep the membership alive
        without taking records."""
        self._consumer.pause(self._consumer.assignment())

    def keep_alive(self) -> None:
        """A poll while paused (within max.poll.interval, or the group drops this member). A partition
        assigned meanwhile is not paused: what it yields is put back (seek) and it is paused too."""
        first: dict[tuple[str, int], int] = {}
        for record in self._consumer.consume(num_messages=100, timeout=0):
            if record.error() is None:
                first.setdefault((record.topic(), record.partition()), record.offset())  # type: ignore[arg-type]
        for (topic, partition), offset in first.items():
            self._consumer.pause([TopicPartition(topic, partition)])
            self._consumer.seek(TopicPartition(topic, partition, offset))

    def resume(self) -> None:
        self._consumer.resume(self._consumer.assignment())

    def lag(self) -> dict[tuple[str, int], int]:
        """Records of each held partition not yet done (topic without its prefix): the cached high
        watermark less the next offset done, else the cached low watermark. No broker round trip:
        it is read at scrape time, from the metrics thread (librdkafka's calls are thread-safe)."""
        done = self.offsets.next_offsets()
        lags: dict[tuple[str, int], int] = {}
        for held in self._consumer.assignment():
            low, high = self._consumer.get_watermark_offsets(held, cached=True)
            if high < 0:  # no fetch response seen for it yet
                continue
            start = done.get((held.topic, held.partition), max(low, 0))
            lags[(held.topic.removeprefix(self._prefix), held.partition)] = max(0, high - start)
        return lags

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.assigned = len(partitions)
        self.offsets.reassigned(self._group_offsets(partitions))
        # Given back in the same poll: what comes now is fetched from the group's committed offset.
        self._revoked.difference_update((p.topic, p.partition) for p in partitions)
        log.info("partitions_assigned", extra={"partitions": len(partitions)})

    def _group_offsets(self, partitions: list[TopicPartition]) -> dict[tuple[str, int], int]:
        """Where the group committed each partition (one round trip per assignment; {} if unknown)."""
        try:
            committed = self._consumer.committed(partitions, timeout=5)
        except KafkaException as error:
            log.warning("committed_offsets_unknown", extra={"error": str(error)})
            return {}
        return {(tp.topic, tp.partition): tp.offset for tp in committed if tp.offset >= 0}

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.assigned = 0
        self.offsets.reassigned()
        self._revoked.update((p.topic, p.partition) for p in partitions)
        # Batches are processed before the next poll, so everything consumed is done: commit it now.
        try:
            self.commit()
        except Exception:  # a failed commit here means re-delivery, which the store dedupes
            log.exception("commit_on_revoke_failed")

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._failed(message.topic() or "", str(error))

    def _failed(self, topic: str, error: str, raised: Exception | None = None) -> None:
        """A dead letter lost is logged and counted; any other output stops the worker before commit."""
        if topic.endswith(DLQ_SUFFIX):
            log.error("dead_letter_not_produced", extra={"topic": topic, "error": error})
            if self._dlq_failures is not None:
                self._dlq_failures.inc()
        elif raised is not None:
            raise DeliveryFailed(f"{topic}: {error}") from raised
        else:
            self._failures.append(f"{topic}: {error}")
