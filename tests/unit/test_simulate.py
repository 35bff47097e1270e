"""The simulated retail network: tills only in local opening hours, contract-shaped events, determinism."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest

from core.network import LocationKind, Network
from omnistock.network_file import default_network_path, load_network
from omnistock.sim.events import Item
from omnistock.sim.run import run_simulation
from omnistock.sim.simulation import Simulation
from topics.events import INPUT_MODELS

MONDAY = datetime(2024, 6, 3, tzinfo=UTC)  # a Monday in summer time: Paris is UTC+2, London UTC+1
LINE_FIELDS = {
    "pos.sales.v1": {"sku": str, "quantity": int},
    "stock.receipts.v1": {"sku": str, "quantity": int},
    "stock.adjustments.v1": {"sku": str, "quantity": int},
    "stock.counts.v1": {"sku": str, "on_hand": int},
    "stock.transfers.v1": {"sku": str, "quantity": int},
    "returns.v1": {"sku": str, "quantity": int, "condition": str},
}
EVENT_FIELDS = {
    "pos.sales.v1": ({"location_id", "lines"}, {"receipt_id"}),
    "stock.receipts.v1": ({"location_id", "lines"}, {"reference"}),
    "stock.adjustments.v1": ({"location_id", "lines", "reason"}, set()),
    "stock.counts.v1": ({"location_id", "lines"}, set()),
    "stock.transfers.v1": (
        {"transfer_id", "status", "from_location_id", "to_location_id", "lines"},
        {"expected_at"},
    ),
    "returns.v1": ({"return_id", "location_id", "lines"}, {"order_id"}),
}
KEY_FIELD = {"stock.transfers.v1": "transfer_id", "returns.v1": "return_id"}
WEB_TOPICS = {"carts.events.v1", "orders.v1"}  # their shapes: tests/unit/test_sim_orders.py


@pytest.fixture(scope="module")
def network() -> Network:
    return load_network(default_network_path())


@pytest.fixture(scope="module")
def three_days(network: Network) -> tuple[Simulation, list[Item]]:
    """Saturday 06:00 UTC to Monday at the natural pace, after the initial stock."""
    simulation = Simulation(network, sku_count=2000, seed=3)
    start = MONDAY + timedelta(days=5, hours=6)
    items = simulation.initial_stock_events(start)
    return simulation, items + simulation.events_between(start, start + timedelta(hours=42), random.Random(5))


def _occurred(event: dict[str, object]) -> datetime:
    value = event["occurred_at"]
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    assert isinstance(value, int)
    return datetime.fromtimestamp(value / 1000, UTC)


def _open_locally(network: Network, location_id: str, at: datetime) -> bool:
    location = network.locations[location_id]
    local = at.astimezone(ZoneInfo(location.timezone))
    span = location.opening_hours.get(("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()])
    return span is not None and span[0] <= local.strftime("%H:%M") < span[1]


def test_tills_sell_only_at_stores_in_their_own_local_opening_hours(
    network: Network, three_days: tuple[Simulation, list[Item]]
) -> None:
    sales = [event for topic, _, event in three_days[1] if topic == "pos.sales.v1"]
    assert len(sales) > 5000
    for sale in sales:
        location_id = str(sale["location_id"])
        assert network.locations[location_id].kind is LocationKind.STORE
        assert _open_locally(network, location_id, _occurred(sale)), sale
    london = [
        _occurred(sale).astimezone(ZoneInfo("Europe/London"))
        for sale in sales
        if "LONDON" in str(sale["location_id"])
    ]
    assert london, "the London store sells too"
    assert any(at.hour == 20 for at in london)  # it closes at 21:00 London time, after Paris stores


def test_sunday_sales_come_only_from_stores_open_on_sunday(
    network: Network, three_days: tuple[Simulation, list[Item]]
) -> None:
    sunday = {
        str(event["location_id"])
        for topic, _, event in three_days[1]
        if topic == "pos.sales.v1" and _occurred(event).astimezone(ZoneInfo("Europe/Paris")).weekday() == 6
    }
    open_on_sunday = {loc.location_id for loc in network.locations.values() if "sun" in loc.opening_hours}
    assert sunday
    assert sunday <= open_on_sunday


def test_every_event_has_exactly_the_contract_fields_and_types(
    three_days: tuple[Simulation, list[Item]],
) -> None:
    seen = Counter(topic for topic, _, _ in three_days[1])
    assert set(seen) == set(EVENT_FIELDS) | WEB_TOPICS
    for topic, key, event in three_days[1]:
        if topic in WEB_TOPICS:
            continue
        required, optional = EVENT_FIELDS[topic]
        assert (
            required | {"event_id", "occurred_at"}
            <= set(event)
            <= required | optional | {"event_id", "occurred_at"}
        )
        assert isinstance(event["event_id"], str)
        assert isinstance(event["occurred_at"], int | str)
        assert key == event[KEY_FIELD.get(topic, "location_id")]
        lines = event["lines"]
        assert isinstance(lines, list)
        assert lines
        for line in lines:
            assert set(line) == set(LINE_FIELDS[topic])
            assert isinstance(line["sku"], str)
            assert all(
                isinstance(line[name], int) for name in LINE_FIELDS[topic] if name not in ("sku", "condition")
            )


def test_every_event_validates_against_the_input_models(three_days: tuple[Simulation, list[Item]]) -> None:
    for topic, _, event in three_days[1]:
        INPUT_MODELS[topic].model_validate_json(orjson.dumps(event))


def test_event_ids_are_unique(three_days: tuple[Simulation, list[Item]]) -> None:
    ids = [event["event_id"] for _, _, event in three_days[1]]
    assert len(ids) == len(set(ids))


def test_a_transfer_is_received_after_it_is_shipped_with_the_same_lines_while_the_store_is_open(
    network: Network, three_days: tuple[Simulation, list[Item]]
) -> None:
    shipped: dict[str, dict[str, object]] = {}
    received = 0
    for topic, _, event in three_days[1]:
        if topic != "stock.transfers.v1":
            continue
        if event["status"] == "SHIPPED":
            shipped[str(event["transfer_id"])] = event
            continue
        origin = shipped[str(event["transfer_id"])]
        assert origin["lines"] == event["lines"]
        assert _occurred(origin) < _occurred(event)
        assert _open_locally(network, str(event["to_location_id"]), _occurred(event))
        received += 1
    assert received > 0


def test_initial_stock_fills_warehouses_far_more_than_stores(network: Network) -> None:
    items = Simulation(network, sku_count=1000, seed=1).initial_stock_events(MONDAY)
    units: Counter[str] = Counter()
    for topic, _, event in items:
        assert topic in ("stock.receipts.v1", "stock.counts.v1")
        assert isinstance(event["lines"], list)
        units[network.locations[str(event["location_id"])].kind] += sum(
            line.get("quantity", line.get("on_hand", 0)) for line in event["lines"]
        )
    assert units[LocationKind.WAREHOUSE] > 10 * units[LocationKind.STORE] / 41 * 3
    assert units[LocationKind.STORE] > 0
    assert units[LocationKind.RELAY_POINT] == 0


def test_at_a_fixed_rate_the_night_has_no_till_and_the_evening_is_mostly_tills(network: Network) -> None:
    simulation, rng = Simulation(network, sku_count=1000, seed=2), random.Random(2)
    simulation.initial_stock_events(MONDAY)
    night = simulation.events_between(MONDAY, MONDAY + timedelta(minutes=30), rng, count=3000)  # 02:00 Paris
    evening = MONDAY + timedelta(hours=16)  # 18:00 Paris
    busy = simulation.events_between(evening, evening + timedelta(minutes=30), rng, count=3000)
    assert len(night) == 3000
    assert not [item for item in night if item[0] == "pos.sales.v1"]
    assert Counter(topic for topic, _, _ in busy)["pos.sales.v1"] > 0.8 * len(busy)


def test_the_same_seeds_give_the_same_events(network: Network) -> None:
    def run() -> list[Item]:
        simulation = Simulation(network, sku_count=500, seed=11)
        items = simulation.initial_stock_events(MONDAY)
        return items + simulation.events_between(
            MONDAY + timedelta(hours=8), MONDAY + timedelta(hours=10), random.Random(4)
        )

    first, second = run(), run()
    assert first == second
    other = Simulation(network, sku_count=500, seed=11)
    other.initial_stock_events(MONDAY)
    assert (
        other.events_between(MONDAY + timedelta(hours=8), MONDAY + timedelta(hours=10), random.Random(5))
        != first[-10:]
    )


def test_the_producer_loop_paces_to_the_rate_and_stops_on_the_event(network: Network) -> None:
    simulation, sent = Simulation(network, sku_count=300, seed=1, sim_hour_s=1.0), []

    def send(topic: str, key: bytes, value: bytes) -> None:
        sent.append((topic, key, orjson.loads(value)))

    ticks = iter(range(10_000))

    def clock() -> float:  # each look at the clock is one 50 ms tick later: pacing, not machine speed
        return next(ticks) * 0.05

    count = run_simulation(
        simulation, send, rate=1000, duration=0.4, start=MONDAY + timedelta(hours=9), initial_stock=False,
        clock=clock,
    )  # fmt: skip
    assert count == len(sent)
    assert 300 <= count <= 400  # 1000/s for 0.4 s, sent a tick (50 events) at a time, the last tick cut
    assert {topic for topic, _, _ in sent} <= set(EVENT_FIELDS) | WEB_TOPICS
    stop = threading.Event()
    stop.set()
    assert run_simulation(simulation, send, rate=1000, stop_event=stop, initial_stock=False) == 0


def test_the_producer_loop_holds_while_the_worker_is_behind_and_resumes_without_a_burst(
    network: Network,
) -> None:
    simulation, sent = Simulation(network, sku_count=300, seed=1, sim_hour_s=1.0), []
    ticks, now = iter(range(10_000)), [0.0]

    def clock() -> float:  # the loop's clock: one 50 ms tick per look, as above
        now[0] = next(ticks) * 0.05
        return now[0]

    def send(topic: str, key: bytes, value: bytes) -> None:
        sent.append(now[0])  # when each event went out

    def backlog() -> int:  # more than 2 s (2,000 events) behind for the first half second, then none
        return 5_000 if now[0] < 0.5 else 0

    count = run_simulation(
        simulation, send, rate=1000, duration=1.5, start=MONDAY + timedelta(hours=9), initial_stock=False,
        clock=clock, backlog=backlog,
    )  # fmt: skip
    assert count == len(sent)
    assert min(sent) >= 0.5  # nothing while the worker was behind
    assert 700 <= count <= 1000  # then 1000/s for the second left: the skipped events are not caught up


def test_every_simulated_event_is_stamped_at_or_before_the_wall_clock_when_sent(network: Network) -> None:
    simulation, late = Simulation(network, sku_count=300, seed=1), []
    ticks, now = iter(range(10_000)), [0.0]
    start = MONDAY + timedelta(hours=9)
    wall_start_ms = int(start.timestamp() * 1000)  # the run starts "now": the same instant on both clocks

    def clock() -> float:
        now[0] = next(ticks) * 0.05
        return now[0]

    def wall_ms() -> int:
        return wall_start_ms + int(now[0] * 1000)

    def send(topic: str, key: bytes, value: bytes) -> None:
        event = INPUT_MODELS[topic].model_validate_json(value)
        if event.occurred_at > wall_ms():
            late.append((topic, event.occurred_at - wall_ms()))

    count = run_simulation(
        simulation, send, rate=1000, duration=2.0, start=start, initial_stock=True, clock=clock,
        wall_ms=wall_ms,
    )  # fmt: skip
    assert count > 1000
    assert late == []
