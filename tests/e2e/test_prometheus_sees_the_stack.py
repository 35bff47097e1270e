"""A real Prometheus (Debian's package) scrapes a running worker and API on an address other than
127.0.0.1 and answers every query of the dashboard and every alert expression; on a healthy stack no
alert fires; after the worker is killed, OmnistockNoWorker fires.

The scrape address is 127.0.0.2 by default: the worker and the API listen on 0.0.0.0 (the image's
setting), which a process bound to 127.0.0.1 alone (the old worker) would not answer there, and the
traffic stays on this machine's loopback. OMNISTOCK_E2E_SCRAPE_HOST names another address of this
machine (e.g. its own interface's, from `hostname -I`) to scrape through instead.

OmnistockNoWorker's `for:` is 2m in deploy/prometheus/rules.yaml; this test's copy of the rules sets
it to NO_WORKER_FOR_S (a test cannot wait two minutes); the expression is the deployed one.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import orjson
import pytest
import yaml

from streams.order_flow import ORDER_TOPICS
from tests.support.prometheus_server import Prometheus, rules_with_short_for, running_prometheus, wait_until
from tests.support.stack import Stack, running_stack
from topics.catalog import HOLD_TOPICS, STOCK_TOPICS

pytestmark = [pytest.mark.prometheus, pytest.mark.broker, pytest.mark.redis]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NETWORK = Path(__file__).with_name("network.yaml")
SCRAPE_HOST = os.environ.get("OMNISTOCK_E2E_SCRAPE_HOST", "127.0.0.2")
NO_WORKER_FOR_S = 10
INPUT_TOPICS = STOCK_TOPICS + HOLD_TOPICS + ORDER_TOPICS
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - the image's setting; scraped from this machine only


def _panels() -> list[tuple[str, list[str]]]:
    dashboard = json.loads((DEPLOY / "grafana" / "omnistock.json").read_text())
    return [
        (panel["title"], [target["expr"] for target in panel["targets"]]) for panel in dashboard["panels"]
    ]


def _alert_expressions() -> dict[str, str]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "rules.yaml").read_text())["groups"][0]["rules"]
    return {rule["alert"]: rule["expr"] for rule in rules}


def _send_some_stock(stack: Stack) -> None:
    now = datetime.now(UTC).isoformat()
    receipt = {
        "event_id": "m-r1",
        "occurred_at": now,
        "location_id": "WH-1",
        "lines": [{"sku": "SKU-M", "quantity": 50}],
    }
    stack.send("stock.receipts.v1", "WH-1", receipt)
    for number in range(5):
        sale = {
            "event_id": f"m-s{number}",
            "occurred_at": now,
            "location_id": "ST-1",
            "lines": [{"sku": "SKU-M", "quantity": 1}],
        }
        stack.send("pos.sales.v1", "ST-1", sale)


def _series(prometheus: Prometheus, expr: str) -> list[dict[str, object]]:
    answer = prometheus.query(expr)
    assert answer["status"] == "success", f"{expr}: {answer.get('error')}"
    return list(answer["data"]["result"])


def _every_panel_has_a_series(prometheus: Prometheus) -> bool:
    return all(any(_series(prometheus, expr) for expr in exprs) for _, exprs in _panels())


def test_prometheus_answers_every_query_and_sees_the_worker_go(
    broker_bootstrap: str, redis_url: str, prometheus_tools: tuple[str, str], tmp_path: Path
) -> None:
    started = time.monotonic()
    with running_stack(
        broker_bootstrap,
        redis_url,
        NETWORK,
        tmp_path / "logs",
        api_host=ALL_INTERFACES,
        worker_metrics_host=ALL_INTERFACES,
    ) as stack:
        worker_port = urlparse(stack.metrics[0]).port
        with urllib.request.urlopen(f"http://{SCRAPE_HOST}:{worker_port}/readyz", timeout=5) as answer:  # noqa: S310
            readiness = orjson.loads(answer.read())
        assert readiness["partitions"] > 0
        targets = {
            "omnistock-worker": [f"{SCRAPE_HOST}:{worker_port}"],
            "omnistock-api": [f"{SCRAPE_HOST}:{stack.api_port}"],
        }
        rules = rules_with_short_for(
            DEPLOY / "prometheus" / "rules.yaml", {"OmnistockNoWorker": f"{NO_WORKER_FOR_S}s"}
        )
        with running_prometheus(prometheus_tools[0], tmp_path / "prometheus", targets, rules) as prometheus:
            _send_some_stock(stack)
            assert stack.get("/v1/availability/SKU-M")[0] in (200, 404)
            with contextlib.suppress(TimeoutError):
                wait_until(lambda: _every_panel_has_a_series(prometheus), timeout_s=30)
            for title, exprs in _panels():
                assert any(_series(prometheus, expr) for expr in exprs), f"panel {title!r} shows nothing"

            up = {s["metric"]["job"]: s["value"][1] for s in _series(prometheus, "up")}  # type: ignore[index]
            assert up == {"omnistock-worker": "1", "omnistock-api": "1"}
            for expr in _alert_expressions().values():
                _series(prometheus, expr)  # answers: a result (empty while healthy), never an error
            ages = _series(prometheus, 'omnistock_event_age_seconds_count{topic="pos.sales.v1"}')
            assert ages, "the worker's event age is not scraped"
            assert prometheus.firing() == set(), "alerts fire on a healthy stack"
            # Every record sent is applied: each held partition's lag is there, and 0.
            lags = _series(prometheus, "omnistock_consumer_lag_records")
            assert len(lags) == len(INPUT_TOPICS) * 4  # 4 partitions each, all held by the one worker
            wait_until(lambda: not _series(prometheus, "omnistock_consumer_lag_records > 0"), timeout_s=10)

            stack.workers[0].kill()
            seconds = wait_until(lambda: "OmnistockNoWorker" in prometheus.firing(), NO_WORKER_FOR_S + 20)
            down = _series(prometheus, 'up{job="omnistock-worker"}')
            assert [s["value"][1] for s in down] == ["0"]  # type: ignore[index]
    print(
        f"\nOmnistockNoWorker fired {seconds:.1f} s after the kill (for: {NO_WORKER_FOR_S}s); "
        f"test took {time.monotonic() - started:.0f} s"
    )
