"""The streams package's own options, built from settings (streams never reads omnistock settings)."""

from __future__ import annotations

from omnistock.settings import Settings
from streams.options import KafkaOptions, WorkerOptions


def kafka_options(settings: Settings) -> KafkaOptions:
    return KafkaOptions(
        broker=settings.broker,
        group_id=settings.group_id,
        group_session_timeout_s=settings.group_session_timeout_s,
        group_heartbeat_interval_s=settings.group_heartbeat_interval_s,
        group_rebalance_timeout_s=settings.group_rebalance_timeout_s,
        fetch_wait_max_ms=settings.fetch_wait_max_ms,
        producer_linger_ms=settings.producer_linger_ms,
    )


def worker_options(settings: Settings) -> WorkerOptions:
    return WorkerOptions(
        kafka=kafka_options(settings),
        topic_prefix=settings.topic_prefix,
        batch_max_events=settings.batch_max_events,
        batch_max_bytes=settings.batch_max_bytes,
        commit_interval_s=settings.commit_interval_s,
        hold_expiry_interval_s=settings.hold_expiry_interval_s,
        reconcile_interval_s=settings.reconcile_interval_s,
        shutdown_timeout_s=settings.shutdown_timeout_s,
    )
