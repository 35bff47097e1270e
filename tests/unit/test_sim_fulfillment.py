"""Simulated fulfillment nodes: answers in lifecycle order, on the simulated clock, some never given."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import orjson
import pytest

from core.network import LocationKind, Network
from omnistock.network_file import default_network_path, load_network
from omnistock.sim.events import Item
from omnistock.sim.fulfillment import NOT_FOUND, REJECTED, SILENT, FulfillmentDesk, plan
from topics.order_events import FulfillmentUpdate

NOW_MS = 1_717_400_000_000
SIM_HOUR_S = 60.0  # one simulated minute is one real second


@pytest.fixture(scope="module")
def network() -> Network:
    return load_network(default_network_path())


def _request(
    n: int, location_id: str = "WH-PARIS-BUSSY", method: str = "HOME_STANDARD", lines: int = 2
) -> dict[str, Any]:
    return {
        "order_id": f"WEB-{n:08d}",
        "shipment_id": f"WEB-{n:08d}-S1",
        "location_id": location_id,
        "method": method,
        "lines": [{"line_id": f"L{k}", "sku": f"SKU-{k:05d}", "quantity": k} for k in range(1, lines + 1)],
    }


def _served(seed: int = 0) -> tuple[int, list[str]]:
    """A seed whose first shipment is served in full, and that plan's statuses."""
    while True:
        steps = plan(random.Random(seed), LocationKind.WAREHOUSE, "HOME_STANDARD", ["L1", "L2"])
        if [step.status for step in steps][:2] == ["ACCEPTED", "PICKED"]:
            return seed, [step.status for step in steps]
        seed += 1


def _drain(desk: FulfillmentDesk, until_s: float = 10_000_000.0) -> list[Item]:
    return desk.due(until_s, NOW_MS)


def test_the_fates_come_in_the_configured_shares() -> None:
    rng, fates = random.Random(1), Counter[str]()
    for _ in range(20_000):
        steps = plan(rng, LocationKind.STORE, "HOME_STANDARD", ["L1", "L2"])
        if not steps:
            fates["silent"] += 1
        elif steps[0].status == "REJECTED":
            fates["rejected"] += 1
        elif any(step.reason == "NOT_FOUND" for step in steps):
            fates["not_found"] += 1
    assert fates["silent"] == pytest.approx(20_000 * SILENT, rel=0.15)
    assert fates["rejected"] == pytest.approx(20_000 * REJECTED, rel=0.15)
    assert fates["not_found"] == pytest.approx(20_000 * NOT_FOUND, rel=0.15)


def test_a_served_home_shipment_is_accepted_picked_shipped_then_delivered_each_later(
    network: Network,
) -> None:
    seed, statuses = _served()
    assert statuses == ["ACCEPTED", "PICKED", "SHIPPED", "DELIVERED"]
    desk = FulfillmentDesk(network, SIM_HOUR_S, seed=seed)
    desk.request(_request(1), now_s=0.0)
    assert desk.due(0.5, NOW_MS) == []  # no store accepts within half a simulated minute
    times, answered = [], []
    for second in range(0, 4 * 24 * 3600, 30):
        for topic, key, event in desk.due(float(second), NOW_MS + second):
            assert (topic, key) == ("fulfillment.updates.v1", "WEB-00000001")
            FulfillmentUpdate.model_validate_json(orjson.dumps(event))
            times.append(second)
            answered.append(event["status"])
    assert answered == statuses
    assert times == sorted(times)
    assert times[1] - times[0] <= 25 * 60  # picked within 25 simulated minutes (real seconds here)
    assert desk.pending == 0


def test_click_and_collect_at_a_store_is_made_ready_then_collected_there_without_shipping(
    network: Network,
) -> None:
    rng = random.Random(0)
    plans = [plan(rng, LocationKind.STORE, "CLICK_COLLECT", ["L1"]) for _ in range(200)]
    served = [[step.status for step in steps] for steps in plans if steps and steps[0].status == "ACCEPTED"]
    assert ["ACCEPTED", "PICKED", "READY_FOR_PICKUP", "COLLECTED"] in served
    assert all("SHIPPED" not in statuses for statuses in served)


def test_a_not_found_line_is_rejected_alone_and_the_rest_still_ships(network: Network) -> None:
    def reasons(seed: int) -> list[str | None]:
        steps = plan(random.Random(seed), LocationKind.WAREHOUSE, "HOME_STANDARD", ["L1", "L2"])
        return [step.reason for step in steps]

    seed = next(seed for seed in range(10_000) if reasons(seed)[1:2] == ["NOT_FOUND"])
    taken: list[tuple[str, str, int]] = []
    desk = FulfillmentDesk(network, SIM_HOUR_S, seed=seed, take=lambda *unit: taken.append(unit))
    desk.request(_request(2, lines=2), now_s=0.0)
    events = [event for _, _, event in _drain(desk)]
    assert [event["status"] for event in events] == ["ACCEPTED", "REJECTED", "PICKED", "SHIPPED", "DELIVERED"]
    assert events[1]["reason"] == "NOT_FOUND"
    missing = events[1]["lines"]
    assert isinstance(missing, list)
    assert len(missing) == 1
    kept = ({"L1", "L2"} - {missing[0]["line_id"]}).pop()
    assert taken == [
        ("WH-PARIS-BUSSY", missing[0]["sku"], missing[0]["quantity"]),
        ("WH-PARIS-BUSSY", f"SKU-0000{kept[1]}", int(kept[1])),
    ]
    assert len({event["event_id"] for event in events}) == len(events)


def test_a_shipment_taken_back_by_the_worker_gets_no_more_answers(network: Network) -> None:
    seed, _ = _served()
    desk = FulfillmentDesk(network, SIM_HOUR_S, seed=seed)
    desk.request(_request(3), now_s=0.0)
    desk.status(
        {
            "order_id": "WEB-00000003",
            "status": "ROUTED",
            "shipments": [
                {
                    "shipment_id": "WEB-00000003-S1",
                    "location_id": "WH-PARIS-BUSSY",
                    "status": "REJECTED",
                    "lines": [],
                }
            ],
        }
    )
    assert _drain(desk) == []
    assert desk.pending == 0


def test_the_lines_a_status_leaves_are_the_ones_shipped(network: Network) -> None:
    seed, _ = _served()
    taken: list[tuple[str, str, int]] = []
    desk = FulfillmentDesk(network, SIM_HOUR_S, seed=seed, take=lambda *unit: taken.append(unit))
    request = _request(4)
    desk.request(request, now_s=0.0)
    summary = {"shipment_id": "WEB-00000004-S1", "status": "REQUESTED", "lines": request["lines"][:1]}
    desk.status({"order_id": "WEB-00000004", "status": "PARTIALLY_ROUTED", "shipments": [summary]})
    assert [event["status"] for _, _, event in _drain(desk)][-1] == "DELIVERED"
    assert taken == [("WH-PARIS-BUSSY", "SKU-00001", 1)]


def test_a_request_delivered_twice_is_answered_once_and_the_same_seed_answers_the_same(
    network: Network,
) -> None:
    def answers(seed: int) -> list[Item]:
        desk = FulfillmentDesk(network, SIM_HOUR_S, seed=seed)
        for n in range(50):
            desk.request(_request(n, location_id="ST-PARIS-RIVOLI"), now_s=float(n))
            desk.request(_request(n, location_id="ST-PARIS-RIVOLI"), now_s=float(n) + 0.5)
        return _drain(desk)

    first = answers(3)
    assert first == answers(3)
    assert first != answers(4)
    ids = [event["event_id"] for _, _, event in first]
    assert len(ids) == len(set(ids))
    accepted = Counter(event["order_id"] for _, _, event in first if event["status"] == "ACCEPTED")
    assert set(accepted.values()) == {1}
    assert len(accepted) > 40  # a few are never answered, or rejected at once


def test_every_other_shipment_of_the_person_store_is_left_to_the_person_and_the_rest_answered(
    network: Network,
) -> None:
    desk = FulfillmentDesk(network, SIM_HOUR_S, seed=5, person_store="ST-PARIS-OPERA")
    for n in range(10):
        desk.request(_request(n, location_id="ST-PARIS-OPERA"), now_s=0.0)
        desk.request(_request(100 + n, location_id="ST-PARIS-RIVOLI"), now_s=0.0)
    answered = {str(event["order_id"]) for _, _, event in _drain(desk)}

    left = [f"WEB-{n:08d}-S1" for n in range(0, 10, 2)]
    assert desk.left_to_person == left  # the first one included: a person has something to do at once
    assert not answered & {shipment_id.removesuffix("-S1") for shipment_id in left}
    served_there = {f"WEB-{n:08d}" for n in range(1, 10, 2)}
    assert len(answered & served_there) >= 4  # the simulator's half (one may be drawn silent)
    assert len(answered & {f"WEB-{100 + n:08d}" for n in range(10)}) >= 8  # other stores as before


def test_a_person_store_request_delivered_twice_is_left_once_and_counts_once(network: Network) -> None:
    desk = FulfillmentDesk(network, SIM_HOUR_S, seed=5, person_store="ST-PARIS-OPERA", person_every=3)
    for n in range(6):
        desk.request(_request(n, location_id="ST-PARIS-OPERA"), now_s=0.0)
        desk.request(_request(n, location_id="ST-PARIS-OPERA"), now_s=0.5)

    assert desk.left_to_person == ["WEB-00000000-S1", "WEB-00000003-S1"]


def test_without_a_person_store_every_shipment_is_the_simulators(network: Network) -> None:
    desk = FulfillmentDesk(network, SIM_HOUR_S, seed=5)
    for n in range(10):
        desk.request(_request(n, location_id="ST-PARIS-OPERA"), now_s=0.0)

    assert desk.left_to_person == []
    assert desk.pending >= 8


def test_what_the_person_ships_or_hands_over_leaves_the_simulations_stock_once(network: Network) -> None:
    taken: list[tuple[str, str, int]] = []
    desk = FulfillmentDesk(
        network, SIM_HOUR_S, seed=5, take=lambda *unit: taken.append(unit), person_store="ST-PARIS-OPERA"
    )
    request = _request(0, location_id="ST-PARIS-OPERA", lines=1)
    desk.request(request, now_s=0.0)
    summary = {"shipment_id": "WEB-00000000-S1", "status": "ACCEPTED", "lines": request["lines"]}
    desk.status({"order_id": "WEB-00000000", "status": "ROUTED", "shipments": [summary]})
    assert taken == []  # accepted is not gone yet
    for _ in range(2):  # a status delivered twice takes once
        collected = {**summary, "status": "COLLECTED"}
        desk.status({"order_id": "WEB-00000000", "status": "COMPLETED", "shipments": [collected]})

    assert taken == [("ST-PARIS-OPERA", "SKU-00001", 1)]
    assert _drain(desk) == []  # and the simulator never answered for it
