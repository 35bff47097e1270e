"""Publishes single events to Kafka from asyncio code and awaits each one's delivery report.

The API's store actions answer 202 only once the broker holds the event: a confluent-kafka Producer
(acks=all) whose delivery callbacks, run by a poll thread of its own, resolve an asyncio future on
the caller's loop (call_soon_threadsafe). The wait is bounded: past it PublishFailed, and librdkafka
gives up the message at the same bound (message.timeout.ms), so a failure is rarely a late success;
when it is, the deterministic event id makes the worker apply it once. Values are Confluent Avro
with the repo's schema ids, as the worker decodes its inputs. The producer is created on first use
(measured on the embedded broker: a first event takes 9-14 ms, the next ~7 ms; connecting ahead of it
did not make the first faster).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from core.publishing import PublishFailed
from topics.catalog import full_name, topic_spec
from topics.codec import AvroCodec

POLL_S = 0.05


class KafkaEventPublisher:
    """`publish` is safe from any number of concurrent tasks; `close` flushes and stops the poll thread."""

    def __init__(
        self, config: Mapping[str, Any], codec: AvroCodec, topic_prefix: str = "", timeout_s: float = 5.0
    ) -> None:
        self._config = {
            **config,
            "acks": "all",
            "delivery.report.only.error": False,  # every send awaits its own report
            "message.timeout.ms": max(1, int(timeout_s * 1000)),
            # A producer's metadata request may create a missing topic with the broker's defaults (Tansu
            # does, Kafka does unless auto.create.topics.enable=false): an API started before any worker
            # would then make the input topics with the wrong partitions. The worker creates them.
            "allow.auto.create.topics": False,
        }
        self._codec = codec
        self._prefix = topic_prefix
        self._timeout_s = timeout_s
        self._producer: Producer | None = None
        self._stopping = threading.Event()
        self._poller: threading.Thread | None = None
        self._lock = threading.Lock()

    async def publish(self, topic: str, key: str, record: Mapping[str, Any]) -> None:
        schema = topic_spec(topic).schema
        if schema is None:
            raise PublishFailed(f"topic {topic} has no schema", topic=topic)
        value = self._codec.encode(schema, dict(record))
        loop = asyncio.get_running_loop()
        delivered: asyncio.Future[None] = loop.create_future()

        def report(error: KafkaError | None, _: Message) -> None:  # runs on the poll thread
            with suppress(RuntimeError):  # the caller's loop is gone: nobody waits for this report
                loop.call_soon_threadsafe(_settle, delivered, error)

        try:
            self._started().produce(full_name(self._prefix, topic), value, key.encode(), on_delivery=report)
        except (BufferError, KafkaException) as error:
            raise PublishFailed(f"the producer refused the event: {error}", topic=topic) from error
        try:
            async with asyncio.timeout(self._timeout_s):
                await delivered
        except TimeoutError:
            message = f"the broker did not confirm within {self._timeout_s:g} s"
            raise PublishFailed(message, topic=topic) from None

    def close(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        if self._poller is not None:
            self._poller.join(timeout_s)
        if self._producer is not None:
            self._producer.flush(timeout_s)

    def _started(self) -> Producer:
        with self._lock:
            if self._producer is None:
                self._producer = Producer({**self._config, "log_level": 0})
                self._poller = threading.Thread(target=self._poll, name="event-publisher", daemon=True)
                self._poller.start()
            return self._producer

    def _poll(self) -> None:
        producer = self._producer
        while producer is not None and not self._stopping.is_set():
            producer.poll(POLL_S)


def _settle(delivered: asyncio.Future[None], error: KafkaError | None) -> None:
    if delivered.done():  # the caller gave up waiting
        return
    if error is None:
        delivered.set_result(None)
    else:
        refused = PublishFailed(f"the broker refused the event: {error.str()}", code=error.name())
        delivered.set_exception(refused)
