"""The API served by uvicorn as `omnistock api` configures it: proxy headers and slow clients."""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry

from omnistock.api_wiring import api_app, uvicorn_config
from omnistock.settings import Settings
from tests.support.http_server import serving

KEYS = '{"k-reader-3f9a": ["availability:read"]}'
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing here reads stock


def settings(**overrides: object) -> Settings:
    return Settings(api_keys=KEYS, redis_url=DEAD_REDIS, **overrides)  # type: ignore[arg-type]


def wrong_keys_with_forged_addresses(config_settings: Settings, tries: int) -> list[int]:
    app = api_app(config_settings, registry=CollectorRegistry())
    with serving(uvicorn_config(config_settings, app, "127.0.0.1", 0)) as (host, port):
        url = f"http://{host}:{port}/v1/availability/SKU-1"
        return [
            httpx.get(url, headers={"X-API-Key": f"g-{n}", "X-Forwarded-For": f"10.0.0.{n}"}).status_code
            for n in range(tries)
        ]


def test_a_forged_forwarded_for_does_not_give_a_guesser_fresh_tries() -> None:
    assert wrong_keys_with_forged_addresses(settings(), 11) == [401] * 10 + [429]


def test_a_configured_proxy_names_the_client() -> None:
    trusted = settings(api_forwarded_allow_ips="127.0.0.1")

    assert wrong_keys_with_forged_addresses(trusted, 11) == [401] * 11  # eleven clients, one try each
