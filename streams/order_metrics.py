"""Prometheus metrics of routing and the fulfillment lifecycle (beside streams.metrics.WorkerMetrics)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

from core.allocation import OrderStatus
from core.order_lifecycle import NOT_FOUND, SLA_EXPIRED
from core.order_shortage import SHORTAGE

# Reasons a line is routed again: a rejection without a reason, and those the worker itself gives (a
# node's rejection may carry a reason of its own, which gets its series when it first comes).
REROUTE_REASONS = ("REJECTED", NOT_FOUND, SLA_EXPIRED, SHORTAGE)
SHORTAGE_ACTIONS = ("rerouted", "flagged")


@dataclass(frozen=True, slots=True)
class OrderMetrics:
    statuses: Counter
    routing_seconds: Histogram
    rerouted_lines: Counter
    ignored_updates: Counter
    shortages: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> OrderMetrics:
        metrics = cls._create(registry)
        # Zero series from the start: routing outcomes and re-routes show on a dashboard before the
        # first order, and an alert's increase() counts the first one.
        for status in OrderStatus:
            metrics.statuses.labels(status.value)
        for reason in REROUTE_REASONS:
            metrics.rerouted_lines.labels(reason)
        for action in SHORTAGE_ACTIONS:
            metrics.shortages.labels(action)
        return metrics

    @classmethod
    def _create(cls, registry: CollectorRegistry) -> OrderMetrics:
        return cls(
            statuses=Counter(
                "omnistock_order_statuses_total",
                "Order statuses published (ROUTED, PARTIALLY_ROUTED, BACKORDERED, UNFULFILLABLE, ...)",
                ["status"],
                registry=registry,
            ),
            routing_seconds=Histogram(
                "omnistock_routing_batch_seconds",
                "Time to route and allocate one batch of orders (reads, plans, allocations)",
                buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
                registry=registry,
            ),
            rerouted_lines=Counter(
                "omnistock_rerouted_lines_total",
                "Order lines routed again, by why (REJECTED, NOT_FOUND, SLA_EXPIRED, SHORTAGE, CANCELLED)",
                ["reason"],
                registry=registry,
            ),
            ignored_updates=Counter(
                "omnistock_fulfillment_updates_ignored_total",
                "Order and fulfillment events that changed nothing, by why (DUPLICATE, UNKNOWN_ORDER, ...)",
                ["outcome"],
                registry=registry,
            ),
            shortages=Counter(
                "omnistock_shortage_lines_total",
                "Allocated lines caught short by a sale or count at their node, by what was done",
                ["action"],
                registry=registry,
            ),
        )
