"""The associate's taps of `omnistock bench store`, timed: POST the action, poll the order until it shows.

Talks HTTP to one API over one keep-alive connection (the loop is sequential: one tap at a time, as
one associate's phone would). `Caller` is the port: a test passes a scripted fake, the bench `HttpApi`.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from omnistock.bench.store_flows import (
    FLOWS,
    Flow,
    Step,
    Timing,
    action_body,
    action_path,
    flow_of,
    order_id_of,
    reached,
    store_shipment,
)

POLL_S = 0.005  # the order is read back every 5 ms
STEP_TIMEOUT_S = 10.0  # a tap not seen by then is a failure, and its order goes no further


class Caller(Protocol):
    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]: ...


class HttpApi:
    """One keep-alive connection to the API on loopback; a dropped connection is reopened once (the
    store actions are idempotent, so a POST sent again changes nothing)."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout_s: float = 5.0) -> None:
        self._connection = http.client.HTTPConnection(host, port, timeout=timeout_s)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        for attempt in (1, 2):
            try:
                self._connection.request(method, path, body=data, headers=headers)
                answer = self._connection.getresponse()
                raw = answer.read()
                return answer.status, orjson.loads(raw) if raw else None
            except (http.client.HTTPException, OSError):
                self._connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._connection.close()


def _error(body: Any) -> str:
    return str(body.get("error")) if isinstance(body, dict) else "-"


def tap(
    api: Caller,
    flow: Flow,
    order_id: str,
    shipment_id: str,
    step: Step,
    poll_s: float = POLL_S,
    timeout_s: float = STEP_TIMEOUT_S,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> Timing:
    """POST the step's action, then GET the order every `poll_s` until it shows the step taken."""
    what = f"{flow.value} {step.action}"
    began = clock()
    path, body = action_path(shipment_id, step.action), action_body(shipment_id, step.action)
    status, answer = api.call("POST", path, body)
    answered = clock() - began
    if status != 202:
        return Timing(flow, step.action, answered, None, f"{what}: {status} {_error(answer)}")
    while clock() - began < timeout_s:
        code, order = api.call("GET", f"/v1/orders/{order_id}")
        if code == 200 and reached(order, shipment_id, step.expect):
            return Timing(flow, step.action, answered, clock() - began)
        sleep(poll_s)
    return Timing(flow, step.action, answered, None, f"{what}: not seen in {timeout_s:g} s")


def routed_shipment(
    api: Caller,
    order_id: str,
    timeout_s: float = STEP_TIMEOUT_S,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """The id of the order's REQUESTED shipment at the bench store, once routed; None at the timeout."""
    began = clock()
    while clock() - began < timeout_s:
        code, order = api.call("GET", f"/v1/orders/{order_id}")
        shipment = store_shipment(order) if code == 200 and isinstance(order, dict) else None
        if shipment is not None and shipment.get("status") == "REQUESTED":
            return str(shipment["shipment_id"])
        sleep(0.02)
    return None


def take_through(
    api: Caller,
    run: str,
    n: int,
    poll_s: float = POLL_S,
    timeout_s: float = STEP_TIMEOUT_S,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Timing]:
    """Every tap of the n-th order's flow, in order; a tap that fails ends the order there."""
    flow, order_id = flow_of(n), order_id_of(run, n)
    shipment_id = routed_shipment(api, order_id, timeout_s, clock, sleep)
    first = FLOWS[flow][0]
    if shipment_id is None:
        return [Timing(flow, first.action, 0.0, None, f"{flow.value}: the order never reached the store")]
    timings = []
    for step in FLOWS[flow]:
        timing = tap(api, flow, order_id, shipment_id, step, poll_s, timeout_s, clock, sleep)
        timings.append(timing)
        if timing.seen_s is None:
            break
    return timings
