"""The delivery promise of a cart: for each method that can serve it all, its plan, dates, price, CO2e.

Pure: the caller passes `now`, the network prepared by `prepare` and a live ATP view. Home methods
ship to the customer; relay methods to the relay point near the customer that is ready first; click &
collect hands over at the nearby store ready first, from its own stock after its handling time, else
shipped there from other nodes (ship to store: a store holding part of the cart gets all of it
shipped, stock is not mixed). Daily pick capacity is not consumed here (the router's job). The same
input always gives the same answer.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import datetime

from core.calendar import next_open
from core.carriers import CarrierService, Prefer, ServiceKind
from core.geo import Place
from core.network import Capability, Location
from core.promise_explain import label, plan_verdicts, point_verdicts
from core.promise_nodes import AtpView, PromiseContext, PromiseNetwork, nearest, place_of, prepare
from core.promise_types import CLICK_AND_COLLECT, CartLine, PromiseOption, PromiseResult, Shipment
from core.sourcing import Plan, choose_plan

__all__ = ["promise", "prepare", "merge_lines"]
Candidate = tuple[datetime, float, str, PromiseOption]  # ready, km, point id: the pickup point order


def promise(
    prepared: PromiseNetwork,
    lines: Iterable[CartLine],
    destination: Place,
    now: datetime,
    atp: AtpView,
    methods: Collection[str] | None = None,
    explain: bool = False,
) -> PromiseResult:
    """Options in the services' order, click & collect last; `methods` keeps only those named."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    context = PromiseContext(prepared, merge_lines(lines), now, atp)
    if not context.lines:
        return PromiseResult(options=(), unserved=())
    options: list[PromiseOption] = []
    for service in prepared.services.services.values():
        if methods is not None and service.service_id not in methods:
            continue
        if service.kind is ServiceKind.HOME:
            options += _home(context, service, destination, explain)
        elif service.kind is ServiceKind.RELAY:
            options += _relay(context, service, destination, explain)
    if prepared.services.click_and_collect and (methods is None or CLICK_AND_COLLECT in methods):
        options += _click_and_collect(context, destination, explain)
    unserved = tuple(line for i, line in enumerate(context.lines) if not context.served >> i & 1)
    return PromiseResult(options=label(options), unserved=unserved)


def merge_lines(lines: Iterable[CartLine]) -> tuple[CartLine, ...]:
    """One line per sku (quantities summed), by sku; a quantity below 1 is a ValueError."""
    totals: dict[str, int] = {}
    for line in lines:
        if line.quantity < 1:
            raise ValueError(f"quantity of {line.sku!r} must be at least 1, got {line.quantity}")
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return tuple(CartLine(sku, totals[sku]) for sku in sorted(totals))


def _home(context: PromiseContext, service: CarrierService, to: Place, explain: bool) -> list[PromiseOption]:
    quotes, verdicts = context.quotes(service, to)
    plan = choose_plan(quotes, len(context.lines), service.prefer is Prefer.SPEED)
    if plan is None:
        return []
    option = _shipped(context, plan, service.service_id, "home", to.timezone)
    option = (
        replace(option, considered=plan_verdicts(plan, quotes, verdicts, context.full)) if explain else option
    )
    return [option]


def _relay(context: PromiseContext, service: CarrierService, to: Place, explain: bool) -> list[PromiseOption]:
    candidates: list[Candidate] = []
    for km, point in nearest(context.prepared.relay_points, to, service.pickup_max_km, service.pickup_points):
        option = _via_point(context, service, point, "relay", explain)
        if option is not None:
            candidates.append((option.earliest, km, point.location_id, option))
    return _best_point(candidates, explain)


def _click_and_collect(context: PromiseContext, to: Place, explain: bool) -> list[PromiseOption]:
    settings = context.prepared.services.click_and_collect
    if settings is None:
        return []
    transfer = context.prepared.services.services.get(settings.transfer_service or "")
    candidates: list[Candidate] = []
    for km, store in nearest(context.prepared.pickup_stores, to, settings.max_km, settings.stores):
        option = _from_store(context, store)
        if option is None and transfer is not None and Capability.RECEIVE_FOR_PICKUP in store.capabilities:
            option = _via_point(context, transfer, store, CLICK_AND_COLLECT, explain)
        if option is not None:
            option = replace(option, method=CLICK_AND_COLLECT, price_cents=settings.price_cents)
            candidates.append((option.earliest, km, store.location_id, option))
    return _best_point(candidates, explain)


def _from_store(context: PromiseContext, store: Location) -> PromiseOption | None:
    """Collect from the store's own stock, once prepared within its opening hours."""
    mask = context.mask(store.location_id)
    ready = context.ready(store)
    if mask != context.full or ready is None:
        return None
    context.served |= mask
    shipment = Shipment(store.location_id, context.lines)
    return PromiseOption(
        method=CLICK_AND_COLLECT, kind=CLICK_AND_COLLECT, shipments=(shipment,), parcels=0,
        earliest=ready, latest=ready, timezone=store.timezone, price_cents=0,
        cost_cents=store.pick_cost_cents * len(context.lines), co2e_grams=0,
        pickup_location_id=store.location_id,
    )  # fmt: skip


def _via_point(
    context: PromiseContext, service: CarrierService, point: Location, kind: str, explain: bool
) -> PromiseOption | None:
    """Ship to a relay point or store; ready for pickup when it is next open after the parcels arrive."""
    quotes, verdicts = context.quotes(service, place_of(point), exclude=point.location_id)
    plan = choose_plan(quotes, len(context.lines), service.prefer is Prefer.SPEED)
    calendar = context.prepared.calendars[point.location_id]
    earliest = None if plan is None else next_open(calendar, plan.earliest)
    latest = None if plan is None else next_open(calendar, plan.latest)
    if plan is None or earliest is None or latest is None:
        return None
    option = _shipped(context, plan, service.service_id, kind, point.timezone)
    considered = plan_verdicts(plan, quotes, verdicts, context.full) if explain else ()
    return replace(
        option, earliest=earliest, latest=max(earliest, latest), pickup_location_id=point.location_id,
        ship_to_store=kind == CLICK_AND_COLLECT, considered=considered,
    )  # fmt: skip


def _best_point(candidates: list[Candidate], explain: bool) -> list[PromiseOption]:
    """The pickup point ready first (then nearest, then by id); the others are explained."""
    if not candidates:
        return []
    candidates.sort(key=lambda candidate: candidate[:3])
    best = candidates[0][3]
    if explain:
        best = replace(
            best, considered=best.considered + point_verdicts(best, [c[3] for c in candidates[1:]])
        )
    return [best]


def _shipped(context: PromiseContext, plan: Plan, method: str, kind: str, timezone: str) -> PromiseOption:
    shipments = tuple(
        Shipment(quote.location_id, tuple(context.lines[i] for i in lines))
        for quote, lines in zip(plan.quotes, plan.lines, strict=True)
    )
    return PromiseOption(
        method=method, kind=kind, shipments=shipments, parcels=len(plan.quotes),
        earliest=plan.earliest, latest=plan.latest, timezone=timezone,
        price_cents=sum(quote.parcel_cents for quote in plan.quotes), cost_cents=plan.cost_cents,
        co2e_grams=sum(quote.co2e_grams for quote in plan.quotes),
    )  # fmt: skip
