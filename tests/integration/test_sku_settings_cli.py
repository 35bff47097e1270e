"""`omnistock set-safety-stock` and `set-backorder` refuse an unknown location or a sku never seen,
unless told `--create`: a typo must not create a phantom row."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from core.movements import AdjustOnHand, OnHandDelta
from omnistock.cli import main
from omnistock.settings import Settings
from omnistock.stack.redis_keys import delete_prefix
from omnistock.wiring.stores import network_source, stock_store

pytestmark = pytest.mark.redis
WAREHOUSE = "WH-PARIS-BUSSY"


@pytest.fixture
def prefix(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    prefix = f"t-{uuid.uuid4().hex}:"
    monkeypatch.setenv("OMNISTOCK_REDIS_URL", redis_url)
    monkeypatch.setenv("OMNISTOCK_REDIS_PREFIX", prefix)
    monkeypatch.delenv("OMNISTOCK_NETWORK_FILE", raising=False)
    yield prefix
    client = redis.Redis.from_url(redis_url)
    delete_prefix(client, prefix)
    client.close()


def receive(sku: str) -> None:
    settings = Settings()
    store = stock_store(settings, network_source(settings))
    store.apply(
        [AdjustOnHand(f"r-{sku}", sku, 1_796_000_000_000, (OnHandDelta(WAREHOUSE, 5),))], 1_796_000_000_000
    )


def test_a_location_not_in_the_network_file_is_refused_with_one_line(
    prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    receive("SKU-1")
    assert main(["set-safety-stock", "SKU-1", "ST-NOWHERE", "3"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "ST-NOWHERE is not in the network file" in error


def test_a_sku_never_seen_is_refused_by_both_commands(
    prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["set-safety-stock", "SKU-TYPO", WAREHOUSE, "3"]) == 2
    assert main(["set-backorder", "SKU-TYPO", "on"]) == 2
    assert capsys.readouterr().err.count("SKU-TYPO was never seen") == 2


def test_create_sets_them_anyway(prefix: str) -> None:
    assert main(["set-safety-stock", "SKU-NEW", WAREHOUSE, "3", "--create"]) == 0
    assert main(["set-backorder", "SKU-NEW2", "on", "--create"]) == 0


def test_a_known_sku_at_a_known_location_is_set(prefix: str, capsys: pytest.CaptureFixture[str]) -> None:
    receive("SKU-1")
    assert main(["set-safety-stock", "SKU-1", WAREHOUSE, "2"]) == 0
    assert main(["set-backorder", "SKU-1", "on"]) == 0
    assert "safety_stock 2" in capsys.readouterr().out
