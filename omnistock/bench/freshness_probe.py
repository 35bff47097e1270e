"""The probes of `omnistock bench freshness`: one receipt of one unit on a sku of their own, produced,
then watched on the topic (a consumer of the bench's own) and in GET /v1/availability/{sku}.

One probe at a time, spaced `interval_s` apart (later when the last one took longer), so the probes
add ~20 events/s to the load and their own sku's figure moves only by them: probe n is visible once
the sku's network on_hand reaches n. The GET is sent again every POLL_GAP_S on one kept-alive
connection until the figure shows; `visible` is the end of the GET that showed it, so a probe's
figure is late by at most one GET round trip (printed beside the results).
"""

from __future__ import annotations

import gc
import http.client
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from omnistock.bench.freshness_stats import ProbeTimes
from topics.catalog import STOCK_RECEIPTS

POLL_GAP_S = 0.004  # a GET every 4 ms: within 4 ms, and the probe does not load the API it measures
PROBE_LIMIT_S = 5.0
# The probe consumer's own fetch wait: the broker's share it measures includes up to this much of
# it. Small, but not 0: on the embedded broker every empty fetch costs work for each partition.
PROBE_FETCH_WAIT_MS = 5


class ProbeWatch:
    """A consumer of the receipts topic (every partition, from the start) noting when each probe event
    is first read: the broker's share of a probe's latency."""

    def __init__(self, bootstrap: str, topic: str, partitions: int, run: str) -> None:
        self._marker = f'"{run}-'.encode()
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"{run}-watch",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": PROBE_FETCH_WAIT_MS,
                "enable.partition.eof": False,
            }
        )
        self._consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        self.seen: dict[bytes, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="probe-watch", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        marker, seen = self._marker, self.seen
        consume = self._consumer.consume
        while not self._stop.is_set():
            # The first record as soon as it comes (consume() waits for all num_messages or the timeout),
            # then what came with it.
            records = consume(num_messages=1, timeout=0.05)
            for record in records + (consume(num_messages=1000, timeout=0) if records else []):
                value = record.value()
                if value is not None and marker in value:
                    seen.setdefault(orjson.loads(value)["event_id"].encode(), time.perf_counter())

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._consumer.close()


class Prober:
    """Produces probe n and times it to the topic and to the API."""

    def __init__(self, bootstrap: str, topic_prefix: str, api_port: int, location_id: str, run: str) -> None:
        self._producer = Producer(
            {"bootstrap.servers": bootstrap, "linger.ms": 0, "acks": "all", "enable.idempotence": False}
        )
        self._topic = topic_prefix + STOCK_RECEIPTS
        self._location, self._run = location_id, run
        self.sku = f"PROBE-{run}"
        self._http = http.client.HTTPConnection("127.0.0.1", api_port, timeout=PROBE_LIMIT_S)
        self._path = f"/v1/availability/{self.sku}"
        self.sent = 0
        self.get_round_trips: list[float] = []

    def probe(self, watch: ProbeWatch) -> ProbeTimes:
        self.sent += 1
        event_id = f"{self._run}-{self.sent}"
        value = orjson.dumps(
            {
                "event_id": event_id,
                "occurred_at": time.time_ns() // 1_000_000,
                "location_id": self._location,
                "lines": [{"sku": self.sku, "quantity": 1}],
            }
        )
        produced = time.perf_counter()
        self._producer.produce(self._topic, value, self._location.encode())
        self._producer.poll(0)
        visible = self._wait_visible(self.sent, produced + PROBE_LIMIT_S)
        return ProbeTimes(produced, watch.seen.get(event_id.encode()), visible)

    def _wait_visible(self, on_hand: int, deadline: float) -> float | None:
        while True:
            began = time.perf_counter()
            status, body = self._get()
            done = time.perf_counter()
            self.get_round_trips.append(done - began)
            if status == 200 and orjson.loads(body)["network"]["on_hand"] >= on_hand:
                return done
            if done > deadline:
                return None
            time.sleep(POLL_GAP_S)

    def _get(self) -> tuple[int, bytes]:
        """One GET; the connection is opened again when the API closed it (idle keep-alive)."""
        for attempt in (1, 2):
            try:
                self._http.request("GET", self._path)
                answer = self._http.getresponse()
                return answer.status, answer.read()
            except (http.client.HTTPException, ConnectionError):
                self._http.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._producer.flush(10)
        self._http.close()


@contextmanager
def probing(
    bootstrap: str, topic_prefix: str, partitions: int, api_port: int, location_id: str, run: str
) -> Iterator[tuple[Prober, ProbeWatch]]:
    watch = ProbeWatch(bootstrap, topic_prefix + STOCK_RECEIPTS, partitions, run)
    prober = Prober(bootstrap, topic_prefix, api_port, location_id, run)
    try:
        yield prober, watch
    finally:
        prober.close()
        watch.close()


def probe_for(prober: Prober, watch: ProbeWatch, seconds: float, interval_s: float) -> list[ProbeTimes]:
    """Probes one after the other for `seconds`, each `interval_s` after the last one started, or at
    once when the last one took longer (never a burst to catch up)."""
    results: list[ProbeTimes] = []
    end = time.perf_counter() + seconds
    gc.collect()
    gc.disable()  # a full collection of this process (measured: up to 200 ms here) would count as latency
    try:
        while (began := time.perf_counter()) < end:
            results.append(prober.probe(watch))
            pause = began + interval_s - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
    finally:
        gc.enable()
    return results
