"""The background load of `omnistock bench freshness`: stock events at a steady rate, from its own process.

Run as `python -m omnistock.bench.freshness_load '<json spec>'` (bootstrap, topic_prefix, rate,
duration_s, seed); prints one JSON object {"produced", "seconds"}. Its own process, so producing
thousands of events/s never takes the GIL from the bench's probes. The events are the worker bench's
(90 % one- or two-line POS sales, 10 % receipts, 5,000 skus), encoded before the clock starts and
sent in the slices of a 1 ms pacer: i.e. at `rate` on average whatever the sleeps' jitter. It
prints READY when it begins sending (encoding 100,000 events takes a few seconds on a busy machine).
"""

from __future__ import annotations

import sys
import time
from typing import Any

import orjson
from confluent_kafka import Producer

from omnistock.bench.events import bench_events
from omnistock.network_file import default_network_path, load_network

# Tills and warehouses send in small batches, as the other benches' producers do (the embedded broker
# keeps each produced batch as one object, and its fetches slow down with their number). The probe
# itself is sent alone (linger 0).
LOAD_LINGER_MS = 20
READY = b"sending\n"


def due_now(rate: float, elapsed_s: float, sent: int) -> int:
    """How many more events are due `elapsed_s` into a run at `rate` when `sent` have gone."""
    return max(0, int(elapsed_s * rate) - sent)


def run(spec: dict[str, Any]) -> dict[str, float]:
    rate, duration = float(spec["rate"]), float(spec["duration_s"])
    prefix = str(spec["topic_prefix"])
    count = int(rate * duration)
    events = [
        (prefix + topic, key, value)
        for topic, key, value in bench_events(
            load_network(default_network_path()), count, seed=int(spec.get("seed", 11))
        )
    ]
    producer = Producer(
        {
            "bootstrap.servers": spec["bootstrap"],
            "linger.ms": LOAD_LINGER_MS,
            "queue.buffering.max.messages": 1_000_000,
            "enable.idempotence": False,
        }
    )
    sys.stdout.buffer.write(READY)
    sys.stdout.flush()
    produce, sent, started = producer.produce, 0, time.perf_counter()
    while sent < count:
        elapsed = time.perf_counter() - started
        if elapsed > duration + 5:
            break  # the broker cannot take the rate: stop rather than run on
        for topic, key, value in events[sent : sent + due_now(rate, elapsed, sent)]:
            try:
                produce(topic, value, key)
            except BufferError:
                producer.poll(0.05)
                break
            sent += 1
        producer.poll(0)
        time.sleep(0.001)
    producer.flush(30)
    return {"produced": float(sent), "seconds": time.perf_counter() - started}


if __name__ == "__main__":
    sys.stdout.write(orjson.dumps(run(orjson.loads(sys.argv[1]))).decode() + "\n")
