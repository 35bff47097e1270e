"""The worker's /healthz and /readyz: alive while its loop turns, ready once it has joined and while
the store is there; /metrics beside them on the same port."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from wsgiref.util import setup_testing_defaults

import orjson
from prometheus_client import CollectorRegistry

from omnistock.worker_http import worker_http_app
from streams.metrics import WorkerMetrics
from streams.pulse import WorkerPulse


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _get(app: Any, path: str) -> tuple[str, bytes]:
    environ: dict[str, Any] = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    answer: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer["status"] = status

    body: Iterable[bytes] = app(environ, start_response)
    return answer["status"], b"".join(body)


def _started_pulse(clock: _Clock, stall_s: float = 120.0) -> WorkerPulse:
    pulse = WorkerPulse(stall_s, clock)
    pulse.partitions = lambda: 4
    pulse.start()
    return pulse


def test_a_worker_whose_loop_turns_is_alive_and_says_what_it_holds() -> None:
    clock = _Clock()
    pulse = _started_pulse(clock)
    clock.now += 30
    pulse.turned()
    health = pulse.health()
    assert health.live
    assert health.ready
    assert health.partitions == 4
    assert health.last_batch_age_s is None  # nothing applied yet


def test_a_loop_that_has_not_turned_for_longer_than_the_stall_bound_is_not_alive() -> None:
    clock = _Clock()
    pulse = _started_pulse(clock, stall_s=120)
    clock.now += 121
    assert not pulse.health().live
    pulse.turned()
    assert pulse.health().live


def test_a_worker_not_yet_started_or_with_its_store_lost_is_alive_but_not_ready() -> None:
    clock = _Clock()
    pulse = WorkerPulse(120, clock)
    assert pulse.health().live
    assert not pulse.health().ready
    pulse.start()
    pulse.store_lost = lambda: True
    health = pulse.health()
    assert health.live
    assert not health.ready
    assert health.store_lost


def test_the_last_batch_age_counts_from_the_start_until_a_batch_is_applied() -> None:
    clock = _Clock()
    pulse = _started_pulse(clock)
    clock.now += 50
    assert pulse.last_batch_age_s() == 50
    pulse.applied()
    clock.now += 7
    assert pulse.last_batch_age_s() == 7
    assert pulse.health().last_batch_age_s == 7


def test_the_probes_answer_200_while_healthy_and_503_with_the_reason_when_not() -> None:
    clock = _Clock()
    registry = CollectorRegistry()
    metrics = WorkerMetrics.create(registry, WorkerPulse(120, clock))
    app = worker_http_app(registry, metrics.pulse)

    status, body = _get(app, "/readyz")
    assert status.startswith("503")  # the feed has not started: not ready
    assert _get(app, "/healthz")[0].startswith("200")

    metrics.pulse.start()
    status, body = _get(app, "/readyz")
    assert status.startswith("200")
    assert orjson.loads(body)["partitions"] == 0

    clock.now += 500
    status, body = _get(app, "/healthz")
    assert status.startswith("503")
    assert orjson.loads(body)["last_turn_age_s"] == 500


def test_the_same_port_serves_the_metrics_with_the_time_since_the_last_batch() -> None:
    clock = _Clock()
    registry = CollectorRegistry()
    metrics = WorkerMetrics.create(registry, WorkerPulse(120, clock))
    metrics.pulse.start()
    clock.now += 42
    status, body = _get(worker_http_app(registry, metrics.pulse), "/metrics")
    assert status.startswith("200")
    assert b"omnistock_last_batch_age_seconds 42.0" in body
