"""Where an order's parcels go for its delivery method, and by which carrier service.

Methods: HOME_* ship to the customer with the service of that name; RELAY ships to the relay point the
order names, else to the nearest one within the service's `pickup_max_km` of the customer; CLICK_COLLECT
hands over at the named store from its own stock (no parcel) and, when the store has RECEIVE_FOR_PICKUP
and a ship-to-store service is configured, from other nodes' parcels too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.carriers import CarrierService
from core.geo import Place
from core.network import Capability, Location
from core.promise_nodes import PromiseNetwork, nearest, place_of
from core.routing_types import Delivery, DeliveryMethod

METHOD_SERVICES: Mapping[DeliveryMethod, str] = {
    DeliveryMethod.HOME_STANDARD: "home_standard",
    DeliveryMethod.HOME_EXPRESS: "home_express",
    DeliveryMethod.RELAY: "relay",
}


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
