"""The timed phases of `omnistock bench routing`: orders flat out, then open loop at a rate."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import orjson
from confluent_kafka import Producer

from omnistock.bench.kafka import produce_all
from omnistock.bench.latency import PhaseSummary, percentile, percentiles_by_slice, schedule, summarize
from omnistock.bench.routing_outputs import OutputReader, Outputs

SENDING_DONE = "-sending-done-"  # not an order id: order ids are prefixed by the run
QUIET_S = 2.0  # after the last order is sent, how long its request may take to be read back
SLICE_S = 5.0  # the latency phase's p99 per slice of this many seconds


def throughput(reader: OutputReader, bootstrap: str, topic: str, events: list[dict[str, Any]]) -> float:
    """Orders/s between the worker's first and last status of these orders."""
    now_ms = time.time_ns() // 1_000_000
    records = [(e["order_id"].encode(), orjson.dumps({**e, "occurred_at": now_ms})) for e in events]
    ids = [e["order_id"] for e in events]
    produce_all(bootstrap, topic, records)
    reader.read_until(lambda out: all(i in out.statuses for i in ids), 60 + len(ids) / 20, "every status")
    stamps = sorted(reader.out.statuses[i][1] for i in ids)
    return (len(stamps) - 1) / max((stamps[-1] - stamps[0]) / 1000, 1e-3)


def send_open_loop(
    bootstrap: str, topic: str, events: list[dict[str, Any]], rate: float, sent: dict[str, float]
) -> None:
    """Each event at its scheduled time (occurred_at = that time); `sent` gets order -> scheduled time
    and, once every event is sent, SENDING_DONE -> when."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1})
    start = time.time() + 0.2
    for event, due in zip(events, schedule(len(events), rate), strict=True):
        at = start + due
        time.sleep(max(0.0, at - time.time()))
        sent[event["order_id"]] = at
        value = orjson.dumps({**event, "occurred_at": round(at * 1000)})
        producer.produce(topic, value, event["order_id"].encode())
        producer.poll(0)
    producer.flush(30)
    sent[SENDING_DONE] = time.time()


def latency(
    reader: OutputReader, bootstrap: str, topic: str, events: list[dict[str, Any]], rate: float
) -> tuple[PhaseSummary, dict[str, float]]:
    """Orders sent open loop; each one's first fulfillment request read back. Returns the summary and
    each order's scheduled send time."""
    sent: dict[str, float] = {}
    sender = threading.Thread(target=send_open_loop, args=(bootstrap, topic, events, rate, sent))
    started = time.time()
    sender.start()
    ids = [e["order_id"] for e in events]
    reader.read_until(lambda out: not sender.is_alive(), 120 + len(ids) / rate, "the sender")
    sender.join()
    # the last requests, then a second more for any late one (an order no node can serve has none)
    reader.read(lambda out: all(i in out.requests for i in ids), QUIET_S)
    reader.drain(1.0)
    elapsed = sent.pop(SENDING_DONE) - started  # the sending rate: the worker's pace shows in the latency
    took = [reader.out.requests[i] - sent[i] for i in ids if i in reader.out.requests]
    summary = summarize(f"{rate:.0f} orders/s open loop", len(ids), took, [], len(ids) - len(took), elapsed)
    return summary, sent


def split(sent: Mapping[str, float], out: Outputs) -> None:
    """Where the time goes: the status's broker timestamp is when the worker produced it (CreateTime)."""
    both = [i for i in sent if i in out.requests and i in out.statuses]
    inbound = sorted(out.statuses[i][1] / 1000 - sent[i] for i in both)
    outbound = sorted(out.requests[i] - out.statuses[i][1] / 1000 for i in both)
    for name, part in (
        ("order sent -> worker produced its status", inbound),
        ("-> request read back", outbound),
    ):
        print(f"  {name}: p50 {percentile(part, 50) * 1000:.1f} ms, p99 {percentile(part, 99) * 1000:.1f} ms")


def drift(sent: Mapping[str, float], read_at: Mapping[str, float]) -> str:
    """The latency phase's p99 per SLICE_S of sending: flat, or growing as the run goes on."""
    if not sent:
        return ""
    start = min(sent.values())
    pairs = [(at - start, read_at[i] - at) for i, at in sent.items() if i in read_at]
    p99s = ", ".join(f"{p99 * 1000:.0f}" for _, p99, _ in percentiles_by_slice(pairs, SLICE_S))
    return f"p99 per {SLICE_S:g} s of the phase: {p99s} ms"
