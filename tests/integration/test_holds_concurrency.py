"""200 clients hold the last k units of one sku at once on real Redis, with duplicated and retried
requests among them: exactly k units end up held, none negative, every request gets a definite answer."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from core.movements import AdjustOnHand, MovementResult, OnHandDelta, Outcome, SetHold
from state.store import RedisStockStore
from tests.contract.conftest import NETWORK

pytestmark = pytest.mark.redis

CLIENTS, LEFT, STOCK, SKU = 200, 37, 50, "HOT-1"
DEFINITE = {Outcome.APPLIED, Outcome.REFUSED, Outcome.DUPLICATE}


@pytest.fixture
def prefix(redis_server_url: str) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex}:"
    yield name
    client = redis.Redis.from_url(redis_server_url)
    for key in client.scan_iter(match=name + "*", count=1000):
        client.delete(key)
    client.close()


def request(i: int) -> SetHold:
    """Client i's hold of one unit: half at the warehouse, half on the network (the same pool). The
    last 20 clients redeliver the request of clients 0-19 (same event and cart)."""
    j = i - 180 if i >= 180 else i
    return SetHold(f"hold-{j}", f"cart-{j}", SKU, "WH1" if j % 2 else None, 1, 900_000)


def test_two_hundred_clients_racing_for_the_last_units_get_exactly_those_units(
    redis_server_url: str, prefix: str
) -> None:
    now = int(time.time() * 1000)
    setup = RedisStockStore(redis.Redis.from_url(redis_server_url), prefix, lambda: NETWORK)
    setup.apply([AdjustOnHand("stock", SKU, now, (OnHandDelta("WH1", STOCK),))], now)
    (filler,) = setup.apply([SetHold("filler", "cart-filler", SKU, "WH1", STOCK - LEFT, 900_000)], now)
    assert filler.outcome is Outcome.APPLIED
    answers: dict[int, list[MovementResult]] = {}
    start = threading.Barrier(CLIENTS)

    def client(i: int) -> None:
        connection = redis.Redis.from_url(redis_server_url)
        store = RedisStockStore(connection, prefix, lambda: NETWORK)
        start.wait()
        tries = 2 if i % 10 == 0 else 1  # every tenth client retries, as after a timeout
        answers[i] = [store.apply([request(i)], now)[0] for _ in range(tries)]
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(answers) == CLIENTS
    by_event: dict[str, list[MovementResult]] = {}
    for i, results in answers.items():
        assert all(r.outcome in DEFINITE for r in results)
        by_event.setdefault(request(i).event_id, []).extend(results)
    first_answers = [[r for r in rs if r.outcome is not Outcome.DUPLICATE] for rs in by_event.values()]
    assert all(len(answers) == 1 for answers in first_answers)  # each event decided once
    granted = [answers[0] for answers in first_answers if answers[0].outcome is Outcome.APPLIED]
    assert len(granted) == LEFT
    stock = setup.read_sync([SKU])[SKU]
    (wh1,) = stock.locations
    network_level = stock.network.reserved - wh1.reserved  # WH1 serves online: counted in both
    at_wh1 = [r for r in granted if request(int(r.event_id.split("-")[1])).location_id == "WH1"]
    assert (wh1.reserved, network_level) == (STOCK - LEFT + len(at_wh1), LEFT - len(at_wh1))
    assert (wh1.on_hand, stock.network.atp) == (STOCK, 0)  # every unit held, none twice
    assert wh1.atp == network_level  # a location's ATP does not see network-level holds
    assert setup.reconcile([SKU]) == []


def test_workers_expiring_holds_at_once_release_each_hold_exactly_once(
    redis_server_url: str, prefix: str
) -> None:
    now, skus, carts = int(time.time() * 1000), [f"S{k}" for k in range(30)], 10
    setup = RedisStockStore(redis.Redis.from_url(redis_server_url), prefix, lambda: NETWORK)
    setup.apply([AdjustOnHand(f"r-{s}", s, now, (OnHandDelta("WH1", 50),)) for s in skus], now)
    holds = [
        SetHold(f"h-{s}-{c}", f"cart-{c}", s, "WH1" if c % 2 else None, 2, 60_000)
        for s in skus
        for c in range(carts)
    ]
    assert {r.outcome for r in setup.apply(holds, now)} == {Outcome.APPLIED}
    released: list[int] = []
    start = threading.Barrier(8)

    def worker() -> None:
        connection = redis.Redis.from_url(redis_server_url)
        store = RedisStockStore(connection, prefix, lambda: NETWORK)
        start.wait()
        for _ in range(5):
            released.extend(len(e.released) for e in store.expire_holds(now + 60_000, limit=7))
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(released) == len(holds)
    stocks = setup.read_sync(skus)
    assert {(s.network.reserved, s.network.atp, s.locations[0].reserved) for s in stocks.values()} == {
        (0, 50, 0)
    }
    assert setup.expire_holds(now + 120_000) == []
    assert setup.reconcile(skus) == []
