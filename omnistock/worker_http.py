"""The worker's HTTP port: /metrics for Prometheus, /healthz and /readyz for Kubernetes probes.

One small threaded WSGI server (as prometheus_client's own), so the probes answer while the event
loop is busy with a batch: they read the worker's pulse, never Redis or the broker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import orjson
from prometheus_client import CollectorRegistry, make_wsgi_app

from streams.pulse import WorkerPulse

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Scrapes and probes every few seconds would flood the worker's log."""


def worker_http_app(registry: CollectorRegistry, pulse: WorkerPulse) -> WsgiApp:
    """/healthz: 200 while the loop turns (else 503: restart me); /readyz: 200 once the feed has
    started and while the store is not lost; both answer the pulse as JSON. Anything else: metrics."""
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path not in ("/healthz", "/readyz"):
            answer: Iterable[bytes] = metrics(environ, start_response)
            return answer
        health = pulse.health()
        ok = health.live if path == "/healthz" else health.live and health.ready
        body = orjson.dumps(health.as_dict())
        status = "200 OK" if ok else "503 Service Unavailable"
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def serve_worker_http(host: str, port: int, registry: CollectorRegistry, pulse: WorkerPulse) -> WSGIServer:
    """Serve on `host`:`port` in a daemon thread (it ends with the process); returns the server."""
    server = make_server(
        host, port, worker_http_app(registry, pulse), _ThreadingServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="worker-http", daemon=True).start()
    return server
