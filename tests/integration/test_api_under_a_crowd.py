"""The API process as `omnistock api` builds it, under a crowd: 1,000 concurrent GETs on the real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import redis
from prometheus_client import CollectorRegistry

from omnistock.bench.promise_http import seed_atp
from omnistock.network_file import default_network_path, load_network
from omnistock.settings import Settings
from omnistock.stack.redis_keys import delete_prefix
from omnistock.wiring.api import api_app
from state.store import RedisStockStore

pytestmark = pytest.mark.redis
NETWORK = load_network(default_network_path())
WAREHOUSE = "WH-PARIS-BUSSY"
CROWD = 1_000


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    prefix = f"t-{uuid.uuid4().hex}:"
    yield prefix
    delete_prefix(redis.Redis.from_url(redis_url), prefix)


def crowd_statuses(settings: Settings, path: str, crowd: int) -> Counter[int]:
    async def fire() -> Counter[int]:
        app = api_app(settings, registry=CollectorRegistry())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api", timeout=60) as client:
            answers = await asyncio.gather(*(client.get(path) for _ in range(crowd)))
        return Counter(answer.status_code for answer in answers)

    return asyncio.run(fire())


def test_a_thousand_concurrent_gets_all_answer_200_while_redis_is_fine(redis_url: str, prefix: str) -> None:
    seed_atp(
        RedisStockStore(redis.Redis.from_url(redis_url), prefix, lambda: NETWORK),
        NETWORK,
        {("SKU-C", WAREHOUSE): 7},
    )
    settings = Settings(redis_url=redis_url, redis_prefix=prefix)

    statuses = crowd_statuses(settings, "/v1/availability/SKU-C", CROWD)

    assert statuses == Counter({200: CROWD})
