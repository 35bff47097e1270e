"""POST /v1/promises: every delivery method that can serve a cart, with dates, price, CO2e and plan."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.params import Depends

from api.errors import ApiError
from api.promise_desk import PromiseDesk, UnknownPostcode
from api.promise_schemas import PromiseAnswer, PromiseRequest
from api.responses import JsonResponse
from api.schemas import ErrorBody, ValidationErrorBody
from api.timestamps import utc_iso
from core.promise_types import CartLine, PromiseOption, PromiseResult

_DESCRIPTION = (
    "For a cart and a destination, one option per delivery method that can serve the whole cart: the "
    "shipments (which location sends which lines), earliest and latest delivery or ready-for-pickup "
    "time (ISO-8601 in the receiving place's time zone), price, CO2e and parcels; options are labelled "
    "cheapest / fastest / greenest. Lines no location has the ATP for are listed in `unserved`. "
    "Stock is live: what online channels may take now. `?explain=true` adds, per option, every node "
    "or pickup point considered and why it lost. A postcode not in the lookup table answers 422 "
    "(`unknown_postcode`), a method the network does not offer 422 (`unknown_method`)."
)


def promises_router(
    desk: PromiseDesk | None,
    *,
    clock: Callable[[], datetime],
    dependencies: Sequence[Depends] = (),
    responses: Mapping[int | str, dict[str, Any]] | None = None,
) -> APIRouter:
    """The promise route; without a desk (no carrier services configured) it answers 503."""
    router = APIRouter(prefix="/v1/promises", tags=["promise"], dependencies=dependencies)

    @router.post(
        "",
        response_model=PromiseAnswer,
        summary="Delivery promise of a cart",
        description=_DESCRIPTION,
        responses={
            **dict(responses or {}),
            413: {"model": ErrorBody, "description": "More lines than the cap (too_many_items)"},
            422: {"model": ValidationErrorBody, "description": "Malformed cart or destination"},
            503: {"model": ErrorBody, "description": "No carrier services configured, or store down"},
        },
    )
    async def post_promise(
        request: PromiseRequest,
        explain: Annotated[bool, Query(description="Add the nodes considered and why they lost")] = False,
    ) -> JsonResponse:
        prepared = desk.prepared() if desk is not None else None
        if desk is None or prepared is None:
            raise ApiError(503, "promise_unavailable", "The network describes no carrier services.")
        methods = _methods(request.methods, desk.methods())
        where = request.destination
        try:
            to = desk.destination(where.postcode, where.lat, where.lon, where.timezone)
        except UnknownPostcode:
            message = f"The postcode {where.postcode!r} is not in the lookup table."
            raise ApiError(422, "unknown_postcode", message, postcode=where.postcode) from None
        lines = [CartLine(line.sku, line.quantity) for line in request.lines]
        now = clock()
        result = await desk.promise(prepared, lines, to, now, methods, explain)
        destination = {**where.model_dump(), "lat": to.lat, "lon": to.lon, "timezone": to.timezone}
        return JsonResponse(answer_body(result, now, prepared.network.version, destination))

    return router


def _methods(asked: list[str] | None, known: Sequence[str]) -> frozenset[str] | None:
    """The methods asked, by their service id (HOME_STANDARD is home_standard); 422 for unknown ones."""
    if asked is None:
        return None
    wanted = frozenset(name.lower() for name in asked)
    unknown = sorted(wanted - set(known))
    if unknown:
        message = f"Unknown delivery methods {unknown}; this network offers {list(known)}."
        raise ApiError(422, "unknown_method", message, unknown=unknown, known=list(known))
    return wanted


def answer_body(
    result: PromiseResult, now: datetime, version: str, destination: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "as_of": utc_iso(now),
        "network_version": version,
        "destination": destination,
        "options": [_option_body(option) for option in result.options],
        "unserved": [{"sku": line.sku, "quantity": line.quantity} for line in result.unserved],
    }


def _option_body(option: PromiseOption) -> dict[str, Any]:
    zone = ZoneInfo(option.timezone)
    body: dict[str, Any] = {
        "method": option.method,
        "kind": option.kind,
        "labels": list(option.labels),
        "earliest": option.earliest.astimezone(zone).isoformat(),
        "latest": option.latest.astimezone(zone).isoformat(),
        "timezone": option.timezone,
        "price_cents": option.price_cents,
        "co2e_grams": option.co2e_grams,
        "parcels": option.parcels,
        "pickup_location_id": option.pickup_location_id,
        "ship_to_store": option.ship_to_store,
        "shipments": [
            {
                "location_id": shipment.location_id,
                "lines": [{"sku": line.sku, "quantity": line.quantity} for line in shipment.lines],
            }
            for shipment in option.shipments
        ],
    }
    if option.considered:
        body["considered"] = [{"location_id": v.location_id, "reason": v.reason} for v in option.considered]
    return body
