"""Poison records mixed into a stream read by two workers: each lands on `<topic>.dlq` with an
`omnistock.error` header naming the reason (CONTRACT.md "Dead letters"), no worker dies, every
partition flows, and the good events' positions end equal to the oracle.

Run time on the 2-core shared machine: about 70 s (the late duplicate waits for its 45 s window to pass).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Message, Producer

from tests.faults.harness import (
    FIGURES,
    RATE_PER_S,
    Figures,
    assert_matches_oracle,
    planned_stream,
    settle_on,
    two_workers,
)
from tests.support.load import Sent
from tests.support.oracle import StockOracle
from tests.support.send import Ends, fast_producer, send_raw, send_stream
from tests.support.stack import Stack

pytestmark = [pytest.mark.faults, pytest.mark.broker, pytest.mark.redis]

# A window short enough to wait out: an event is accepted up to (window - skew) old (main's poison
# fix; `max_clock_skew_s` is ignored where it does not exist), and refused once older than the window.
DEDUPE_WINDOW_S = 45  # events up to 35 s old are applied: room for a slow machine (20 s failed once)
MAX_CLOCK_SKEW_S = 10
POISON_SKU = "SKU-POISON"  # no good event names it: a poison applied would show as a position of it
LATE_SKU = "SKU-LATE"  # only the late duplicate names it: no count can hide it being applied twice
BIG = 1_048_576
Position = tuple[str, int, int]  # (topic, partition, offset)


@dataclass(frozen=True)
class Poison:
    name: str
    topic: str
    key: str
    value: bytes
    reason_names: str = ""  # a word the reason must contain, when the contract names one


def sale(event_id: str, occurred_at: int | str, location: str = "ST-1", sku: str = POISON_SKU) -> bytes:
    head = f'{{"event_id": "{event_id}", "occurred_at": {occurred_at}, "location_id": "{location}", '
    return (head + f'"lines": [{{"sku": "{sku}", "quantity": 1}}]}}').encode()


def poisons(now_ms: int) -> list[Poison]:
    return [
        Poison("malformed JSON", "pos.sales.v1", "ST-1", b'{"event_id": "poison-json", "occurred_at": 17'),
        Poison("1 MB record", "stock.receipts.v1", "WH-1", b'{"event_id": "poison-big", "x": "' + b"x" * BIG),
        Poison("occurred_at 1e30", "pos.sales.v1", "ST-2", sale("poison-1e30", 10**30, "ST-2")),
        Poison(
            "unknown location",
            "pos.sales.v1",
            "ST-NOWHERE",
            sale("poison-where", now_ms, "ST-NOWHERE"),
            "unknown_location",
        ),
        Poison("far future", "pos.sales.v1", "ST-3", sale("poison-future", now_ms + 86_400_000, "ST-3")),
    ]


def test_poison_records_go_to_the_dead_letters_and_stop_nothing(
    broker_bootstrap: str, redis_url: str, tmp_path: Path
):
    stream, oracle = planned_stream(seed=3)
    figures = Figures("poison records mixed into the stream", distinct=oracle.applied)
    FIGURES.append(figures)
    settings = {"dedupe_window_s": str(DEDUPE_WINDOW_S), "max_clock_skew_s": str(MAX_CLOCK_SKEW_S)}
    with two_workers(broker_bootstrap, redis_url, tmp_path, **settings) as stack:
        batch, ends, placed = send_poisoned(stack, stream, oracle, figures)
        figures.settled = settled = settle_on(stack, oracle, ends, also_read=(POISON_SKU,))
        letters = dead_letters(stack, batch)
        reasons = {source: header(record, "omnistock.error") for source, record in letters.items()}
        figures.dead_letters = len(letters)
        figures.notes += [f"{name}: {reasons.get(place, 'NOT on the DLQ')}" for name, place in placed.items()]
        print(figures.line())
        assert set(placed) == {poison.name for poison in batch}, "a poison record could not be sent"
        good = {source: reasons[source] for source in letters if source not in placed.values()}
        assert good == {}, f"good events dead-lettered: {good}"
        assert all(worker.poll() is None for worker in stack.workers), "a worker died"
        assert_matches_oracle(settled)
        for poison in batch:
            reason = reasons.get(placed[poison.name])
            assert reason, f"{poison.name}: not on {poison.topic}.dlq with an omnistock.error header"
            assert poison.reason_names in reason, f"{poison.name}: the reason {reason!r} lacks its name"
        assert_truncated(letters[placed["1 MB record"]], len(batch[1].value))


def send_poisoned(
    stack: Stack, stream: list[Sent], oracle: StockOracle, figures: Figures
) -> tuple[list[Poison], Ends, dict[str, Position]]:
    """The stream with the poisons spread through it; the late duplicate's first copy (a good event,
    in the oracle) goes first, its second once the dedupe window has passed. The poisons (late
    duplicate last), every partition's end, and where each poison landed."""
    producer, ends, placed = fast_producer(stack.bootstrap, max_bytes=2 * BIG), {}, {}
    now_ms = time.time_ns() // 1_000_000
    late_at = now_ms - 3000  # well inside the window when first sent
    late = Poison("late duplicate", "pos.sales.v1", "ST-1", sale("late-1", late_at, sku=LATE_SKU))
    send_raw(producer, stack.topic_prefix + late.topic, late.key, late.value, ends)
    oracle.apply(late.topic, orjson.loads(late.value))
    batch = poisons(now_ms)
    faults = {
        len(stream) * (n + 1) // 7: sender(stack, producer, p, ends, placed) for n, p in enumerate(batch)
    }
    report = send_stream(fast_producer(stack.bootstrap), stack.topic_prefix, stream, RATE_PER_S, faults)
    for thread in report.fault_threads:
        thread.join(30)
    time.sleep(max(0.0, (late_at + DEDUPE_WINDOW_S * 1000 + 3000) / 1000 - time.time()))
    sender(stack, producer, late, ends, placed)()  # the same record again, now older than the window
    for place, end in report.ends.items():
        ends[place] = max(ends.get(place, 0), end)
    figures.sent, figures.send_s = report.sent + len(placed) + 1, report.seconds
    figures.distinct, figures.poison = oracle.applied, len(placed)
    return [*batch, late], ends, placed


def assert_truncated(letter: Message, original_size: int) -> None:
    """CONTRACT.md: a value too large is truncated, with headers giving the original size and a hash."""
    assert len(letter.value() or b"") < original_size, "the 1 MB dead letter was not truncated"
    values = [bytes(value or b"") for _, value in letter.headers() or []]
    assert str(original_size).encode() in values, "no header gives the original size"


def sender(
    stack: Stack, producer: Producer, poison: Poison, ends: Ends, placed: dict[str, Position]
) -> Callable[[], None]:
    def send() -> None:
        partition, offset = send_raw(
            producer, stack.topic_prefix + poison.topic, poison.key, poison.value, ends
        )
        placed[poison.name] = (stack.topic_prefix + poison.topic, partition, offset)

    return send


def dead_letters(stack: Stack, batch: list[Poison]) -> dict[tuple[str, int, int], Message]:
    """Every dead letter of the poisons' topics, by the (topic, partition, offset) it came from."""
    letters: dict[tuple[str, int, int], Message] = {}
    for topic in sorted({poison.topic for poison in batch}):
        expected = sum(1 for poison in batch if poison.topic == topic)
        for record in stack.read_topic(topic + ".dlq", expected, timeout_s=20):
            letters[source_of(record)] = record
    return letters


def header(record: Message, name: str) -> str:
    return next(
        (bytes(v or b"").decode(errors="replace") for k, v in record.headers() or [] if k == name), ""
    )


def source_of(record: Message) -> tuple[str, int, int]:
    names = ("omnistock.source.topic", "omnistock.source.partition", "omnistock.source.offset")
    topic, partition, offset = (header(record, name) for name in names)
    return topic, int(partition or -1), int(offset or -1)
