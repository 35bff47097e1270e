"""The app factory: routes around an injected StockReader, JSON errors, HTTP metrics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

from fastapi import FastAPI
from fastapi.params import Depends
from prometheus_client import CollectorRegistry

from api.errors import install_error_handlers
from api.metrics import HttpMetrics, MetricsMiddleware
from api.responses import JsonResponse
from api.routes.availability import availability_router
from api.routes.ops import ops_router
from core.ports import StockReader


def _installed_version() -> str:
    try:
        return package_version("omnistock")
    except PackageNotFoundError:
        return "0.0.0+unknown"


DEFAULT_VERSION = _installed_version()
DESCRIPTION = (
    "Real-time stock availability of omnistock. Every error answers JSON "
    '`{"error": <snake_case code>, "message": <sentence>, ...}`.'
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    reader: StockReader,
    *,
    batch_max_skus: int = 500,
    registry: CollectorRegistry | None = None,
    version: str = DEFAULT_VERSION,
    clock: Callable[[], datetime] = _utc_now,
    guards: Sequence[Depends] = (),
) -> FastAPI:
    """Build the API around `reader`; nothing connects here, the caller owns the reader's lifetime.

    `registry` receives the HTTP metrics and is what /metrics exposes (a fresh one when None).
    `guards` are FastAPI dependencies run before every /v1 route: the seam for API keys and rate limits.
    """
    registry = registry if registry is not None else CollectorRegistry()
    app = FastAPI(
        title="omnistock API",
        description=DESCRIPTION,
        version=version,
        default_response_class=JsonResponse,
    )
    install_error_handlers(app)
    app.add_middleware(MetricsMiddleware, metrics=HttpMetrics(registry))
    app.include_router(
        availability_router(reader, batch_max_skus=batch_max_skus, clock=clock, dependencies=guards)
    )
    app.include_router(ops_router(reader, registry, version))
    return app
