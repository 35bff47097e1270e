"""`python -m omnistock.bench.codec`: microseconds per event to decode, validate and map, JSON vs Avro."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import orjson

from core.movements import LocationFigures
from topics.catalog import POS_SALES, STOCK_COUNTS, STOCK_TRANSFERS, topic_spec
from topics.codec import AvroCodec
from topics.mappers import STOCK_ROUTES, StockEventDecoder
from topics.outputs import AvailabilityChangeEncoder
from topics.registry import LocalSchemaList
from topics.samples import sample_event

TOPICS = (POS_SALES, STOCK_COUNTS, STOCK_TRANSFERS)


def per_call_us(fn: Callable[[], object], repeat: int = 5, seconds: float = 0.2) -> float:
    """The best of `repeat` timings, in microseconds per call."""
    calls = 1
    while True:  # find a number of calls that runs for about `seconds`
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        elapsed = time.perf_counter() - started
        if elapsed > seconds / 4:
            break
        calls *= 4
    best = elapsed
    for _ in range(repeat - 1):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, time.perf_counter() - started)
    return best / calls * 1e6


def bench_topic(topic: str, codec: AvroCodec, decoder: StockEventDecoder) -> None:
    event = sample_event(topic)
    as_json = orjson.dumps(sample_event(topic, occurred_at="2023-11-14T22:13:20.000Z"))  # as a POS would
    as_avro = codec.encode(str(topic_spec(topic).schema), event)
    model, mapper = STOCK_ROUTES[topic]
    rows = {
        "json  decode+validate+map": per_call_us(lambda: decoder(topic, as_json)),
        "avro  decode+validate+map": per_call_us(lambda: decoder(topic, as_avro)),
        "json  model_validate_json": per_call_us(lambda: model.model_validate_json(as_json)),
        "json  orjson + model_validate": per_call_us(lambda: model.model_validate(orjson.loads(as_json))),
        "avro  fastavro decode only": per_call_us(lambda: codec.decode(as_avro)),
    }
    print(f"{topic}  ({len(event['lines'])} lines; {len(as_json)} B JSON, {len(as_avro)} B Avro)")
    for label, us in rows.items():
        print(f"  {label:<32} {us:6.2f} us/event")


def main() -> int:
    codec = AvroCodec(LocalSchemaList())
    decoder = StockEventDecoder(codec)
    for topic in TOPICS:
        bench_topic(topic, codec, decoder)
    encoder = AvailabilityChangeEncoder(codec)
    figures = LocationFigures("STORE-001", 120, 5, 3, 2, 1, 114)
    us = per_call_us(lambda: encoder.encode("SKU-1", figures, 5000, "evt-1", 1_700_000_000_000))
    print(f"availability.changes.v1  encode  {us:6.2f} us/change")
    return 0


if __name__ == "__main__":
    sys.exit(main())
