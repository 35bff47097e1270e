"""Rate limits: 429 with Retry-After past the burst, refilled by the (fake) clock, per key, counted."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from api.app import create_app
from api.rate_limit import MAX_IDLE_BUCKETS, RateLimiter, retry_after_s
from core.stock import LocationStock
from tests.support.fake_reader import FakeReader, sku_stock

KEY_A = "key-a-1"
KEY_B = "key-b-2"
KEYS = {KEY_A: ["availability:read"], KEY_B: ["availability:read"]}


class FakeClock:
    """A monotonic clock in seconds that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def client(clock: FakeClock, registry: CollectorRegistry) -> TestClient:
    reader = FakeReader([sku_stock("SKU-1", LocationStock("dc-1", on_hand=3))])
    app = create_app(
        reader, api_keys=KEYS, rate_limit_per_s=0.5, rate_burst=3, rate_clock=clock, registry=registry
    )
    return TestClient(app)


def _get(client: TestClient, key: str) -> int:
    status: int = client.get("/v1/availability/SKU-1", headers={"X-API-Key": key}).status_code
    return status


def test_requests_past_the_burst_answer_429_with_an_integer_retry_after(client: TestClient) -> None:
    assert [_get(client, KEY_A) for _ in range(3)] == [200, 200, 200]

    response = client.get("/v1/availability/SKU-1", headers={"X-API-Key": KEY_A})

    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    body = response.json()
    assert body["error"] == "rate_limited"
    assert body["retry_after_s"] == 2
    assert "0.5/s" in body["message"]


def test_the_bucket_refills_as_the_clock_moves(client: TestClient, clock: FakeClock) -> None:
    for _ in range(3):
        _get(client, KEY_A)
    assert _get(client, KEY_A) == 429

    clock.now += 1.9
    assert _get(client, KEY_A) == 429
    clock.now += 0.1
    assert _get(client, KEY_A) == 200
    assert _get(client, KEY_A) == 429


def test_a_long_idle_time_refills_no_more_than_the_burst(client: TestClient, clock: FakeClock) -> None:
    _get(client, KEY_A)
    clock.now += 3600

    assert [_get(client, KEY_A) for _ in range(4)] == [200, 200, 200, 429]


def test_each_key_has_its_own_bucket(client: TestClient) -> None:
    for _ in range(4):
        _get(client, KEY_A)

    assert _get(client, KEY_B) == 200


def test_rate_limited_requests_are_counted_and_never_reach_the_route(
    client: TestClient, registry: CollectorRegistry
) -> None:
    for _ in range(5):
        _get(client, KEY_A)

    assert registry.get_sample_value("omnistock_http_rejected_total", {"reason": "rate_limited"}) == 2
    labels = {"route": "/v1/availability/{sku}", "method": "GET", "status": "429"}
    assert registry.get_sample_value("omnistock_http_requests_total", labels) == 2


def test_a_refused_key_does_not_spend_a_token(client: TestClient) -> None:
    for _ in range(5):
        client.get("/v1/availability/SKU-1")

    assert [_get(client, KEY_A) for _ in range(3)] == [200, 200, 200]


def test_without_keys_the_limit_applies_per_client_address(clock: FakeClock) -> None:
    reader = FakeReader([sku_stock("SKU-1", LocationStock("dc-1", on_hand=3))])
    client = TestClient(create_app(reader, rate_limit_per_s=1, rate_burst=1, rate_clock=clock))

    assert client.get("/v1/availability/SKU-1").status_code == 200
    assert client.get("/v1/availability/SKU-1").status_code == 429
    assert client.get("/healthz").status_code == 200


def test_the_burst_defaults_to_one_second_of_the_rate(clock: FakeClock) -> None:
    reader = FakeReader([sku_stock("SKU-1", LocationStock("dc-1", on_hand=3))])
    client = TestClient(create_app(reader, api_keys=KEYS, rate_limit_per_s=2.5, rate_clock=clock))

    assert [_get(client, KEY_A) for _ in range(4)] == [200, 200, 200, 429]


def test_retry_after_is_whole_seconds_and_never_below_one() -> None:
    assert [retry_after_s(w) for w in (0.001, 0.999, 1.0, 1.01, 7.5)] == [1, 1, 1, 2, 8]


def test_the_limiter_forgets_full_buckets_but_keeps_recent_ones_once_it_keeps_too_many(
    clock: FakeClock,
) -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=2, clock=clock)
    for client in range(MAX_IDLE_BUCKETS):
        limiter.take(client)
    clock.now += 1.5
    limiter.take("busy")
    clock.now += 0.5

    limiter.take("newcomer")

    assert len(limiter) == 2
    assert limiter.take("busy") == 0.0
    assert limiter.take("busy") == pytest.approx(0.5)


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_a_limiter_refuses_a_rate_or_burst_that_would_admit_nothing(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        RateLimiter(rate_per_s=rate, burst=burst, clock=FakeClock())
