"""Availability routes: the figures of one sku or of many, read through the StockReader port."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.params import Depends
from starlette.responses import Response

from api.caching import HttpCaching
from api.errors import ApiError
from api.schemas import BatchAvailability, BatchRequest, ErrorBody, SkuAvailability, ValidationErrorBody
from api.timestamps import utc_iso
from core.ports import StockReader
from core.stock import LocationStock, SkuStock

_by_location_id = attrgetter("location_id")
_CACHING = (
    "Answers a weak ETag computed from the figures (not from `as_of`) and `Cache-Control: private, "
    "max-age=N`; a request whose If-None-Match holds the current ETag answers 304 without a body."
)
_IfNoneMatch = Annotated[str | None, Header(description="An ETag of a previous answer: 304 if unchanged")]
_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "The figures have not changed since the ETag given in If-None-Match"}
}
_STORE_DOWN: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "The stock store is not answering (Retry-After)"}
}
SKU_PATH = "/v1/availability/{sku}"
# sku, the location ids asked (None: all), If-None-Match -> the answer of GET /v1/availability/{sku}.
OneSku = Callable[[str, Collection[str] | None, str | None], Awaitable[Response]]


def _location_body(loc: LocationStock) -> dict[str, Any]:
    return {
        "location_id": loc.location_id,
        "on_hand": loc.on_hand,
        "in_transit": loc.in_transit,
        "reserved": loc.reserved,
        "allocated": loc.allocated,
        "safety_stock": loc.safety_stock,
        "atp": loc.atp,
        "online_atp": loc.online_atp,
    }


def sku_body(stock: SkuStock, as_of: str, location_ids: Collection[str] | None) -> dict[str, Any]:
    """The JSON of one sku; the network figures stay whole whatever the location filter."""
    net = stock.network
    locations = stock.locations
    if location_ids is not None:
        locations = tuple(loc for loc in locations if loc.location_id in location_ids)
    return {
        "sku": stock.sku,
        "as_of": as_of,
        "network": {
            "on_hand": net.on_hand,
            "in_transit": net.in_transit,
            "reserved": net.reserved,
            "allocated": net.allocated,
            "atp": net.atp,
        },
        "locations": [_location_body(loc) for loc in sorted(locations, key=_by_location_id)],
    }


def one_sku(reader: StockReader, clock: Callable[[], datetime], caching: HttpCaching) -> OneSku:
    """The answer of GET /v1/availability/{sku}: shared by its FastAPI route and api.routes.hot_get."""

    async def answer(sku: str, location_ids: Collection[str] | None, if_none_match: str | None) -> Response:
        as_of = utc_iso(clock())
        found = await reader.read_many((sku,))
        stock = found.get(sku)
        if stock is None:
            raise ApiError(404, "sku_not_found", f"No stock was ever recorded for sku {sku!r}.", sku=sku)
        wanted = frozenset(location_ids) if location_ids is not None else None
        return caching.answer(sku_body(stock, as_of, wanted), as_of, if_none_match)

    return answer


def availability_router(
    reader: StockReader,
    *,
    batch_max_skus: int,
    clock: Callable[[], datetime],
    caching: HttpCaching,
    dependencies: Sequence[Depends] = (),
    responses: Mapping[int | str, dict[str, Any]] | None = None,
) -> APIRouter:
    """The /v1/availability routes around `reader`; `dependencies` guard them, `responses` document that."""
    router = APIRouter(
        prefix="/v1/availability",
        tags=["availability"],
        dependencies=dependencies,
        responses=dict(responses or {}),
    )

    answer_one = one_sku(reader, clock, caching)

    def read_time() -> str:
        return utc_iso(clock())

    @router.get(
        "/{sku}",
        response_model=SkuAvailability,
        summary="Availability of one sku",
        description=f"Network and per-location figures of a sku; a sku never seen answers 404. {_CACHING}",
        responses={
            404: {"model": ErrorBody, "description": "The sku was never seen"},
            **_NOT_MODIFIED,
            **_STORE_DOWN,
        },
    )
    async def get_availability(
        sku: str,
        location_id: Annotated[
            list[str] | None, Query(description="Only these locations (repeatable); network stays whole")
        ] = None,
        if_none_match: _IfNoneMatch = None,
    ) -> Response:
        return await answer_one(sku, location_id, if_none_match)

    @router.post(
        "",
        response_model=BatchAvailability,
        summary="Availability of many skus",
        description=(
            f"The same figures for many skus in one read; duplicates are collapsed. More than "
            f"{batch_max_skus} skus (before collapsing) answers 413, naming the cap and the count received: "
            "a size limit, not a malformed request (which answers 422). A safe read despite POST: "
            "If-None-Match matching the current ETag answers 304 (not 412). " + _CACHING
        ),
        responses={
            **_NOT_MODIFIED,
            413: {"model": ErrorBody, "description": "More skus than the batch cap"},
            422: {"model": ValidationErrorBody, "description": "Empty list, empty string, unknown field"},
            **_STORE_DOWN,
        },
    )
    async def post_availability(request: BatchRequest, if_none_match: _IfNoneMatch = None) -> Response:
        received = len(request.skus)
        if received > batch_max_skus:
            message = f"A batch may ask for at most {batch_max_skus} skus; this one has {received}."
            raise ApiError(413, "batch_too_large", message, max_skus=batch_max_skus, received=received)
        skus = list(dict.fromkeys(request.skus))
        as_of = read_time()
        found = await reader.read_many(skus)
        wanted = frozenset(request.location_ids) if request.location_ids is not None else None
        items = [sku_body(found[sku], as_of, wanted) for sku in skus if sku in found]
        not_found = [sku for sku in skus if sku not in found]
        body = {"as_of": as_of, "items": items, "not_found": not_found}
        return caching.answer(body, as_of, if_none_match)

    return router
