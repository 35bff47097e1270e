"""confluent-kafka client settings from the Kafka options (timings that also suit the Tansu broker)."""

from __future__ import annotations

from typing import Any

from streams.options import KafkaOptions


def consumer_config(options: KafkaOptions, group_id: str | None = None) -> dict[str, Any]:
    return {
        "bootstrap.servers": options.broker,
        "group.id": group_id or options.group_id,
        "enable.auto.commit": False,  # offsets are committed once the batch's outputs are delivered
        # Tansu answers ListOffsets(LATEST) wrongly, so "latest" would re-deliver: always start at the start.
        "auto.offset.reset": "earliest",
        "session.timeout.ms": int(options.group_session_timeout_s * 1000),
        "heartbeat.interval.ms": int(options.group_heartbeat_interval_s * 1000),
        "max.poll.interval.ms": max(int(options.group_rebalance_timeout_s * 1000), 10_000),
        "fetch.wait.max.ms": options.fetch_wait_max_ms,
        "enable.partition.eof": False,
    }


def producer_config(options: KafkaOptions) -> dict[str, Any]:
    return {
        "bootstrap.servers": options.broker,
        "linger.ms": options.producer_linger_ms,
        "acks": "all",
        # Tansu refuses idempotent/transactional producers; the effect is made exactly-once in Redis.
        "enable.idempotence": False,
        "queue.buffering.max.messages": 500_000,
        # The feed's delivery callback only records failures: one Python call per record delivered
        # (thousands per batch) would be spent on successes it ignores.
        "delivery.report.only.error": True,
    }
