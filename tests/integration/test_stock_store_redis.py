"""The Redis stock store when Redis forgets its scripts (a restart) or cannot be reached."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.errors import StoreUnavailable
from core.movements import AdjustOnHand, Allocate, OnHandDelta, Outcome
from omnistock.stack.processes import free_port
from omnistock.stack.redis_keys import delete_prefix
from state.store import RedisStockStore
from tests.contract.conftest import NETWORK

pytestmark = pytest.mark.redis
NOW_MS = 1_796_000_000_000


@pytest.fixture
def store(redis_url: str) -> Iterator[RedisStockStore]:
    client = redis.Redis.from_url(redis_url)
    prefix = f"t-{uuid.uuid4().hex}:"
    yield RedisStockStore(client, prefix, lambda: NETWORK)
    delete_prefix(client, prefix)
    client.close()


def test_scripts_flushed_from_redis_are_loaded_again_and_the_batch_applies_once(
    store: RedisStockStore,
) -> None:
    store.apply([AdjustOnHand("r-1", "A", NOW_MS, (OnHandDelta("WH1", 5),))], NOW_MS)
    store.client.script_flush()  # as a restarted Redis: its script cache is empty

    results = store.apply(
        [
            AdjustOnHand("r-2", "A", NOW_MS, (OnHandDelta("WH1", 3),)),
            Allocate("a-1", "O-1", "l1", "A", "WH1", 2),
        ],
        NOW_MS,
    )

    assert [r.outcome for r in results] == [Outcome.APPLIED, Outcome.APPLIED]
    (wh1,) = store.read_sync(["A"])["A"].locations
    assert (wh1.on_hand, wh1.allocated) == (8, 2)
    assert store.atp_views(["A"])[1] == {("A", "WH1"): 6}


def test_an_unreachable_redis_is_store_unavailable_for_writes_and_reads() -> None:
    client = redis.Redis(port=free_port(), retry=Retry(NoBackoff(), 0))
    store = RedisStockStore(client, "t-nowhere:", lambda: NETWORK)
    with pytest.raises(StoreUnavailable):
        store.apply([AdjustOnHand("r-1", "A", NOW_MS, (OnHandDelta("WH1", 5),))], NOW_MS)
    with pytest.raises(StoreUnavailable):
        store.atp_views(["A"])
