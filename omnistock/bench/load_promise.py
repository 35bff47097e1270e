"""The second process of `omnistock bench promise`: open-loop POST /v1/promises at a steady rate.

Run as `python -m omnistock.bench.load_promise '<json spec>'`; prints one JSON list of phase summaries.
Carts are drawn from the spec's seed (skus SKU-00001.., quantities 1-2, a postcode of the list), so
the bench's in-process and HTTP runs ask the same kind of carts without shipping them in argv.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import sys
from collections.abc import Callable
from typing import Any

import orjson

from omnistock.bench.latency import PhaseSummary
from omnistock.bench.load_client import Request, main, phase, sending, sku_name
from omnistock.bench.promise_steps import holds, step_rates

CARTS_PER_SIZE = 2000
STEP_PAUSE_S = 2.0


def promise_requests(host: str, ports: list[int], bodies: list[bytes]) -> Callable[[], Request]:
    """Connections to the API processes in turn (the first to ports[0], the next to ports[1], ...)."""
    raws = []
    for body in bodies:
        head = f"POST /v1/promises HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        raws.append(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
    makers = itertools.cycle([sending(host, port, raws) for port in ports])
    return lambda: next(makers)()


def cart_bodies(rng: random.Random, lines: int, sku_count: int, postcodes: list[str]) -> list[bytes]:
    return [
        orjson.dumps(
            {
                "lines": [
                    {"sku": sku_name(rng.randint(1, sku_count)), "quantity": rng.randint(1, 2)}
                    for _ in range(lines)
                ],
                "destination": {"postcode": rng.choice(postcodes)},
            }
        )
        for _ in range(CARTS_PER_SIZE)
    ]


async def run(spec: dict[str, Any]) -> list[PhaseSummary]:
    """Warm-up, then `requests` 1-line and `requests` 5-line promises at `rate`; a cart size whose p99
    misses `target_p99_ms` there is stepped down (omnistock.bench.promise_steps) until one step holds,
    each step `step_s` long."""
    rng = random.Random(int(spec.get("seed", 5)))  # noqa: S311 - a reproducible load, not a secret
    host, count, rate = "127.0.0.1", int(spec["requests"]), float(spec["rate"])
    ports = [int(port) for port in spec.get("ports") or [spec["port"]]]
    sku_count, postcodes = int(spec["sku_count"]), list(spec["postcodes"])
    target_ms, step_s = float(spec.get("target_p99_ms", 0)), float(spec.get("step_s", 5.0))
    one = promise_requests(host, ports, cart_bodies(rng, 1, sku_count, postcodes))
    five = promise_requests(host, ports, cart_bodies(rng, 5, sku_count, postcodes))
    await phase("warm-up", five, spec, min(count, 500))
    phases = []
    for lines, make in ((1, one), (5, five)):
        name = f"POST promise {lines} line{'s' if lines > 1 else ''}"
        at_rate = await phase(f"{name} at {rate:.0f}/s", make, spec, count)
        phases.append(at_rate)
        if target_ms <= 0 or holds(at_rate, target_ms):
            continue
        for step in step_rates(rate):
            await asyncio.sleep(STEP_PAUSE_S)  # what the last step left queued in the API is answered first
            stepped = await phase(f"{name} at {step:.0f}/s", make, spec, round(step * step_s), step / rate)
            phases.append(stepped)
            if holds(stepped, target_ms):
                break
    return phases


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], run))
