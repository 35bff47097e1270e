"""Ops routes: liveness, readiness (the store answers and holds its marker), the Prometheus exposition."""

from __future__ import annotations

import asyncio
from typing import Protocol

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.responses import Response

from api.errors import error_response
from api.responses import JsonResponse
from api.schemas import ErrorBody, Liveness, Readiness
from core.ports import StockReader

PING_TIMEOUT_S = 2.0


class StoreMarkerProbe(Protocol):
    """state.epoch.AsyncStoreMarker: is the marker of an initialised (or rebuilt) stock table there?"""

    async def present(self) -> bool: ...


async def _store_answers(reader: StockReader) -> bool:
    try:
        return await asyncio.wait_for(reader.ping(), PING_TIMEOUT_S)
    except Exception:  # any failure of the probe, a timeout included, means "not ready"
        return False


async def _marker_present(marker: StoreMarkerProbe | None) -> bool:
    if marker is None:
        return True
    try:
        return await asyncio.wait_for(marker.present(), PING_TIMEOUT_S)
    except Exception:  # unreachable: the ping check that runs first reports it
        return True


def ops_router(
    reader: StockReader, registry: CollectorRegistry, version: str, marker: StoreMarkerProbe | None = None
) -> APIRouter:
    """The unauthenticated routes an orchestrator and Prometheus call."""
    router = APIRouter(tags=["ops"])
    alive = {"status": "ok", "version": version}

    @router.get("/healthz", response_model=Liveness, summary="Liveness", description="200 while serving.")
    async def healthz() -> Response:
        return JsonResponse(alive)

    @router.get(
        "/readyz",
        response_model=Readiness,
        summary="Readiness",
        description="200 when the stock store answers a ping and holds its marker; 503 naming the failing "
        "dependency otherwise (`reason: store_lost`: Redis lost its data, run `omnistock rebuild`).",
        responses={503: {"model": ErrorBody, "description": "A dependency is not answering"}},
    )
    async def readyz() -> Response:
        if not await _store_answers(reader):
            message = "The stock store did not answer its ping."
            return error_response(503, "not_ready", message, {"dependency": "stock_store"})
        if not await _marker_present(marker):
            message = "The stock store lost its data (no store marker): run `omnistock rebuild`."
            return error_response(
                503, "not_ready", message, {"dependency": "stock_store", "reason": "store_lost"}
            )
        return JsonResponse({"status": "ready", "checks": {"stock_store": "ok"}})

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        description="Text exposition of the metrics (prefix `omnistock_`).",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}},
    )
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
