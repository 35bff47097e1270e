"""Builds the HTTP API from settings: its Redis clients, the app, and the uvicorn server that serves it."""

from __future__ import annotations

import redis.asyncio as aioredis
from fastapi import FastAPI
from prometheus_client import REGISTRY, CollectorRegistry

from api.app import create_app
from api.auth import parse_api_keys
from api.promise_desk import PromiseDesk
from omnistock.logs import configure_logging
from omnistock.network_file import NetworkSource, default_network_path
from omnistock.postcodes import load_postcodes
from omnistock.settings import Settings
from state.change_stream import AsyncChangeStream, changes_key
from state.order_reader import AsyncRedisOrderReader
from state.store import AsyncRedisStockReader


def api_app(settings: Settings, registry: CollectorRegistry = REGISTRY) -> FastAPI:
    """The app `omnistock api` serves, with its own Redis clients (nothing connects until a request)."""
    keys = settings.api_keys.get_secret_value().strip() if settings.api_keys else ""
    network = NetworkSource(settings.network_file or str(default_network_path()))
    reader = AsyncRedisStockReader(
        aioredis.Redis.from_url(settings.redis_url, socket_timeout=5), settings.redis_prefix, network.current
    )
    return create_app(
        reader,
        batch_max_skus=settings.api_batch_max_skus,
        registry=registry,
        api_keys=parse_api_keys(keys) if keys else None,  # a bad value stops start-up with its reason
        rate_limit_per_s=settings.api_rate_limit_per_s,
        rate_burst=settings.api_rate_burst,
        cache_max_age_s=settings.api_cache_max_age_s,
        # Its own client: each open stream holds a connection while it waits on XREAD (1 s blocks).
        change_stream=AsyncChangeStream(
            aioredis.Redis.from_url(settings.redis_url, socket_timeout=5), changes_key(settings.redis_prefix)
        ),
        promises=PromiseDesk(network.current, load_postcodes(settings.postcode_file), reader),
        orders=AsyncRedisOrderReader(
            aioredis.Redis.from_url(settings.redis_url, socket_timeout=5), settings.redis_prefix
        ),
    )


def serve_api(settings: Settings, host: str, port: int) -> None:
    """`omnistock api`: serve the HTTP API with uvicorn until stopped."""
    import uvicorn

    configure_logging(settings.log_level)
    app = api_app(settings)
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(), access_log=False)
