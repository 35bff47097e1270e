"""`python -m omnistock.bench.cluster_worker`: `omnistock worker` on a Redis Cluster, for `bench worker
--cluster`, until the order store, the change log and the store marker run there (issue 15 ports them;
today the worker refuses a cluster for those three, `single_redis` in omnistock/wiring/worker.py).

An interim seam, for the bench only. The change log and the marker are one key each: they get a
plain client to the master that owns that key's slot (what one key does on a cluster anyway: one
shard carries all of it, the hot shard the port removes). The order store gets the cluster client
itself: the reads the bench's stock path makes (with OMNISTOCK_SHORTAGE_POLICY=flag, the allocations
at a place that fell short, through a redis-py pipeline, which groups per node) and the sweep's SLA
index work there; its lean-pipeline reads and writes would not, and the bench routes no orders.
Everything else is `omnistock worker` as it runs. Once the ports are merged, the bench starts
`omnistock worker` itself (`CLUSTER_WORKER` in bench/worker_phase.py) and this module goes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import redis
from redis.cluster import RedisCluster
from redis.crc import key_slot

import omnistock.wiring.worker as worker_wiring
from omnistock.cli import main
from omnistock.settings import load_settings
from state.change_stream import changes_key
from state.epoch import marker_key

ORDER_STORE = "the order store"


def node_client_for(prefix: str) -> Callable[[redis.Redis | RedisCluster, str], redis.Redis]:
    """A stand-in for `single_redis`: on a cluster, the client each adapter named by `needed_by` can
    run on (see above); one Redis is returned as it is."""
    keys = {"the change log": changes_key(prefix), "the store marker": marker_key(prefix)}

    def single_redis(client: redis.Redis | RedisCluster, needed_by: str) -> redis.Redis:
        if not isinstance(client, RedisCluster):
            return client
        if needed_by == ORDER_STORE:
            return cast(redis.Redis, client)  # the stock path's reads only (see above)
        node = client.nodes_manager.get_node_from_slot(key_slot(keys[needed_by].encode()))
        return client.get_redis_connection(node)

    return single_redis


if __name__ == "__main__":
    # For this process only: the wiring looks its `single_redis` up when the worker is built.
    setattr(worker_wiring, "single_redis", node_client_for(load_settings().redis_prefix))  # noqa: B010
    raise SystemExit(main(["worker"]))
