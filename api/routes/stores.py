"""The store associate's routes: the stores a key acts for, a store's queue of shipments, the actions
on a shipment (published as fulfillment.updates.v1), a sku here and nearby, and a quick count."""

# No `from __future__ import annotations`: FastAPI reads the routes' Annotated guards, made per app.
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from api.errors import ApiError
from api.responses import JsonResponse
from api.schemas import ErrorBody
from api.store_access import StoreGuard, StoreReach
from api.store_counter import STALE_AFTER_MS, ActionRequest, StoreCounter, counted
from api.store_schemas import (
    ActionAnswer,
    CountAnswer,
    CountBody,
    RejectBody,
    ShippedBody,
    StockLookup,
    StoreQueue,
    StoresAnswer,
)
from api.store_views import STORE_KINDS, local_day, queue_cards, stock_lookup, store_entry
from api.timestamps import utc_iso
from core.network import Location, Network
from core.order_types import ShipmentStatus
from core.ports import StockReader
from core.publishing import EventPublisher
from core.store_actions import StoreAction
from core.store_queue import OpenShipment, StoreQueueReader
from state.store_desk import StoreDesk

M = TypeVar("M", bound=BaseModel)
_ACTION_DESCRIPTION = (
    "Publishes the action as a fulfillment.updates.v1 event (key order_id) and answers 202 once the "
    "broker has it. The event id is `store:{shipment_id}:{STATUS}` (a partial reject adds its sorted line "
    "ids): the same action again answers 202 with the same id and `duplicate: true`, publishing nothing. "
    'Bodies: reject `{"reason": NOT_FOUND|DAMAGED|STORE_BUSY|OTHER, "line_ids": [...]?}`; shipped '
    '`{"tracking_number": "1..64 chars"}`; accept, picked, ready and collected take none. 409 '
    "`action_not_allowed` says why, with the current `status` and the `allowed` actions; 503 "
    "`publish_failed`: nothing was recorded, the retry is safe."
)


def _now_ms(clock: Callable[[], datetime]) -> int:
    return int(clock().timestamp() * 1000)


def _body(model: type[M], raw: Mapping[str, Any] | None) -> M:
    """The body as `model`, or a 422 in the API's shape (FastAPI's own handler words it)."""
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as error:
        errors = [{**err, "loc": ("body", *err["loc"])} for err in error.errors(include_url=False)]
        raise RequestValidationError(errors) from None


class StoreRoutes:
    """The dependencies of the store routes; one missing answers 503, as the order route does."""

    def __init__(
        self,
        queue: StoreQueueReader | None,
        desk: StoreDesk | None,
        publisher: EventPublisher | None,
        network: Callable[[], Network] | None,
        reader: StockReader,
    ) -> None:
        self.queue, self.desk, self.publisher, self.network, self.reader = (
            queue,
            desk,
            publisher,
            network,
            reader,
        )

    def current_network(self) -> Network:
        if self.network is None:
            raise ApiError(503, "stores_unavailable", "This API serves no network: it knows no stores.")
        return self.network()

    def location(self, location_id: str) -> Location:
        location = self.current_network().locations.get(location_id)
        if location is None:
            message = f"No location {location_id} in the network."
            raise ApiError(404, "unknown_location", message, location_id=location_id)
        return location

    def queue_reader(self) -> StoreQueueReader:
        if self.queue is None:
            raise ApiError(503, "stores_unavailable", "This API serves no store queue.")
        return self.queue

    async def published(self, opens: Sequence[OpenShipment], now_ms: int) -> list[ShipmentStatus | None]:
        """The last status the API published, or is publishing, for each shipment (none without a desk)."""
        if self.desk is None:
            return [None] * len(opens)
        marks = await self.desk.marks([(o.order.order_id, o.shipment.shipment_id) for o in opens])
        return [counted(mark, now_ms, STALE_AFTER_MS) for mark in marks]

    def counter(self) -> StoreCounter:
        if self.desk is None or self.publisher is None:
            raise ApiError(503, "stores_unavailable", "This API cannot publish store actions.")
        return StoreCounter(self.queue_reader(), self.desk, self.publisher)


def stores_router(
    routes: StoreRoutes,
    guard: StoreGuard,
    clock: Callable[[], datetime],
    responses: Mapping[int | str, dict[str, Any]] | None = None,
) -> APIRouter:
    router = APIRouter(prefix="/v1/stores", tags=["stores"])
    refusals = {
        **dict(responses or {}),
        403: {"model": ErrorBody, "description": "The API key does not act for this store"},
        404: {"model": ErrorBody, "description": "Unknown location (or shipment, or sku)"},
        503: {"model": ErrorBody, "description": "The store's data or the broker is not available"},
    }
    at_store = Annotated[StoreReach, Depends(guard.at_location())]

    @router.get(
        "",
        response_model=StoresAnswer,
        summary="The stores this API key acts for",
        description="Every STORE and DARK_STORE of the network for a `store:*` key (or an open API); "
        "the key's own stores for `store:<location_id>` keys.",
        responses=refusals,
    )
    async def list_stores(reach: Annotated[StoreReach, Depends(guard.reach())]) -> JsonResponse:
        network = routes.current_network()
        stores = [
            store_entry(location)
            for location_id, location in sorted(network.locations.items())
            if location.kind in STORE_KINDS and reach.covers(location_id)
        ]
        return JsonResponse({"stores": stores})

    @router.get(
        "/{location_id}/shipments",
        response_model=StoreQueue,
        summary="The store's queue: shipments to prepare, most urgent first",
        description="The shipments routed to the store and not yet shipped or collected, with their "
        "effective status (the last action published counts before the worker has applied it: then "
        "`pending` is true), lines, deadlines and allowed actions, sorted by `due_at`; and today's "
        "pick capacity used, in the store's own date.",
        responses=refusals,
    )
    async def store_queue(location_id: str, _: at_store) -> JsonResponse:
        location = routes.location(location_id)
        queue = routes.queue_reader()
        now_ms = _now_ms(clock)
        opens = await queue.open_shipments(location_id)
        published = await routes.published(opens, now_ms)
        day = local_day(location, now_ms)
        capacity = {
            "day": day,
            "used": await queue.capacity_used(location_id, day),
            "daily": location.daily_pick_capacity,
        }
        return JsonResponse(
            {
                "location_id": location_id,
                "name": location.name,
                "timezone": location.timezone,
                "as_of": utc_iso(clock()),
                "capacity": capacity,
                "shipments": queue_cards(opens, published, now_ms),
            }
        )

    @router.post(
        "/{location_id}/shipments/{shipment_id}/{action}",
        status_code=202,
        response_model=ActionAnswer,
        summary="Act on a shipment: accept, reject, picked, shipped, ready or collected",
        description=_ACTION_DESCRIPTION,
        responses={
            **refusals,
            409: {"model": ErrorBody, "description": "The shipment's status does not allow the action"},
        },
    )
    async def act(
        location_id: str,
        shipment_id: str,
        action: StoreAction,
        _: at_store,
        body: Annotated[dict[str, Any] | None, Body()] = None,
    ) -> JsonResponse:
        routes.location(location_id)
        asked = ActionRequest(location_id, shipment_id, action)
        if action is StoreAction.REJECT:
            reject = _body(RejectBody, body)
            asked = ActionRequest(location_id, shipment_id, action, reject.reason, reject.line_ids)
        elif action is StoreAction.SHIPPED:
            shipped = _body(ShippedBody, body)
            asked = ActionRequest(location_id, shipment_id, action, tracking_number=shipped.tracking_number)
        answer = await routes.counter().act(asked, _now_ms(clock))
        return JsonResponse(answer, status_code=202)

    @router.get(
        "/{location_id}/stock/{sku}",
        response_model=StockLookup,
        summary="A sku at this store and at the nearest stores that have some",
        description="The sku's figures here (null when never seen here) and the nearest other stores "
        "with atp > 0, nearest first, at most `nearby`. A sku never seen answers 404 `sku_not_found`.",
        responses=refusals,
    )
    async def stock_here_and_nearby(
        location_id: str, sku: str, _: at_store, nearby: Annotated[int, Query(ge=1, le=20)] = 5
    ) -> JsonResponse:
        location = routes.location(location_id)
        network = routes.current_network()
        found = (await routes.reader.read_many([sku])).get(sku)
        if found is None:
            raise ApiError(404, "sku_not_found", f"No sku {sku!r} is known.", sku=sku)
        here, near = stock_lookup(network, location, found, nearby)
        return JsonResponse({"sku": sku, "as_of": utc_iso(clock()), "here": here, "nearby": near})

    @router.post(
        "/{location_id}/counts",
        status_code=202,
        response_model=CountAnswer,
        summary="A quick count of a sku on the shelf",
        description="Publishes stock.counts.v1 (key location_id) with the units counted now. The event id "
        "is `count:{location_id}:{count_id}`: the same count_id again publishes nothing (`duplicate`).",
        responses=refusals,
    )
    async def count(location_id: str, body: CountBody, _: at_store) -> JsonResponse:
        routes.location(location_id)
        answer = await routes.counter().count(
            location_id, body.sku, body.on_hand, body.count_id, _now_ms(clock)
        )
        return JsonResponse(answer, status_code=202)

    return router
