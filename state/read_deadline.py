"""The API's reads of Redis: one deadline per read, and a Redis failure or overrun as StoreUnavailable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis
from redis.exceptions import RedisClusterException

from core.errors import StoreUnavailable
from state.redis_calls import reraise


@asynccontextmanager
async def read_deadline(deadline_s: float | None) -> AsyncIterator[None]:
    """Bounds everything inside (waiting for a pooled connection, connecting, redis-py's retries, the
    reply) to `deadline_s` (None: unbounded); raises StoreUnavailable when Redis fails or overruns it."""
    try:
        async with asyncio.timeout(deadline_s):
            yield
    except redis.RedisError as error:
        reraise(error)
    except RedisClusterException as error:  # a cluster client that reaches no node (not a RedisError)
        raise StoreUnavailable("redis cluster unreachable", error=str(error)) from error
    except TimeoutError as error:
        raise StoreUnavailable("redis did not answer in time", deadline_s=deadline_s) from error
