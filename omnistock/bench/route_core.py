"""core.routing.route alone, in-process: mean/p50/p99 ms per routed order and routes/s on one core.

The load of `omnistock bench routing` without the broker and Redis: the packaged network and postcode
table, SKU_COUNT skus stocked by omnistock.bench.orders.stock_atp, orders of 1-5 lines to random
postcodes (omnistock.bench.orders.order_events: no strategy, so the default rule set, as the bench
sends them). Orders are routed in batches of BATCH at one `now` sharing one Timetable, each taking its
shipments' stock and capacity for the next, as streams.order_routing does; `now` moves on by a random
part of a week per batch so calendars and cut-offs vary. decision_dict, which the worker calls once
per order to publish and store the decision, is timed apart. Run: python -m omnistock.bench.route_core
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.allocation import OrderLine
from core.geo import Place
from core.promise_nodes import PromiseNetwork, Timetable
from core.routing import route
from core.routing_rules import DEFAULT_RULES
from core.routing_types import Delivery, decision_dict
from omnistock.bench.latency import percentile
from omnistock.bench.load_client import sku_name
from omnistock.bench.orders import order_events, pickup_points, stock_atp
from omnistock.bench.promise import load_inputs
from topics.order_events import OrderEvent
from topics.order_mappers import order_lines, routing_delivery

SKU_COUNT, BATCH, SEED = 5000, 200, 20261205
START = datetime(2026, 11, 16, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class BenchOrder:
    lines: tuple[OrderLine, ...]
    delivery: Delivery
    strategy: str | None


def bench_orders(
    prepared: PromiseNetwork, table: Mapping[str, Place], count: int, rng: random.Random
) -> list[BenchOrder]:
    """`count` orders as the worker maps them from orders.v1 (those with a known destination)."""
    skus = [sku_name(i) for i in range(1, SKU_COUNT + 1)]
    events = order_events(skus, pickup_points(prepared.network, table), count, "core", rng)
    orders = []
    for raw in events:
        event = OrderEvent.model_validate(raw)
        delivery = routing_delivery(event, table, prepared.network)
        if delivery is not None:
            orders.append(BenchOrder(order_lines(event), delivery, event.strategy))
    return orders


def run(count: int, seed: int = SEED) -> tuple[list[float], list[float]]:
    """Seconds per route() and per decision_dict(), in order order."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible load
    prepared, table = load_inputs()
    atp = stock_atp(prepared.network, [sku_name(i) for i in range(1, SKU_COUNT + 1)], rng)
    orders = bench_orders(prepared, table, count, rng)
    routes: list[float] = []
    dicts: list[float] = []
    now = START
    for first in range(0, len(orders), BATCH):
        now += timedelta(minutes=rng.randrange(24 * 60))
        _batch(prepared, orders[first : first + BATCH], atp, now, routes, dicts)
    return routes, dicts


def _batch(
    prepared: PromiseNetwork,
    orders: Sequence[BenchOrder],
    atp: dict[tuple[str, str], int],
    now: datetime,
    routes: list[float],
    dicts: list[float],
) -> None:
    locations = prepared.network.locations.values()
    capacity: dict[str, int | None] = {loc.location_id: loc.daily_pick_capacity for loc in locations}
    timetable = Timetable(prepared, now)
    for order in orders:
        rule_set = DEFAULT_RULES.for_strategy(order.strategy)
        excluded = {line.line_id: frozenset[str]() for line in order.lines}
        began = time.perf_counter()
        decision = route(
            prepared, order.lines, order.delivery, now, atp, rule_set, capacity, excluded, timetable=timetable
        )
        routed = time.perf_counter()
        decision_dict(decision, order.strategy)
        dicts.append(time.perf_counter() - routed)
        routes.append(routed - began)
        for shipment in decision.shipments:
            for line in shipment.lines:
                atp[(line.sku, shipment.location_id)] -= line.quantity
            left = capacity.get(shipment.location_id)
            if left is not None:
                capacity[shipment.location_id] = left - len(shipment.lines)


def _line(name: str, took: list[float]) -> str:
    mean = sum(took) / len(took)
    return (
        f"  {name}: mean {mean * 1000:.3f} ms, p50 {percentile(took, 50) * 1000:.3f} ms, "
        f"p99 {percentile(took, 99) * 1000:.3f} ms, {1 / mean:,.0f}/s on one core"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    run(min(args.orders, 400), args.seed + 1)  # warm-up: zoneinfo, bands, imports
    routes, dicts = run(args.orders, args.seed)
    print(f"route core: {len(routes)} orders in batches of {BATCH} at one now (Timetable shared)")
    both = [r + d for r, d in zip(routes, dicts, strict=True)]
    print(_line("route()", sorted(routes)))
    print(_line("decision_dict()", sorted(dicts)))
    print(_line("route() + decision_dict()", sorted(both)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
