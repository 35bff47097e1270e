"""The README's example consumer (examples/consume_fulfillment.py), run as a third party would, decodes
the fulfillment request and the order status a real worker produced for an order: through a schema
registry (tests/support/schema_registry.py), and without one (the repo's .avsc files, picked by the
`omnistock.schema` header), and a worker writing plain JSON (OMNISTOCK_OUTPUT_FORMAT=json)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.support.schema_registry import RegistryState, schema_registry
from tests.support.stack import Stack, eventually, running_stack

pytestmark = [pytest.mark.broker, pytest.mark.redis]

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "consume_fulfillment.py"
NETWORK = Path(__file__).with_name("routing_network.yaml")


@contextlib.contextmanager
def registry_or_none(mode: str) -> Iterator[tuple[str | None, RegistryState | None]]:
    if mode == "registry":
        with schema_registry() as (url, state):
            yield url, state
    else:
        yield None, None


def place_an_order_at_wh1(stack: Stack) -> None:
    now = int(time.time() * 1000)
    receipt = {"event_id": "r-ex", "occurred_at": now, "location_id": "WH-1",
               "lines": [{"sku": "SKU-EX", "quantity": 5}]}  # fmt: skip
    stack.send("stock.receipts.v1", "WH-1", receipt)

    def received() -> None:
        status, body = stack.get("/v1/availability/SKU-EX")
        assert status == 200
        assert body["network"]["on_hand"] == 5

    eventually(received)
    order = {
        "event_id": "O-EX-placed", "occurred_at": now, "order_id": "O-EX", "type": "PLACED", "channel": "web",
        "lines": [{"line_id": "l1", "sku": "SKU-EX", "quantity": 2}],
        "delivery": {"method": "HOME_STANDARD", "postcode": "75011"},
    }  # fmt: skip
    stack.send("orders.v1", "O-EX", order)


def run_example(stack: Stack, *options: str) -> list[dict[str, Any]]:
    command = [
        sys.executable,
        str(EXAMPLE),
        "--broker",
        stack.bootstrap,
        "--topic-prefix",
        stack.topic_prefix,
    ]
    command += [*options, "--max-records", "2", "--timeout", "60"]
    done = subprocess.run(command, capture_output=True, timeout=120, check=False)  # noqa: S603 - our own script
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return [orjson.loads(line) for line in done.stdout.splitlines()]


@pytest.mark.parametrize("mode", ["registry", "no registry", "json"])
def test_the_example_consumer_decodes_the_request_and_status_a_worker_produced(
    mode: str, broker_bootstrap: str, redis_url: str, tmp_path: Path
) -> None:
    with registry_or_none(mode) as (url, registry):
        settings = {"schema_registry_url": url} if url else {}
        if mode == "json":
            settings["output_format"] = "json"
        with running_stack(broker_bootstrap, redis_url, NETWORK, tmp_path, **settings) as stack:
            place_an_order_at_wh1(stack)
            options = ["--registry", url] if url else ["--schemas", str(ROOT / "topics" / "schemas")]
            if mode == "json":
                options = []  # nothing but the records: plain JSON
            lines = run_example(stack, *options)
        if registry is not None:  # the worker registered its outputs under the stack's topics
            assert f"{stack.topic_prefix}fulfillment.requests.v1-value" in registry.subjects

    by_topic = {line["topic"].removeprefix(stack.topic_prefix): line for line in lines}
    request, status = by_topic["fulfillment.requests.v1"], by_topic["orders.status.v1"]
    assert (request["key"], request["schema"]) == ("O-EX", "omnistock.v1.FulfillmentRequest")
    assert request["value"]["order_id"] == "O-EX"
    assert request["value"]["location_id"] == "WH-1"
    assert request["value"]["method"] == "HOME_STANDARD"
    assert [(x["sku"], x["quantity"]) for x in request["value"]["lines"]] == [("SKU-EX", 2)]
    assert request["value"]["occurred_at"].endswith("Z")
    assert (status["schema"], status["value"]["status"]) == ("omnistock.v1.OrderStatus", "ROUTED")
    content_type = "application/json" if mode == "json" else "application/avro"
    assert request["content_type"] == status["content_type"] == content_type
    assert status["value"]["shipments"][0]["shipment_id"] == request["value"]["shipment_id"]
