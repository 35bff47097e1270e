"""Runs a simulation in real time: its clock `3600 / sim_hour_s` times faster, events sent at a rate."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import orjson

from omnistock.sim.clock import WallStamps
from omnistock.sim.events import Item

if TYPE_CHECKING:
    from omnistock.sim.simulation import Simulation

MAX_DEMAND_SCALE = 25.0
MAX_BACKLOG_S = 2.0  # with a backlog to watch: the worker may be this many seconds of events behind


def run_simulation(
    simulation: Simulation,
    producer_send: Callable[[str, bytes, bytes], None],
    rate: float,
    duration: float | None = None,
    stop_event: threading.Event | None = None,
    *,
    start: datetime | None = None,
    initial_stock: bool = True,
    seed: int | None = None,
    tick_s: float = 0.05,
    clock: Callable[[], float] = time.monotonic,
    backlog: Callable[[], int] | None = None,
    max_backlog_s: float = MAX_BACKLOG_S,
    wall_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
) -> int:
    """Send simulated events at `rate` per real second until `duration` or `stop_event`; returns how many.

    The simulated clock starts at `start` (default: now) and runs `3600 / simulation.sim_hour_s` times
    faster than real time; each event is stamped with the wall time its simulated time maps to (never
    after `wall_ms()` now: omnistock.sim.clock). `producer_send(topic_base_name, key, value)` gets
    orjson-encoded values.
    Behind schedule (a slow producer), it catches up by at most one second's worth per tick.
    `clock` gives real seconds (a test passes its own, so pacing does not depend on the machine).
    `backlog`: events sent but not yet applied by the worker. While it exceeds `max_backlog_s` seconds
    at `rate`, nothing is sent and the events due meanwhile are skipped, not caught up later: on a
    machine too slow for `rate` the simulation thins out and what the screen shows stays live.
    """
    rng, stop_event = random.Random(seed), stop_event or threading.Event()
    sim_start, speed, sent = start or datetime.now(UTC), 3600.0 / simulation.sim_hour_s, 0
    stamps = WallStamps.starting(sim_start, wall_ms(), speed)
    if initial_stock:
        sent += send_items(producer_send, stocking_events(simulation, rate, sim_start), stamps)
    began, sim_t0, paced = clock(), sim_start, 0
    while not stop_event.is_set():
        elapsed = clock() - began
        if duration is not None and elapsed >= duration:
            break
        if backlog is not None and backlog() > rate * max_backlog_s:
            paced = int(rate * elapsed)  # skipped: resuming sends at the rate, without a burst
            stop_event.wait(tick_s)
            continue
        due = min(int(rate * elapsed) - paced, max(1, int(rate)))
        sim_t1 = sim_start + timedelta(seconds=elapsed * speed)
        if due < max(1.0, rate * tick_s) or sim_t1 <= sim_t0:  # batches of about one tick's worth
            stop_event.wait(tick_s / 2)
            continue
        sent += send_items(producer_send, simulation.events_between(sim_t0, sim_t1, rng, count=due), stamps)
        paced, sim_t0 = paced + due, sim_t1
        simulation.sim_now = sim_t1
    return sent


def stocking_events(simulation: Simulation, rate: float, sim_start: datetime) -> list[Item]:
    """The initial stock for a run at `rate` events per real second from `sim_start`."""
    natural_per_s = simulation.natural_events_per_hour(sim_start) / simulation.sim_hour_s
    # Scaled for a run busier than real life, but capped: a shelf of millions helps no one read figures.
    scale = min(MAX_DEMAND_SCALE, max(1.0, rate / natural_per_s))
    return simulation.initial_stock_events(sim_start, demand_scale=scale)


def send_items(
    producer_send: Callable[[str, bytes, bytes], None], items: list[Item], stamps: WallStamps | None = None
) -> int:
    """Send the items, their simulated times mapped to the wall clock by `stamps` when given."""
    for item in items:
        topic, key, event = stamps.restamp(item) if stamps is not None else item
        producer_send(topic, key.encode(), orjson.dumps(event))
    return len(items)
