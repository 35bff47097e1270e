"""An order flow for tests: the stores and router given, local schemas, Paris's postcodes, fresh metrics."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry

from core.network import Network
from streams.metrics import WorkerMetrics
from streams.order_flow import LifecycleStore, OrderFlow
from streams.order_metrics import OrderMetrics
from streams.order_routing import OrderRouter
from streams.routing_batch import RoutingStock
from tests.support.promise_network import PARIS_CUSTOMER
from topics.codec import AvroCodec
from topics.order_outputs import order_outputs
from topics.outputs import availability_change_encoder
from topics.registry import LocalSchemaList


def order_flow(
    stock: RoutingStock,
    orders: LifecycleStore,
    router: OrderRouter,
    network: Callable[[], Network],
    clock_ms: Callable[[], int],
) -> OrderFlow:
    return OrderFlow(
        stock=stock,
        orders=orders,
        router=router,
        outputs=order_outputs(None),
        codec=AvroCodec(LocalSchemaList()),
        network=network,
        postcodes={"75": PARIS_CUSTOMER},
        changes=availability_change_encoder(None),
        metrics=WorkerMetrics.create(CollectorRegistry()),
        order_metrics=OrderMetrics.create(CollectorRegistry()),
        clock_ms=clock_ms,
    )
