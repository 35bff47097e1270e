"""The raw ceiling of `omnistock bench worker` calls the store's own adjust script with valid arguments."""

from __future__ import annotations

import uuid

import pytest
import redis

from core.ledger import DEDUPE_BUCKETS
from omnistock.bench.raw import adjust_call, location_policy
from omnistock.network_file import default_network_path, load_network
from omnistock.stack.redis_keys import delete_prefix
from state.scripts import Scripts
from state.store import RedisStockStore

pytestmark = pytest.mark.redis


def test_a_raw_sale_lowers_on_hand_like_the_store_would(redis_url: str) -> None:
    client, prefix = redis.Redis.from_url(redis_url), f"t-{uuid.uuid4().hex}:"
    network = load_network(default_network_path())
    now = 1_795_000_000_000
    suffixes = [str(now * DEDUPE_BUCKETS // 3_600_000 - i) for i in range(DEDUPE_BUCKETS + 1)]
    event = {"event_id": "sale-1", "occurred_at": now, "location_id": "WH-PARIS-BUSSY"}
    line = {"sku": "SKU-R", "quantity": 2}
    try:
        ks, args = adjust_call(
            prefix, event, "WH-PARIS-BUSSY", line, -1, now, suffixes, location_policy(network)
        )
        client.evalsha(Scripts().shas(client)["adjust"], len(ks), *ks, *args)

        stock = RedisStockStore(client, prefix, lambda: network).read_sync(["SKU-R"])["SKU-R"]
        assert [(loc.location_id, loc.on_hand) for loc in stock.locations] == [("WH-PARIS-BUSSY", -2)]
    finally:
        delete_prefix(client, prefix)
