"""What the worker needs from its settings, owned here: built by the wiring; streams never reads settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class KafkaOptions:
    """The confluent-kafka clients' bootstrap servers, consumer group and timings."""

    broker: str
    group_id: str
    group_session_timeout_s: float
    group_heartbeat_interval_s: float
    group_rebalance_timeout_s: float
    fetch_wait_max_ms: int
    producer_linger_ms: int


@dataclass(frozen=True, kw_only=True)
class WorkerOptions:
    """How the worker feeds its agents: batch sizes, commit pace, periodic work, stopping."""

    kafka: KafkaOptions
    topic_prefix: str
    batch_max_events: int
    batch_max_bytes: int
    commit_interval_s: float
    hold_expiry_interval_s: float
    reconcile_interval_s: float
    shutdown_timeout_s: float
