"""Consumer lag per partition as a metric, computed when Prometheus scrapes (never on the batch path).

Lag is the partition's high watermark less the next offset the worker has done (applied, outputs
handed to the producer), or the group's committed offset when it has done nothing there yet. The
watermarks are the ones librdkafka cached from its last fetch response: no broker round trip.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping

from confluent_kafka import KafkaException
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("omnistock.worker")
LAG_METRIC = "omnistock_consumer_lag_records"
Lags = Mapping[tuple[str, int], int]  # (topic without its prefix, partition) -> records not yet done


class ConsumerLag(Collector):
    """`omnistock_consumer_lag_records{topic, partition}` of the partitions this worker holds."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._source: Callable[[], Lags] | None = None
        registry.register(self)

    def watch(self, source: Callable[[], Lags]) -> None:
        """Read lags from `source` (the feed's) from now on."""
        self._source = source

    def describe(self) -> list[GaugeMetricFamily]:
        return [self._family()]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = self._family()
        if self._source is not None:
            try:
                lags = self._source()
            except (KafkaException, RuntimeError) as error:  # the consumer is closing or closed
                log.debug("consumer_lag_unknown", extra={"error": str(error)})
                lags = {}
            for (topic, partition), lag in sorted(lags.items()):
                family.add_metric([topic, str(partition)], lag)
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            LAG_METRIC,
            "Records of a held partition not yet done by this worker (high watermark - next offset done)",
            labels=["topic", "partition"],
        )
