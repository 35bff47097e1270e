"""The second process of `omnistock bench promise`: open-loop POST /v1/promises at a steady rate.

Run as `python -m omnistock.bench.load_promise '<json spec>'`; prints one JSON list of phase summaries.
Carts are drawn from the spec's seed (skus SKU-00001.., quantities 1-2, a postcode of the list), so
the bench's in-process and HTTP runs ask the same kind of carts without shipping them in argv.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from typing import Any

import orjson

from omnistock.bench.latency import PhaseSummary
from omnistock.bench.load_client import Request, main, phase, sending, sku_name

CARTS_PER_SIZE = 2000


def promise_requests(host: str, port: int, bodies: list[bytes]) -> Callable[[], Request]:
    raws = []
    for body in bodies:
        head = f"POST /v1/promises HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        raws.append(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
    return sending(host, port, raws)


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
    """Warm-up, then `requests` 1-line and `requests` 5-line promises, each at `rate`."""
    rng = random.Random(int(spec.get("seed", 5)))  # noqa: S311 - a reproducible load, not a secret
    host, port, count, rate = "127.0.0.1", int(spec["port"]), int(spec["requests"]), float(spec["rate"])
    sku_count, postcodes = int(spec["sku_count"]), list(spec["postcodes"])
    one = promise_requests(host, port, cart_bodies(rng, 1, sku_count, postcodes))
    five = promise_requests(host, port, cart_bodies(rng, 5, sku_count, postcodes))
    await phase("warm-up", five, spec, min(count, 500))
    return [
        await phase(f"POST promise 1 line at {rate:.0f}/s", one, spec, count),
        await phase(f"POST promise 5 lines at {rate:.0f}/s", five, spec, count),
    ]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], run))
