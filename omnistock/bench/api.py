"""`omnistock bench api`: availability GET / POST latency from a second process, beside raw Redis.

Seeds a fresh Redis prefix through the real store, starts `omnistock api` on it, then runs
omnistock.bench.load_client in another process: open-loop phases at a steady rate (raw HGETALL of the
same sku hashes, GET of one sku, POST of 5 skus), latencies from each request's scheduled time.
Pointing OMNISTOCK_REDIS_URL at a port where nothing answers starts a private server for the run,
which keeps other users of a shared Redis out of the figures.
"""

from __future__ import annotations

import redis

from core.movements import AdjustOnHand, OnHandDelta
from omnistock.bench.api_stack import api_on_scratch_prefix
from omnistock.bench.latency import PhaseSummary
from omnistock.bench.load_client import load_phases, sku_name
from omnistock.network_file import default_network_path, load_network
from omnistock.settings import Settings
from state.store import RedisStockStore

SKU_COUNT = 5000
LOCATIONS_PER_SKU = 20
TARGET_P99_MS = 5.0


def seed(store: RedisStockStore, locations: list[str], sku_count: int, now_ms: int) -> None:
    """Every sku received at every location (one AdjustOnHand each), in pipelines of 500."""
    movements = [
        AdjustOnHand(
            f"seed-{i}",
            sku_name(i),
            now_ms,
            tuple(OnHandDelta(loc, 10 + (i + n) % 90) for n, loc in enumerate(locations)),
        )
        for i in range(1, sku_count + 1)
    ]
    for start in range(0, len(movements), 500):
        store.apply(movements[start : start + 500], now_ms)


def report(phases: list[PhaseSummary], rate: float) -> None:
    print("open loop, latency from each request's scheduled send time (ms)")
    head = f"{'':31}{'req/s':>7}{'p50':>7}{'p90':>7}{'p99':>7}{'max':>8}{'errors':>7}"
    print(f"{head}{'lag p99':>8}{'API CPU':>8}")
    for p in phases:
        cpu = f"{p.server_cpu:7.0%}" if p.server_cpu >= 0 else "      -"
        line = f"{p.name:31}{p.achieved_rate:7.0f}{p.p50_ms:7.2f}{p.p90_ms:7.2f}{p.p99_ms:7.2f}"
        print(f"{line}{p.max_ms:8.1f}{p.errors:7d}{p.lag_p99_ms:8.2f} {cpu}")
    raw, get = phases[0], phases[1]
    if raw.p50_ms > 0 and raw.p99_ms > 0:
        print(
            f"ratio GET / raw Redis: p50 {get.p50_ms / raw.p50_ms:.1f}x, p99 {get.p99_ms / raw.p99_ms:.1f}x"
        )
    verdict = "met" if get.p99_ms < TARGET_P99_MS and get.errors == 0 else "NOT met"
    print(f"target GET p99 < {TARGET_P99_MS:.0f} ms at {rate:.0f} req/s: {verdict}")


def run_bench_api(settings: Settings, requests: int, rate: float) -> int:
    network = load_network(settings.network_file or default_network_path())
    locations = sorted(network.locations)[:LOCATIONS_PER_SKU]

    def seed_skus(client: redis.Redis, prefix: str) -> None:
        print(f"seeding {SKU_COUNT} skus x {len(locations)} locations under {prefix} ...")
        seed(RedisStockStore(client, prefix, lambda: network), locations, SKU_COUNT, 1_795_000_000_000)

    with api_on_scratch_prefix(settings, "bench-api", seed_skus) as api:
        spec = {
            "port": api.port,
            "redis_url": settings.redis_url,
            "prefix": api.prefix,
            "sku_count": SKU_COUNT,
            "requests": requests,
            "rate": rate,
            "server_pid": api.pid,
        }
        phases = load_phases("omnistock.bench.load_client", spec, timeout_s=4 * requests / rate + 120)
    report(phases, rate)
    return 0
