"""confluent-kafka client settings from omnistock settings (timings that also suit the Tansu broker)."""

from __future__ import annotations

from typing import Any

from omnistock.settings import Settings


def consumer_config(settings: Settings, group_id: str | None = None) -> dict[str, Any]:
    return {
        "bootstrap.servers": settings.broker,
        "group.id": group_id or settings.group_id,
        "enable.auto.commit": False,  # offsets are committed once the batch's outputs are delivered
        # Tansu answers ListOffsets(LATEST) wrongly, so "latest" would re-deliver: always start at the start.
        "auto.offset.reset": "earliest",
        "session.timeout.ms": int(settings.group_session_timeout_s * 1000),
        "heartbeat.interval.ms": int(settings.group_heartbeat_interval_s * 1000),
        "max.poll.interval.ms": max(int(settings.group_rebalance_timeout_s * 1000), 10_000),
        "fetch.wait.max.ms": settings.fetch_wait_max_ms,
        "enable.partition.eof": False,
    }


def producer_config(settings: Settings) -> dict[str, Any]:
    return {
        "bootstrap.servers": settings.broker,
        "linger.ms": settings.producer_linger_ms,
        "acks": "all",
        # Tansu refuses idempotent/transactional producers; the effect is made exactly-once in Redis.
        "enable.idempotence": False,
        "queue.buffering.max.messages": 500_000,
        # The feed's delivery callback only records failures: one Python call per record delivered
        # (thousands per batch) would be spent on successes it ignores.
        "delivery.report.only.error": True,
    }
