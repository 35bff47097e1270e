"""HTTP metrics: a request counter and a latency histogram labelled by route template, never raw path."""

from __future__ import annotations

from time import perf_counter
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED_ROUTE = "unmatched"
REJECTION_REASONS = ("unauthorized", "forbidden", "rate_limited", "auth_throttled")
# Finer than the default buckets at the low end: the availability API aims at a few milliseconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class HttpMetrics:
    """The HTTP metrics of one app, registered in the registry it is given."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "omnistock_http_requests_total",
            "HTTP requests answered, by route template, method and status",
            ("route", "method", "status"),
            registry=registry,
        )
        self.duration = Histogram(
            "omnistock_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ("route",),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.rejected = Counter(
            "omnistock_http_rejected_total",
            "Requests refused before reaching a route, by reason (unauthorized, forbidden, rate_limited, "
            "auth_throttled)",
            ("reason",),
            registry=registry,
        )
        # Every reason shows from the start, at 0, so a rate() over it never starts from nothing.
        self._rejections = {reason: self.rejected.labels(reason) for reason in REJECTION_REASONS}
        # labels() validates and locks on each call; the label sets are few, so keep their children.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._timers: dict[str, Any] = {}

        self.streams_open = Gauge(
            "omnistock_sse_streams",
            "SSE streams open in this process (served by its one change-log reader)",
            registry=registry,
        )
        self.streams_ended = Counter(
            "omnistock_sse_streams_ended_total",
            "SSE streams the server ended, by reason (too_slow, store_unavailable, hub_failed)",
            ("reason",),
            registry=registry,
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.requests.labels(route, method, str(status))
        counter.inc()
        timer = self._timers.get(route)
        if timer is None:
            timer = self._timers[route] = self.duration.labels(route)
        timer.observe(seconds)

    def reject(self, reason: str) -> None:
        """Count a request refused for `reason`, one of REJECTION_REASONS (never a key or a client)."""
        self._rejections[reason].inc()


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/v1/availability/{sku}`), set in the scope by the router."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class MetricsMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware: it costs a task and a stream per request)."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = perf_counter()

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            self.metrics.observe(route_template(scope), scope["method"], status, perf_counter() - started)
