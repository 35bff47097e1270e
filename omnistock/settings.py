"""Settings from OMNISTOCK_* environment variables (pydantic-settings)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMNISTOCK_", extra="ignore")

    broker: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers, host:port[,host:port]")
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = Field("os:", description="Prefix of every Redis key (a scratch prefix isolates runs)")
    redis_cluster: bool = Field(
        False,
        description="OMNISTOCK_REDIS_URL names one node of a Redis Cluster (the client discovers the others);"
        " README, Redis Cluster, says what runs on it",
    )
    redis_wait_replicas: int = Field(
        0,
        ge=0,
        description="The worker's store writes of a batch end with WAIT for this many replicas (same round"
        " trip) before its offsets are committed; fewer acknowledged in time: the batch is retried",
    )
    redis_wait_timeout_ms: int = Field(
        1000, ge=1, description="How long WAIT waits for the replicas (OMNISTOCK_REDIS_WAIT_REPLICAS)"
    )
    topic_prefix: str = ""
    topic_partitions: int = 4
    network_file: str | None = None
    postcode_file: str | None = Field(
        None, description="CSV of postcode prefix, lat, lon[, timezone] for promises (default: packaged)"
    )
    schema_registry_url: str | None = Field(
        None,
        description="A Confluent-compatible schema registry: the worker registers each output schema"
        " under <topic>-value at start and frames records with its ids (unset: the repo's own ids 1-14)",
    )
    output_format: Literal["avro", "json"] = Field(
        "avro",
        description="Output topics' values: Confluent Avro, or plain JSON objects with the same fields;"
        " a header names the schema and the content type either way",
    )
    group_id: str = "omnistock-worker"
    # Consumer-group timings: production keeps Kafka's usual values; the embedded broker wants 6 s / 1 s
    # (Tansu holds a JoinGroup for half the session timeout).
    group_session_timeout_s: float = 45.0
    group_heartbeat_interval_s: float = 3.0
    group_rebalance_timeout_s: float = 60.0
    # How long the broker may hold a fetch that finds nothing. Every fetch costs the embedded broker
    # work for each of the worker's ~36 partitions: at 5 ms an idle worker kept it at 50 % of a core,
    # at 25 ms 13-20 %. `bench routing` at 20 and at 200 orders/s gave the same order -> request
    # latency at 25 as at 5 (p99 41 vs 43 ms; 232-250 vs 237-306 ms) with the broker 15-25 points
    # lower; at 100 ms the latency rose (p50 46 vs 23 ms at 20/s). Kafka answers a fetch as soon as
    # data comes, so there it only spaces out the empty fetches.
    fetch_wait_max_ms: int = 25
    # 1 ms: a batch's outputs are produced together anyway; a longer linger only delays the last batch
    # of a quiet moment (bench routing at 200 orders/s, p99 order -> request: 120-179 ms at 5, 101-119 at 1).
    producer_linger_ms: int = 1
    # A record arriving behind a backlog waits for the batch in hand and then for its own: at ~115 us
    # per event (a 2-core machine's worker flat out) a batch of 1,000 is ~115 ms of each, a tail of up
    # to ~230 ms after any hiccup at 5,000 events/s. 500 halves it at no cost measured: the worker's
    # CPU per event flat out was 83-88 us at 1,000, 86 at 500 (92 at 250), on the same topics.
    batch_max_events: int = 500
    batch_max_bytes: int = Field(500_000, description="About this many bytes of record values per batch")
    commit_interval_s: float = 0.5
    # Stopping (SIGTERM, issue 13): the bound on each step of a stop.
    shutdown_timeout_s: float = Field(
        5.0,
        gt=0,
        description="On SIGTERM, how long the batch in hand may take to finish, and then the last flush; "
        "past it the batch is dropped uncommitted (the next owner re-applies it, deduped)",
    )
    # Idempotency: how long an event_id is remembered per sku, and how far back a count may reach.
    dedupe_window_s: int = 3600
    count_window_s: int = 24 * 3600
    # Poison records (issue 13): bounds that send one event to its DLQ rather than stop the partition.
    max_clock_skew_s: int = Field(
        300,
        gt=0,
        description="An event stamped further ahead of the worker's clock goes to the DLQ "
        "(from_the_future); one older than dedupe_window_s minus this cannot be proven new and goes "
        "there too (too_old_to_dedupe)",
    )
    dlq_max_value_bytes: int = Field(
        512_000,
        gt=0,
        description="A dead letter's value above this is truncated (headers: original size and sha256); "
        "keep it below the producer's message.max.bytes",
    )
    worker_metrics_port: int = Field(
        9464, description="Port of the worker's /metrics, /healthz and /readyz (0: none)"
    )
    worker_metrics_host: str = Field(
        "127.0.0.1",
        description="Address the worker's metrics port listens on: 127.0.0.1 keeps it on a laptop; "
        "0.0.0.0 (the image, compose, k8s) lets Prometheus and probes reach it",
    )
    worker_stall_s: float = Field(
        120.0, gt=0, description="The worker's /healthz answers 503 once its loop has not turned this long"
    )
    api_batch_max_skus: int = 500
    change_stream_maxlen: int = Field(
        100_000, description="Changes kept for SSE clients to resume from (shared by the log's streams)"
    )
    change_streams: int | None = Field(
        None,
        ge=1,
        le=1024,
        description="Streams of the availability change log, the same for workers and API (default: 1 "
        "on one Redis, 16 on a Redis Cluster: several per master)",
    )
    reconcile_interval_s: float = Field(300.0, description="Seconds between reconciliation passes (0: none)")
    hold_ttl_s: int = Field(15 * 60, description="Cart holds expire this long after their cart's last event")
    hold_expiry_interval_s: float = Field(1.0, description="How often the worker releases expired holds")
    routing_sla_minutes: float = Field(
        60, description="Minutes a location has to accept a fulfillment request unless its network entry says"
    )
    routing_partial: bool = Field(
        True, description="Route the lines that can be served (PARTIALLY_ROUTED); false: all or none"
    )
    order_retention_days: float = Field(
        30, gt=0, description="Days a finished order, and every routing decision, stay readable in Redis"
    )
    shortage_policy: Literal["reroute", "flag"] = Field(
        "reroute", description="A sale or count leaving a node short of its allocations: re-route or count"
    )
    api_keys: SecretStr | None = Field(None, description="JSON object: API key -> list of scopes")
    api_rate_limit_per_s: float | None = Field(None, description="Requests/s per API key, per process")
    api_rate_burst: int | None = None
    api_cache_max_age_s: int = 1
    # The API under a crowd (issue 13 section 5): its Redis pool and deadlines, HTTP timeouts, auth throttle.
    api_redis_max_connections: int = Field(
        100, ge=1, description="Redis connections per API process and pool; more requests wait for one"
    )
    # It counts from the read's start, so it includes waiting behind a burst on this process: 1,000
    # concurrent GETs in one process took 0.7-1.8 s on a loaded 2-core machine (some failed at 2 s).
    api_redis_deadline_s: float = Field(
        5.0, gt=0, description="A request's Redis read (pool wait, connect, retries) gives 503 past this"
    )
    api_stream_buffer_max: int = Field(
        1000, ge=1, description="Changes held for an SSE client not reading; past it, its stream ends"
    )
    api_auth_failures_per_min: int = Field(
        10, ge=0, description="Wrong API keys a client may present per minute, then 429 (0: no bound)"
    )
    api_forwarded_allow_ips: str | None = Field(
        None, description="Proxies whose X-Forwarded-For names the client (comma-separated; unset: none)"
    )
    api_timeout_keep_alive_s: float = Field(
        5.0, gt=0, description="An idle kept-alive connection is closed after this many seconds"
    )
    api_header_timeout_s: float = Field(
        10.0, gt=0, description="A request's headers must all arrive within this, else 408 and close"
    )
    api_body_timeout_s: float = Field(
        10.0, gt=0, description="A request's body must all arrive within this, else 408 and close"
    )
    api_max_body_bytes: int = Field(
        1_048_576, ge=0, description="A larger request body answers 413 before it is read (0: no bound)"
    )
    api_access_log: bool = Field(
        False, description="Log each HTTP request as one JSON line (omnistock.access)"
    )
    log_level: str = "INFO"

    @property
    def change_stream_count(self) -> int:
        """OMNISTOCK_CHANGE_STREAMS, or its default for the Redis in use."""
        return self.change_streams or (16 if self.redis_cluster else 1)


def load_settings() -> Settings:
    return Settings()
