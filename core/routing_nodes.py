"""Each node through the routing filters for one order: its Offer, or the first filter it fails and why.

Routing may mix the pickup store's own stock with parcels shipped in (unlike the promise): the score
decides, and the customer collects when the last parcel is in. A pickup date is the point's next
opening after arrival. Each line is judged on its own quantity; lines of one sku (a bundle) share a
node's ATP for it, which its Offer carries (`bundles`) so the search never gives a node more of them
than the ATP covers together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from core.allocation import OrderLine
from core.calendar import next_open
from core.geo import Place, distance_km
from core.network import Capability, Location, LocationKind
from core.promise_nodes import AtpView, PromiseContext, PromiseNetwork, Timetable
from core.promise_types import CartLine
from core.routing_offers import Offer
from core.routing_rules import RuleSet
from core.routing_target import Target
from core.routing_types import Candidate, Filter, excluded_candidate

Verdict = tuple[Filter, str]


class Frame:
    """What one rule set makes of the nodes for one kind of target, the same for every order of a batch:
    the candidates (every node but relay points, by id), the verdicts no order can change (the rule
    set's exclusions, capability) as ready-made candidates, each node's rank, and the distance from each
    node still to judge to every destination seen. Kept in the batch's Timetable (see `frame_of`)."""

    __slots__ = ("rule_set", "nodes", "verdicts", "fixed", "ranks", "open", "km", "at_point")

    def __init__(self, prepared: PromiseNetwork, rule_set: RuleSet, target: Target) -> None:
        self.rule_set = rule_set
        located = sorted(prepared.network.locations.values(), key=lambda location: location.location_id)
        self.nodes = [node for node in located if node.kind is not LocationKind.RELAY_POINT]
        self.ranks = {
            node.location_id: rule_set.rank(node.location_id, node.kind.value) for node in self.nodes
        }
        self.verdicts: dict[str, Verdict] = {}  # node id -> its verdict, whatever the order
        self.fixed: dict[str, Candidate] = {}  # the same as candidates
        for node in self.nodes:
            verdict = _fixed_verdict(node, rule_set, target)
            if verdict is not None:
                node_id = node.location_id
                self.verdicts[node_id] = verdict
                self.fixed[node_id] = excluded_candidate(node_id, verdict, self.ranks[node_id])
        pickup = target.pickup.location_id if target.pickup is not None else None
        self.open = [n for n in self.nodes if n.location_id not in self.fixed and n.location_id != pickup]
        self.km: dict[tuple[float, float], list[float]] = {}  # destination -> km of each open node
        self.at_point: dict[datetime, datetime | None] = {}  # parcel arrival -> pickup point's opening

    def distances(self, prepared: PromiseNetwork, to: Place) -> list[float]:
        """The distance of each node of `open` to `to`."""
        key = (to.lat, to.lon)
        km = self.km.get(key)
        if km is None:
            km = self.km[key] = [distance_km(prepared.places[n.location_id], to) for n in self.open]
        return km


def frame_of(timetable: Timetable, rule_set: RuleSet, target: Target) -> Frame:
    """The batch's frame for this rule set and target kind (made on first use)."""
    pickup = target.pickup.location_id if target.pickup is not None else None
    key = ("routing-frame", id(rule_set), target.service is None, pickup)
    frame = timetable.routing.get(key)
    if not isinstance(frame, Frame) or frame.rule_set is not rule_set:  # the frame keeps its rule set
        frame = Frame(timetable.prepared, rule_set, target)  # alive, so its id is not reused meanwhile
        timetable.routing[key] = frame
    return frame


def _fixed_verdict(node: Location, rule_set: RuleSet, target: Target) -> Verdict | None:
    """The verdict of the filters that do not depend on the order, tried in Filter order."""
    if node.location_id in rule_set.excluded_locations:
        return Filter.EXCLUDED, f"excluded by rule set {rule_set.name}"
    if target.pickup is not None and node.location_id == target.pickup.location_id:
        return None  # in store: resolve_target checked PICKUP
    if Capability.SHIP not in node.capabilities:
        return Filter.CAPABILITY, "cannot ship orders (no SHIP capability)"
    if target.service is None:
        return Filter.CAPABILITY, "the pickup store takes no parcels for pickup, only its own stock"
    return None


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
        by_sku: dict[str, list[int]] = {}
        for index, line in enumerate(lines):
            by_sku.setdefault(line.sku, []).append(index)
        self.repeated = [indexes for indexes in by_sku.values() if len(indexes) > 1]  # bundles
        cart = tuple(CartLine(line.sku, line.quantity) for line in lines)
        self.context = PromiseContext(prepared, cart, now, atp, timetable)
        self.lines, self.atp, self.capacity_left = lines, atp, capacity_left
        self.rule_set, self.target = rule_set, target
        self.frame = frame_of(self.context.timetable, rule_set, target)
        self.barred: dict[str, int] = {}  # node id -> the lines the order excludes it from (bits)
        for index, line in enumerate(lines):
            for node_id in excluded.get(line.line_id, ()):
                self.barred[node_id] = self.barred.get(node_id, 0) | 1 << index

    def judge_all(self) -> dict[str, Offer | Verdict]:
        """Every candidate node's verdict, by id."""
        frame, fixed = self.frame, self.frame.verdicts
        judged: dict[str, Offer | Verdict] = {}
        km = frame.distances(self.context.prepared, self.target.to)
        for node, distance in zip(frame.open, km, strict=True):
            judged[node.location_id] = self._judge(node, distance, False)
        pickup = self.target.pickup
        if pickup is not None and pickup.location_id in frame.ranks and pickup.location_id not in fixed:
            judged[pickup.location_id] = self._judge(pickup, 0.0, True)
        return {
            node.location_id: fixed.get(node.location_id) or judged[node.location_id] for node in frame.nodes
        }

    def _judge(self, node: Location, km: float, in_store: bool) -> Offer | Verdict:
        node_id = node.location_id
        limit = self.rule_set.max_distance_km
        if limit is not None and km > limit:
            return Filter.DISTANCE, f"{km:.0f} km away, beyond the {limit:g} km limit"
        capacity = self.capacity_left.get(node_id, node.daily_pick_capacity)
        if capacity is not None and capacity <= 0:
            return Filter.CAPACITY, "no daily pick capacity left"
        mask = self.context.mask(node_id)
        if not mask:
            return Filter.ATP, "no ATP for the whole of any line"
        mask &= ~self.barred.get(node_id, 0)
        if not mask:
            return Filter.EXCLUDED, "excluded by the order for every line it has the ATP for"
        return self._offer(node, mask, capacity, km, in_store)

    def line_exclusions(self, node_id: str) -> tuple[str, ...]:
        """Lines the node has the ATP for but the order excludes it from."""
        both = self.context.mask(node_id) & self.barred.get(node_id, 0)
        return tuple(line.line_id for index, line in enumerate(self.lines) if both >> index & 1)

    def _offer(
        self, node: Location, mask: int, capacity: int | None, km: float, in_store: bool
    ) -> Offer | Verdict:
        node_id = node.location_id
        balance = {
            index: line.quantity / max(1, self.atp.get((line.sku, node_id), 0))
            for index, line in enumerate(self.lines)
            if mask >> index & 1
        }
        rank = self.frame.ranks[node_id]
        if in_store:
            ready = self.context.ready(node)
            if ready is None:
                return Filter.SERVICE, "not open to prepare the order within the search horizon"
            return Offer(
                location_id=node_id,
                rank=rank,
                mask=mask,
                capacity=capacity,
                parcels=0,
                parcel_cents=0,
                pick_cents=node.pick_cost_cents,
                co2e_grams=0,
                km=0.0,
                earliest=ready,
                latest=ready,
                balance=balance,
                bundles=self._bundles(node_id, mask),
            )
        service = self.target.service
        if service is None:  # unreachable: _fixed_verdict refused the node
            return Filter.CAPABILITY, "no parcels possible to this pickup point"
        terms = self.context.terms(node, service, self.target.to, km)
        if isinstance(terms, str):
            return Filter.SERVICE, terms
        parcel_cents, arrives, arrives_latest, co2e_grams = terms
        earliest, latest = self._at_point(arrives), self._at_point(arrives_latest)
        if earliest is None or latest is None:
            return Filter.SERVICE, "the pickup point does not open within the search horizon"
        return Offer(
            location_id=node_id,
            rank=rank,
            mask=mask,
            capacity=capacity,
            parcels=1,
            parcel_cents=parcel_cents,
            pick_cents=node.pick_cost_cents,
            co2e_grams=co2e_grams,
            km=km,
            earliest=earliest,
            latest=max(earliest, latest),
            balance=balance,
            bundles=self._bundles(node_id, mask),
        )

    def _bundles(self, node_id: str, mask: int) -> tuple[tuple[int, dict[int, int]], ...]:
        """Per repeated sku of which the node serves two lines or more: its ATP, and those lines."""
        bundles = []
        for indexes in self.repeated:
            served = {i: self.lines[i].quantity for i in indexes if mask >> i & 1}
            if len(served) > 1:
                bundles.append((self.atp.get((self.lines[indexes[0]].sku, node_id), 0), served))
        return tuple(bundles)

    def _at_point(self, arrival: datetime) -> datetime | None:
        pickup = self.target.pickup
        if pickup is None:
            return arrival
        memo = self.frame.at_point
        if arrival not in memo:
            memo[arrival] = next_open(self.context.prepared.calendars[pickup.location_id], arrival)
        return memo[arrival]
