"""`omnistock set-safety-stock` and `set-backorder` refuse an unknown location or a sku never seen,
unless told `--create`: a typo must not create a phantom row. `omnistock reconcile` repairs and prints
the drift. Each on one Redis and on a Redis Cluster (OMNISTOCK_REDIS_CLUSTER)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from core.movements import AdjustOnHand, OnHandDelta
from omnistock.cli import main
from omnistock.settings import Settings
from omnistock.stack.redis_keys import delete_prefix
from omnistock.wiring.stores import network_source, redis_client, stock_store
from state import keys

pytestmark = pytest.mark.redis
WAREHOUSE = "WH-PARIS-BUSSY"


@pytest.fixture(params=["redis", "cluster"])
def prefix(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The commands' settings from the environment, on one Redis and on the 3-master cluster."""
    cluster = request.param == "cluster"
    url = request.getfixturevalue("redis_cluster_url" if cluster else "redis_url")
    prefix = f"t-{uuid.uuid4().hex}:"
    monkeypatch.setenv("OMNISTOCK_REDIS_URL", url)
    monkeypatch.setenv("OMNISTOCK_REDIS_CLUSTER", str(cluster).lower())
    monkeypatch.setenv("OMNISTOCK_REDIS_PREFIX", prefix)
    monkeypatch.delenv("OMNISTOCK_NETWORK_FILE", raising=False)
    yield prefix
    client = redis_client(Settings())
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


def test_reconcile_repairs_a_drift_on_whichever_master_holds_the_sku_and_prints_it(
    prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    skus = [f"SKU-{n}" for n in range(6)]  # six hash tags: on a cluster, on more than one master
    for sku in skus:
        receive(sku)
    client = redis_client(Settings())
    for sku in skus[::2]:  # a reserved figure with no hold behind it
        figures = client.hget(keys.stock(prefix, sku), WAREHOUSE).decode().split(",")
        client.hset(keys.stock(prefix, sku), WAREHOUSE, ",".join([*figures[:2], "3", *figures[3:]]))
    client.close()

    assert main(["reconcile"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert sorted(line.split("\t")[0] for line in lines if "\treserved\t" in line) == skus[::2]
    assert lines[-1] == "3 figures drifted and were repaired (all skus)"
    assert main(["reconcile", *skus]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 figures drifted and were repaired (6 skus)"
