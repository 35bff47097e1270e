"""One faust agent per input topic the worker applies; each receives whole batches from the feed.

Why batches and not faust's own Kafka stream: on these machines faust's per-event machinery alone
(aiokafka fetcher, conductor, one Event per record) caps a process near 12k events/s counting only,
below the target of half the raw pipeline once real work is added. Feeding each agent one batch at a
time from a confluent-kafka consumer pays faust's cost per batch, keeps agents as the unit of work
(supervised, ordered per topic, testable with `agent.test_context()`), and lets each batch cost one
Redis round trip.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import faust

from core.errors import StoreUnavailable
from streams.batch import BatchOutcome
from streams.metrics import WorkerMetrics
from streams.records import ConsumedRecord

log = logging.getLogger("omnistock.agents")

RETRY_DELAYS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)


@dataclass(frozen=True, slots=True)
class BatchJob:
    """A batch of one topic's records and the future the feed awaits before committing them."""

    topic: str
    records: Sequence[ConsumedRecord]
    done: asyncio.Future[BatchOutcome]


class BatchPipeline(Protocol):
    def run(self, topic: str, records: Sequence[ConsumedRecord]) -> BatchOutcome: ...


AgentFn = Callable[[Any], Coroutine[Any, Any, None]]  # faust passes its StreamT of BatchJob


async def apply_with_retry(
    pipeline: BatchPipeline, job: BatchJob, metrics: WorkerMetrics
) -> BatchOutcome | None:
    """Apply the batch; while the store is unreachable, wait and retry the same batch (nothing dropped),
    until the feed gives the batch up (a worker stopping drops it uncommitted): then None."""
    attempt = 0
    while not job.done.cancelled():
        try:
            return pipeline.run(job.topic, job.records)
        except StoreUnavailable as error:
            delay = RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)]
            log.warning(
                "store_unavailable_retrying",
                extra={"topic": job.topic, "delay_s": delay, "error": str(error)},
            )
            metrics.retries.inc()
            metrics.pulse.turned()  # waiting for the store is not a stuck loop (liveness)
            attempt += 1
            await asyncio.sleep(delay)
    return None


def batch_agent(pipeline: BatchPipeline, metrics: WorkerMetrics) -> AgentFn:
    """The body of a stock agent: apply each batch and resolve its future."""

    async def apply_batches(jobs: Any) -> None:  # faust's StreamT of BatchJob
        async for job in jobs:
            try:
                outcome = await apply_with_retry(pipeline, job, metrics)
            except Exception as error:  # the feed re-raises it and stops before committing
                if not job.done.done():
                    job.done.set_exception(error)
            else:
                if outcome is not None and not job.done.done():
                    job.done.set_result(outcome)

    return apply_batches


def register_agents(
    app: faust.App, pipelines: Mapping[str, BatchPipeline], metrics: WorkerMetrics
) -> dict[str, Any]:
    """Declare one agent per topic, each on its in-memory channel, applying with that topic's pipeline."""
    agents = {}
    for topic, pipeline in pipelines.items():
        name = "apply-" + topic.replace(".", "-")
        agents[topic] = app.agent(app.channel(), name=name)(batch_agent(pipeline, metrics))
    return agents
