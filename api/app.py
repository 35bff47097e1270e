"""The app factory: routes around an injected StockReader, JSON errors, HTTP metrics, access, caching."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from math import ceil
from time import monotonic

from fastapi import FastAPI
from fastapi.params import Depends
from prometheus_client import CollectorRegistry

from api.access import AccessPolicy
from api.auth import SCOPE_AVAILABILITY_READ, SCOPE_ORDERS_READ, ApiKeyTable
from api.body_limit import BodyLimitMiddleware
from api.body_timeout import BodyTimeoutMiddleware
from api.caching import HttpCaching
from api.change_hub import ChangeFeed
from api.errors import install_error_handlers
from api.metrics import HttpMetrics, MetricsMiddleware
from api.promise_desk import PromiseDesk
from api.rate_limit import RateLimiter
from api.request_log import RequestLogMiddleware
from api.responses import JsonResponse
from api.routes.availability import availability_router, one_sku
from api.routes.hot_get import hot_get_route
from api.routes.ops import StoreMarkerProbe, ops_router
from api.routes.orders import OrderReader, orders_router
from api.routes.promises import promises_router
from api.routes.store_page import store_page_router
from api.routes.stores import StoreRoutes, stores_router
from api.routes.stream import DEFAULT_LIMITS, StreamLimits, stream_router
from api.store_access import StoreGuard
from core.network import Network
from core.ports import StockReader
from core.publishing import EventPublisher
from core.store_queue import StoreQueueReader
from state.store_desk import StoreDesk


def _installed_version() -> str:
    try:
        return package_version("omnistock")
    except PackageNotFoundError:
        return "0.0.0+unknown"


DEFAULT_VERSION = _installed_version()
DESCRIPTION = (
    "Real-time stock availability of omnistock. Every error answers JSON "
    '`{"error": <snake_case code>, "message": <sentence>, ...}`. When the deployment configures API keys, '
    "the /v1 routes need one in the `X-API-Key` header, with the route's scope (401 without a valid key, "
    "403 without the scope); a rate limit per key, kept by each API process, answers 429 with Retry-After. "
    "/healthz, /readyz and /metrics stay open."
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
    api_keys: Mapping[str, Collection[str]] | None = None,
    rate_limit_per_s: float | None = None,
    rate_burst: int | None = None,
    rate_clock: Callable[[], float] = monotonic,
    auth_failures_per_min: int | None = None,
    body_timeout_s: float | None = None,
    cache_max_age_s: int = 1,
    change_stream: ChangeFeed | None = None,
    stream_limits: StreamLimits = DEFAULT_LIMITS,
    promises: PromiseDesk | None = None,
    orders: OrderReader | None = None,
    store_marker: StoreMarkerProbe | None = None,
    store_queue: StoreQueueReader | None = None,
    desk: StoreDesk | None = None,
    publisher: EventPublisher | None = None,
    network: Callable[[], Network] | None = None,
    max_body_bytes: int | None = None,
    access_log: bool = False,
) -> FastAPI:
    """Build the API around `reader`; nothing connects here, the caller owns the reader's lifetime.

    `registry` receives the HTTP metrics and is what /metrics exposes (a fresh one when None).
    `api_keys` (key -> scopes, see api.auth.parse_api_keys): None leaves the API open (dev); a mapping,
    even an empty one, requires a key on every /v1 route. `rate_limit_per_s` (None: no limit) and
    `rate_burst` (default: one second's worth) bound each key, or each client address when open, in
    this process; `rate_clock` is a monotonic clock in seconds. `auth_failures_per_min` (None: no
    bound): wrong keys a minute from one client address, then 429 to all its requests until one more
    try is due. `body_timeout_s` (None: no bound): a request body not all in by then answers 408.
    `cache_max_age_s` goes in Cache-Control. `max_body_bytes` (None: no bound): a larger body answers
    413 before it is read. Every answer carries X-Request-ID (the client's, or a new one);
    `access_log` logs each request as one JSON line (logger omnistock.access).
    `guards` are extra FastAPI dependencies run before every /v1 route, after the key and rate checks.
    `change_stream` (state.change_stream.AsyncChangeStream) feeds GET /v1/availability/stream, which
    answers 503 without one; `stream_limits` caps its skus and sets its timings. `promises` answers
    POST /v1/promises (503 without one); it reads the same stock, with the availability scope.
    `orders` (state.order_reader.AsyncRedisOrderReader) answers GET /v1/orders/{order_id} (503 without
    one), with its own scope `orders:read`: an order shows more than stock, so a storefront's
    availability key does not read orders unless the deployment gives it that scope too.
    The store routes (/v1/stores, tag "stores") read `store_queue` (state.store_queue), record what
    they publish on `desk` (state.store_desk), publish through `publisher` (streams.event_publisher)
    and know the stores from `network` (names, time zones, capacity, coordinates); a missing one
    answers 503. A key acts for the stores of its `store:<location_id>` scopes, or all with `store:*`.
    """
    registry = registry if registry is not None else CollectorRegistry()
    metrics = HttpMetrics(registry)
    access = _access_policy(metrics, api_keys, rate_limit_per_s, rate_burst, rate_clock)
    if auth_failures_per_min:  # wrong keys from one client: burst N, then one more every 60/N s
        access.failures = RateLimiter(auth_failures_per_min / 60.0, auth_failures_per_min, rate_clock)
    app = FastAPI(
        title="omnistock API",
        description=DESCRIPTION,
        version=version,
        default_response_class=JsonResponse,
        # Its native OpenTelemetry asks the global providers on every request; omnistock exports
        # Prometheus metrics (MetricsMiddleware) and configures no OpenTelemetry.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_error_handlers(app)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    if body_timeout_s is not None:
        app.add_middleware(BodyTimeoutMiddleware, timeout_s=body_timeout_s)
    if max_body_bytes is not None:
        app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(RequestLogMiddleware, access_log=access_log)  # the outermost: every answer has an id
    availability_guards = [*access.guards(SCOPE_AVAILABILITY_READ), *guards]
    # Before the availability routes: their /{sku} would take "stream" for a sku.
    app.include_router(
        stream_router(
            change_stream,
            limits=stream_limits,
            metrics=metrics,
            dependencies=availability_guards,
            responses=access.responses(),
        )
    )
    caching = HttpCaching(cache_max_age_s)
    if not guards:  # extra guards are FastAPI dependencies: only the FastAPI route can run them
        app.router.routes.append(
            hot_get_route(one_sku(reader, clock, caching), lambda r: access.admit(r, SCOPE_AVAILABILITY_READ))
        )
    app.include_router(
        availability_router(
            reader,
            batch_max_skus=batch_max_skus,
            clock=clock,
            caching=caching,
            dependencies=availability_guards,
            responses=access.responses(),
        )
    )
    app.include_router(
        promises_router(promises, clock=clock, dependencies=availability_guards, responses=access.responses())
    )
    app.include_router(
        orders_router(
            orders,
            dependencies=[*access.guards(SCOPE_ORDERS_READ), *guards],
            responses=access.responses(),
        )
    )
    app.include_router(
        stores_router(
            StoreRoutes(store_queue, desk, publisher, network, reader),
            StoreGuard(access),
            clock,
            responses=access.responses(),
        )
    )
    app.include_router(ops_router(reader, registry, version, store_marker))
    app.include_router(store_page_router())  # the store associate's page: static, the page sends the key
    return app


def _access_policy(
    metrics: HttpMetrics,
    api_keys: Mapping[str, Collection[str]] | None,
    rate_limit_per_s: float | None,
    rate_burst: int | None,
    rate_clock: Callable[[], float],
) -> AccessPolicy:
    keys = ApiKeyTable(api_keys) if api_keys is not None else None
    limiter = None
    if rate_limit_per_s is not None:
        burst = rate_burst if rate_burst is not None else max(1, ceil(rate_limit_per_s))
        limiter = RateLimiter(rate_limit_per_s, burst, rate_clock)
    return AccessPolicy(keys, limiter, metrics)
