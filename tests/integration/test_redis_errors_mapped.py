"""Every Redis adapter maps a failure the same way: out of reach, too slow or unable to write now is
StoreUnavailable (the worker retries the batch), whichever call met it."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.errors import StoreUnavailable
from core.movements import LocationFigures
from state.change_stream import ChangeStream
from state.store import RedisStockStore
from tests.contract.conftest import NETWORK
from tests.support.own_redis import own_redis

pytestmark = pytest.mark.redis
FIGURES = LocationFigures("WH", 5, 0, 0, 0, 0, 5)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers: every read times out."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_a_stock_read_that_times_out_is_store_unavailable(silent_port: int) -> None:
    # No client retries: redis-py's default (3, exponential backoff) took 15 s to give up here.
    client = redis.Redis(port=silent_port, socket_timeout=0.2, retry=Retry(NoBackoff(), 0))
    store = RedisStockStore(client, "mapped:", lambda: NETWORK)
    with pytest.raises(StoreUnavailable, match="redis unreachable"):
        store.read_sync(["SKU-A"])


def test_a_change_log_append_on_a_redis_out_of_memory_is_store_unavailable() -> None:
    with own_redis() as server, redis.Redis.from_url(server.url) as client:
        client.config_set("maxmemory", 1)  # our own server: nothing fits, writes are refused with OOM
        client.config_set("maxmemory-policy", "noeviction")
        with pytest.raises(StoreUnavailable, match="cannot run commands now"):
            ChangeStream(client, "mapped:changes").append([("SKU-A", FIGURES, 5)])


def test_a_plain_error_reply_outside_a_script_is_raised_as_it_is(redis_server_url: str) -> None:
    with redis.Redis.from_url(redis_server_url) as client:
        key = "mapped:not-a-stream"
        client.set(key, "x")
        try:
            with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
                ChangeStream(client, key).append([("SKU-A", FIGURES, 5)])
        finally:
            client.delete(key)
