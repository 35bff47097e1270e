"""Promise latency in-process: p50/p99 for 1- and 5-line carts over the simulated network, random ATP.

The network with its carrier services (omnistock/data/network.yaml) and the postcode table
(postcodes.csv) are the packaged ones; SKU_COUNT skus are each stocked at a random third of the
locations that hold stock. Every call gets a fresh cart, a metropolitan postcode and a `now` within
one week, so calendars, cut-offs and splits all vary. No I/O inside the timed section.
`omnistock bench promise` runs this, then the same through HTTP (omnistock.bench.promise_http).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from core.geo import Place
from core.network import Capability
from core.promise import promise
from core.promise_nodes import AtpView, PromiseNetwork, prepare
from core.promise_types import CartLine
from omnistock.bench.latency import percentile
from omnistock.bench.load_client import sku_name
from omnistock.network_file import default_network_path, load_network
from omnistock.postcodes import load_postcodes

SKU_COUNT = 5000
SEED = 20261122
TARGET_PER_S = 500


def load_inputs() -> tuple[PromiseNetwork, dict[str, Place]]:
    """The prepared simulated network and the metropolitan entries of the postcode table."""
    network = load_network(default_network_path())
    if network.services is None:
        raise ValueError("the packaged network has no carrier services")
    services = network.services
    table = load_postcodes()
    metropolitan = {prefix: place for prefix, place in sorted(table.items()) if not prefix.startswith("97")}
    return prepare(network, services), metropolitan


def random_atp(prepared: PromiseNetwork, rng: random.Random) -> dict[tuple[str, str], int]:
    holders = sorted(
        loc.location_id
        for loc in prepared.network.locations.values()
        if Capability.SHIP in loc.capabilities or Capability.PICKUP in loc.capabilities
    )
    atp: dict[tuple[str, str], int] = {}
    for number in range(1, SKU_COUNT + 1):
        for location_id in rng.sample(holders, k=max(1, len(holders) // 3)):
            atp[(sku_name(number), location_id)] = rng.randint(0, 8)
    return atp


def time_carts(
    prepared: PromiseNetwork, places: list[Place], atp: AtpView, lines: int, count: int, rng: random.Random
) -> list[float]:
    """Seconds per promise, sorted."""
    start = datetime(2026, 11, 16, tzinfo=UTC)
    took = []
    for _ in range(count):
        cart = [CartLine(sku_name(rng.randint(1, SKU_COUNT)), rng.randint(1, 2)) for _ in range(lines)]
        place = rng.choice(places)
        now = start + timedelta(minutes=rng.randrange(7 * 24 * 60))
        began = time.perf_counter()
        promise(prepared, cart, place, now, atp)
        took.append(time.perf_counter() - began)
    return sorted(took)


def run_in_process(count: int = 2000) -> tuple[PromiseNetwork, dict[str, Place], dict[tuple[str, str], int]]:
    """Times `count` promises per cart size on one core; returns the inputs for the HTTP run."""
    rng = random.Random(SEED)  # noqa: S311 - benchmark data, not secrets
    prepared, table = load_inputs()
    atp = random_atp(prepared, rng)
    places = list(table.values())
    sizes = f"{len(prepared.network.locations)} locations, {SKU_COUNT} skus"
    print(f"promise in-process: {sizes}, {count} calls per cart size")
    for lines in (1, 5):
        time_carts(prepared, places, atp, lines, min(200, count), rng)  # warm caches (zoneinfo, bands)
        took = time_carts(prepared, places, atp, lines, count, rng)
        per_s = len(took) / sum(took)
        verdict = (
            ""
            if lines == 1
            else f" (target >= {TARGET_PER_S}/s: {'met' if per_s >= TARGET_PER_S else 'NOT met'})"
        )
        print(
            f"  {lines}-line cart: p50 {percentile(took, 50) * 1000:.2f} ms, "
            f"p99 {percentile(took, 99) * 1000:.2f} ms, {per_s:,.0f} promises/s on one core{verdict}"
        )
    return prepared, table, atp
