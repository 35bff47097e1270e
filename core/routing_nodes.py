"""Where an order's parcels go for its delivery method, and each node through the routing filters.

Methods: HOME_* ship to the customer with the service of that name; RELAY ships to the relay point the
order names, else to the nearest one within the service's `pickup_max_km` of the customer; CLICK_COLLECT
hands over at the named store from its own stock (no parcel) and, when the store has RECEIVE_FOR_PICKUP
and a ship-to-store service is configured, from other nodes' parcels too. Unlike the promise, routing
may mix the two (the store picks what it has, the rest is shipped in): the score decides, and the
customer collects when the last parcel is in. A pickup date is the point's next opening after arrival.
Lines of the same sku are judged together: a node serves them only if its ATP covers their total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from core.allocation import OrderLine
from core.calendar import next_open
from core.carriers import CarrierService
from core.geo import Place, distance_km
from core.network import Capability, Location
from core.promise_nodes import AtpView, PromiseContext, PromiseNetwork, Timetable, nearest, place_of
from core.promise_types import CartLine
from core.routing_rules import RuleSet
from core.routing_search import Offer
from core.routing_types import Delivery, DeliveryMethod, Filter

METHOD_SERVICES: Mapping[DeliveryMethod, str] = {
    DeliveryMethod.HOME_STANDARD: "home_standard",
    DeliveryMethod.HOME_EXPRESS: "home_express",
    DeliveryMethod.RELAY: "relay",
}
Verdict = tuple[Filter, str]


@dataclass(frozen=True, slots=True)
class Target:
    """Where parcels go (`to`), by which service (None: no parcels possible), and the pickup point."""

    to: Place
    service: CarrierService | None
    pickup: Location | None = None


def resolve_target(
    prepared: PromiseNetwork, delivery: Delivery, method_services: Mapping[DeliveryMethod, str]
) -> Target | str:
    """The target of the delivery, or why the order cannot be routed at all."""
    services = prepared.services.services
    if delivery.method is DeliveryMethod.CLICK_COLLECT:
        store = prepared.network.locations.get(delivery.pickup_location_id or "")
        if store is None or Capability.PICKUP not in store.capabilities:
            return f"click & collect needs a pickup store, got {delivery.pickup_location_id!r}"
        settings = prepared.services.click_and_collect
        transfer = services.get(settings.transfer_service or "") if settings else None
        receives = Capability.RECEIVE_FOR_PICKUP in store.capabilities
        return Target(place_of(store), transfer if receives else None, store)
    service = services.get(method_services.get(delivery.method, ""))
    if service is None:
        return f"no carrier service configured for {delivery.method.value}"
    if delivery.method is not DeliveryMethod.RELAY:
        return Target(delivery.destination, service)
    point = prepared.network.locations.get(delivery.pickup_location_id or "")
    if point is None:
        near = nearest(prepared.relay_points, delivery.destination, service.pickup_max_km, 1)
        if not near:
            return f"no relay point within {service.pickup_max_km:g} km of the customer"
        point = near[0][1]
    return Target(place_of(point), service, point)


class NodeJudge:
    """One order's view of the nodes: each one's Offer, or the first filter it fails and why."""

    def __init__(
        self,
        prepared: PromiseNetwork,
        lines: Sequence[OrderLine],
        now: datetime,
        atp: AtpView,
        capacity_left: Mapping[str, int | None],
        excluded: Mapping[str, frozenset[str]],
        rule_set: RuleSet,
        target: Target,
        timetable: Timetable | None = None,
    ) -> None:
        totals: dict[str, int] = {}
        for line in lines:
            totals[line.sku] = totals.get(line.sku, 0) + line.quantity
        cart = tuple(CartLine(line.sku, totals[line.sku]) for line in lines)
        self.context = PromiseContext(prepared, cart, now, atp, timetable)
        self.lines, self.atp, self.capacity_left = lines, atp, capacity_left
        self.excluded, self.rule_set, self.target = excluded, rule_set, target

    def judge(self, node: Location) -> Offer | Verdict:
        node_id = node.location_id
        if node_id in self.rule_set.excluded_locations:
            return Filter.EXCLUDED, f"excluded by rule set {self.rule_set.name}"
        in_store = self.target.pickup is not None and node_id == self.target.pickup.location_id
        verdict = self._capability(node, in_store)
        if verdict is not None:
            return verdict
        km = 0.0 if in_store else distance_km(self.context.prepared.places[node_id], self.target.to)
        limit = self.rule_set.max_distance_km
        if limit is not None and km > limit:
            return Filter.DISTANCE, f"{km:.0f} km away, beyond the {limit:g} km limit"
        capacity = self.capacity_left.get(node_id, node.daily_pick_capacity)
        if capacity is not None and capacity <= 0:
            return Filter.CAPACITY, "no daily pick capacity left"
        mask = self.context.mask(node_id)
        if not mask:
            return Filter.ATP, "no ATP for the whole of any line"
        mask = self._allowed(node_id, mask)
        if not mask:
            return Filter.EXCLUDED, "excluded by the order for every line it has the ATP for"
        return self._offer(node, mask, capacity, km, in_store)

    def line_exclusions(self, node_id: str) -> tuple[str, ...]:
        """Lines the node has the ATP for but the order excludes it from."""
        mask = self.context.mask(node_id)
        return tuple(
            line.line_id
            for index, line in enumerate(self.lines)
            if mask >> index & 1 and node_id in self.excluded.get(line.line_id, frozenset())
        )

    def _capability(self, node: Location, in_store: bool) -> Verdict | None:
        if in_store:
            return None  # resolve_target checked PICKUP
        if Capability.SHIP not in node.capabilities:
            return Filter.CAPABILITY, "cannot ship orders (no SHIP capability)"
        if self.target.service is None:
            return Filter.CAPABILITY, "the pickup store takes no parcels for pickup, only its own stock"
        return None

    def _allowed(self, node_id: str, mask: int) -> int:
        for index, line in enumerate(self.lines):
            if node_id in self.excluded.get(line.line_id, frozenset()):
                mask &= ~(1 << index)
        return mask

    def _offer(
        self, node: Location, mask: int, capacity: int | None, km: float, in_store: bool
    ) -> Offer | Verdict:
        node_id = node.location_id
        balance = {
            index: line.quantity / max(1, self.atp.get((line.sku, node_id), 0))
            for index, line in enumerate(self.lines)
            if mask >> index & 1
        }
        rank = self.rule_set.rank(node_id, node.kind.value)
        if in_store:
            ready = self.context.ready(node)
            if ready is None:
                return Filter.SERVICE, "not open to prepare the order within the search horizon"
            return Offer(
                node_id, rank, mask, capacity, 0, 0, node.pick_cost_cents, 0, 0.0, ready, ready, balance
            )
        service = self.target.service
        if service is None:  # unreachable: _capability refused the node
            return Filter.CAPABILITY, "no parcels possible to this pickup point"
        quote = self.context.quote(node, service, self.target.to)
        if isinstance(quote, str):
            return Filter.SERVICE, quote
        earliest, latest = self._at_point(quote.earliest), self._at_point(quote.latest)
        if earliest is None or latest is None:
            return Filter.SERVICE, "the pickup point does not open within the search horizon"
        return Offer(
            node_id, rank, mask, capacity, 1, quote.parcel_cents, quote.pick_cents, quote.co2e_grams,
            km, earliest, max(earliest, latest), balance,
        )  # fmt: skip

    def _at_point(self, arrival: datetime) -> datetime | None:
        pickup = self.target.pickup
        if pickup is None:
            return arrival
        return next_open(self.context.prepared.calendars[pickup.location_id], arrival)
