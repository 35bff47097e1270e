"""The tests' Redis Cluster: three masters that share the slots, reached from any one of them."""

from __future__ import annotations

import uuid

from redis.cluster import RedisCluster


def test_a_cluster_client_writes_and_reads_keys_on_all_three_masters(redis_cluster_url: str) -> None:
    client = RedisCluster.from_url(redis_cluster_url)
    try:
        prefix = f"t-{uuid.uuid4().hex}:"
        keys = [f"{prefix}{{sku-{n}}}" for n in range(30)]
        for key in keys:
            client.set(key, key)
        owners = {client.get_node_from_key(key).port for key in keys}
        assert len(owners) == 3
        assert [client.get(key) for key in keys] == [key.encode() for key in keys]
        client.delete(*keys)
    finally:
        client.close()
