"""The live figures `omnistock dev` prints: stock flow, a few skus, a promise, and the order side.

Everything comes from the outside, as an SRE dashboard or a storefront would see it: the worker's
/metrics (one scrape per refresh) and the HTTP API.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
from prometheus_client.parser import text_string_to_metric_families

from omnistock.dev.layout import fit

PROMISE_POSTCODES = ("75011", "69003", "13001", "33000", "59000")
ROUTING_OUTCOMES = ("ROUTED", "PARTIALLY_ROUTED", "BACKORDERED", "UNFULFILLABLE")
REROUTE_REASONS = ("NOT_FOUND", "SLA_EXPIRED", "SHORTAGE")  # and any other reason seen
_LABELLED = {"omnistock_order_statuses_total": "status", "omnistock_rerouted_lines_total": "reason"}


@dataclass(frozen=True, slots=True)
class Scrape:
    """One read of /metrics: each `_total` counter summed over its labels, two counters by label."""

    totals: dict[str, float] = field(default_factory=dict)
    statuses: dict[str, float] = field(default_factory=dict)
    reroutes: dict[str, float] = field(default_factory=dict)
    routing_s: tuple[float, float] = (0.0, 0.0)  # the routing batch histogram's sum and count

    def lag(self, produced: int) -> int:
        """Events of the `produced` not yet consumed by the worker as of this read."""
        return max(0, produced - int(self.totals.get("omnistock_events_consumed_total", 0.0)))


def scrape(url: str) -> Scrape | None:
    """None when the worker does not answer (a busy worker may miss one)."""
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310 - a loopback URL we built
            text = answer.read().decode()
    except OSError:
        return None
    totals: dict[str, float] = defaultdict(float)
    labelled: dict[str, dict[str, float]] = {name: defaultdict(float) for name in _LABELLED}
    routing = [0.0, 0.0]
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("omnistock_") and sample.name.endswith("_total"):
                totals[sample.name] += sample.value
                if sample.name in _LABELLED:
                    labelled[sample.name][sample.labels.get(_LABELLED[sample.name], "")] += sample.value
            elif sample.name == "omnistock_routing_batch_seconds_sum":
                routing[0] = sample.value
            elif sample.name == "omnistock_routing_batch_seconds_count":
                routing[1] = sample.value
    statuses, reroutes = (dict(labelled[name]) for name in _LABELLED)
    return Scrape(dict(totals), statuses, reroutes, (routing[0], routing[1]))


def _get(url: str) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - our own API on loopback
            return answer.status, orjson.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, None
    except (OSError, orjson.JSONDecodeError):
        return 0, None


def availability(api: str, sku: str) -> str:
    code, body = _get(f"{api}/v1/availability/{sku}")
    if code != 200 or not isinstance(body, dict):
        return f"{sku} -"
    network = body["network"]
    return f"{sku} atp {network['atp']} on_hand {network['on_hand']} in_transit {network['in_transit']}"


def promise(api: str, skus: list[str], postcode: str) -> str:
    """The promise of a cart of the popular skus to `postcode`."""
    body = orjson.dumps(
        {"lines": [{"sku": sku, "quantity": 1} for sku in skus], "destination": {"postcode": postcode}}
    )
    request = urllib.request.Request(  # noqa: S310 - our own API on loopback
        f"{api}/v1/promises", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=1) as answer:  # noqa: S310
            options = orjson.loads(answer.read())["options"]
    except OSError:
        return f"promise to {postcode} -"
    shown = [
        f"{o['method']} {o['earliest'][5:16].replace('T', ' ')} {o['price_cents'] / 100:.2f}EUR "
        f"{o['co2e_grams']}g {o['parcels']}p"
        for o in options
    ]
    return f"promise {len(skus)} lines to {postcode}: " + (" | ".join(shown) or "no option")


def order_summary(api: str, order_id: str) -> str:
    """GET /v1/orders/<order_id>, in one line: status, method, each shipment's node and status."""
    code, body = _get(f"{api}/v1/orders/{order_id}")
    if code != 200 or not isinstance(body, dict):
        return f"{order_id} {'not found' if code == 404 else f'- ({code})'}"
    shipments = ", ".join(f"{s['location_id']} {s['status']}" for s in body["shipments"]) or "no shipment"
    unplaced = f", {len(body['unplaced'])} unplaced" if body["unplaced"] else ""
    return f"{order_id} {body['status']} {body['method']}: {shipments}{unplaced}"


def order_figures(now: Scrape, before: Scrape, span_s: float) -> str:
    """Orders routed per second (since the last line), the outcome shares and re-routes (since start)."""
    outcomes = {status: now.statuses.get(status, 0.0) for status in ROUTING_OUTCOMES}
    routed = sum(outcomes.values()) - sum(before.statuses.get(status, 0.0) for status in ROUTING_OUTCOMES)
    total = sum(outcomes.values()) or 1.0
    shares = " ".join(
        f"{status.replace('_ROUTED', '')} {outcomes[status] / total:4.0%}"
        for status in ROUTING_OUTCOMES
        if status != "BACKORDERED" or outcomes[status]
    )
    reasons = [*REROUTE_REASONS, *sorted(set(now.reroutes) - set(REROUTE_REASONS))]
    reroutes = " ".join(f"{reason} {now.reroutes.get(reason, 0.0):.0f}" for reason in reasons)
    batches = now.routing_s[1] - before.routing_s[1]
    per_batch = (now.routing_s[0] - before.routing_s[0]) / batches * 1000 if batches else 0.0
    return (
        f"orders {routed / span_s:5.1f}/s routed: {shares} | re-routed lines {reroutes}"
        f" | routing {per_batch:.1f} ms/batch"
    )


class Screen:
    """Rates since the last line, totals, lag, a few skus' availability, a promise, the order side."""

    def __init__(
        self,
        metrics_url: str,
        api: str,
        skus: list[str],
        recent_order: Callable[[], str | None],
        broker_mb: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.metrics_url, self.api, self.skus, self.recent_order = metrics_url, api, skus, recent_order
        self.broker_mb = broker_mb
        self.refreshes = 0
        self.restart(0)

    def restart(self, produced: int) -> None:
        """Rates and the clock count from now, `produced` events already sent."""
        self.started = time.monotonic()
        self.last: tuple[float, Scrape, int] = (self.started, scrape(self.metrics_url) or Scrape(), produced)

    def line(self, produced: int) -> str:
        now = time.monotonic()
        then, before, produced_before = self.last
        figures = scrape(self.metrics_url) or before  # a busy worker may miss one scrape: keep the last
        self.last = (now, figures, produced)
        span = max(now - then, 1e-6)
        totals, previous = figures.totals, before.totals

        def rate(name: str) -> float:
            return (totals.get(name, 0.0) - previous.get(name, 0.0)) / span

        broker_mb = self.broker_mb()
        flow = (
            f"[{now - self.started:5.0f}s] produced {(produced - produced_before) / span:5.0f}/s"
            f" applied {rate('omnistock_events_consumed_total'):5.0f}/s"
            f" ({rate('omnistock_events_applied_total'):5.0f} changes/s)"
            f" | lag {figures.lag(produced):5d}"
            f" | dups {totals.get('omnistock_events_duplicate_total', 0):.0f}"
            f" dlq {totals.get('omnistock_events_dlq_total', 0):.0f}"
            + (f" | broker {broker_mb:.0f} MB" if broker_mb is not None else "")
        )
        self.refreshes += 1
        postcode = PROMISE_POSTCODES[self.refreshes % len(PROMISE_POSTCODES)]
        stock = " | ".join(availability(self.api, sku) for sku in self.skus)
        order_id = self.recent_order()
        orders = order_figures(figures, before, span)
        orders += " | " + (order_summary(self.api, order_id) if order_id else "no order yet")
        return fit((flow, stock, promise(self.api, self.skus, postcode), orders))
