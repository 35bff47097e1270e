"""Failed key guesses are throttled by client address: N wrong keys a minute, then 429 with Retry-After."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from api.app import create_app
from core.stock import LocationStock
from omnistock.settings import Settings
from omnistock.wiring.api import api_app
from tests.support.fake_reader import FakeReader, sku_stock

KEY = "k-reader-3f9a"
KEYS = {KEY: ["availability:read"]}
GUESSER = "203.0.113.7"
NEIGHBOUR = "198.51.100.2"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def statuses(app: FastAPI, client: str, requests: list[tuple[str, str]]) -> list[httpx.Response]:
    """(method path, key) requests in order from `client`'s address."""

    async def send() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, client=(client, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            answers = []
            for route, key in requests:
                method, path = route.split(" ")
                body = {"skus": ["SKU-1"]} if method == "POST" else None
                answers.append(await http.request(method, path, json=body, headers={"X-API-Key": key}))
            return answers

    return asyncio.run(send())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def app(clock: Clock, registry: CollectorRegistry) -> FastAPI:
    reader = FakeReader([sku_stock("SKU-1", LocationStock("dc-1", on_hand=3))])
    return create_app(reader, api_keys=KEYS, auth_failures_per_min=3, rate_clock=clock, registry=registry)


GET = "GET /v1/availability/SKU-1"
POST = "POST /v1/availability"


@pytest.mark.parametrize("route", [GET, POST])
def test_after_n_wrong_keys_a_minute_the_client_gets_429_even_with_the_right_key(
    app: FastAPI, registry: CollectorRegistry, route: str
) -> None:
    answers = statuses(app, GUESSER, [(route, f"guess-{n}") for n in range(4)] + [(route, KEY)])

    assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]
    assert answers[3].json()["error"] == "auth_throttled"
    assert answers[3].headers["Retry-After"] == "20"  # one more try every 60 / 3 s
    assert registry.get_sample_value("omnistock_http_rejected_total", {"reason": "auth_throttled"}) == 2


def test_another_client_address_keeps_its_own_tries(app: FastAPI) -> None:
    statuses(app, GUESSER, [(GET, f"guess-{n}") for n in range(4)])

    assert [a.status_code for a in statuses(app, NEIGHBOUR, [(GET, KEY), (GET, "guess")])] == [200, 401]


def test_a_try_comes_back_after_its_share_of_the_minute(app: FastAPI, clock: Clock) -> None:
    statuses(app, GUESSER, [(GET, f"guess-{n}") for n in range(3)])
    clock.now += 20.0

    assert [a.status_code for a in statuses(app, GUESSER, [(GET, KEY), (GET, "x"), (GET, KEY)])] == [
        200,
        401,
        429,
    ]


def test_right_keys_and_missing_keys_spend_no_tries(app: FastAPI) -> None:
    answers = statuses(app, GUESSER, [(GET, KEY)] * 5 + [(GET, "")] * 5 + [(GET, "guess")])

    assert [a.status_code for a in answers] == [200] * 5 + [401] * 6


def test_the_api_as_deployed_throttles_wrong_keys_by_default() -> None:
    settings = Settings(api_keys=f'{{"{KEY}": ["availability:read"]}}', redis_url="redis://127.0.0.1:1/0")
    app = api_app(settings, registry=CollectorRegistry())

    answers = statuses(app, GUESSER, [(GET, f"guess-{n}") for n in range(11)])

    assert [a.status_code for a in answers] == [401] * 10 + [429]
