"""One valid example event per input topic (JSON-ready dicts), for tests, benchmarks and docs."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from topics import catalog

OCCURRED_AT_MS = 1_700_000_000_000  # 2023-11-14T22:13:20Z

SAMPLES: dict[str, dict[str, Any]] = {
    catalog.POS_SALES: {
        "location_id": "STORE-001",
        "lines": [
            {"sku": "SKU-1", "quantity": 2},
            {"sku": "SKU-2", "quantity": 1},
            {"sku": "SKU-1", "quantity": 1},
        ],
        "receipt_id": "R-42",
    },
    catalog.STOCK_RECEIPTS: {
        "location_id": "WH-1",
        "lines": [{"sku": "SKU-1", "quantity": 100}],
        "reference": "PO-7",
    },
    catalog.STOCK_ADJUSTMENTS: {
        "location_id": "STORE-001",
        "lines": [{"sku": "SKU-1", "quantity": -3}],
        "reason": "SHRINK",
    },
    catalog.STOCK_COUNTS: {"location_id": "STORE-001", "lines": [{"sku": "SKU-1", "on_hand": 12}]},
    catalog.STOCK_TRANSFERS: {
        "transfer_id": "T-9",
        "status": "SHIPPED",
        "from_location_id": "WH-1",
        "to_location_id": "STORE-001",
        "lines": [{"sku": "SKU-1", "quantity": 20}],
        "expected_at": OCCURRED_AT_MS + 86_400_000,
    },
    catalog.CART_EVENTS: {
        "cart_id": "C-1",
        "type": "LINE_SET",
        "sku": "SKU-1",
        "quantity": 2,
        "channel": "web",
    },
    catalog.ORDERS: {
        "order_id": "O-1",
        "type": "PLACED",
        "lines": [{"line_id": "1", "sku": "SKU-1", "quantity": 2}],
        "delivery": {"method": "HOME_STANDARD", "postcode": "75011", "lat": 48.86, "lon": 2.38},
        "cart_id": "C-1",
        "channel": "web",
    },
    catalog.FULFILLMENT_UPDATES: {
        "order_id": "O-1",
        "shipment_id": "S-1",
        "location_id": "WH-1",
        "status": "REJECTED",
        "lines": [{"line_id": "1", "sku": "SKU-1", "quantity": 2}],
        "reason": "not found on shelf",
    },
    catalog.RETURNS: {
        "return_id": "RT-1",
        "order_id": "O-1",
        "location_id": "STORE-001",
        "lines": [{"sku": "SKU-1", "quantity": 1, "condition": "RESELLABLE"}],
    },
}


def sample_event(topic: str, event_id: str = "evt-1", **overrides: Any) -> dict[str, Any]:
    """A fresh copy of the topic's sample with `event_id`, `occurred_at` and `overrides` applied."""
    event: dict[str, Any] = {"event_id": event_id, "occurred_at": OCCURRED_AT_MS}
    event.update(deepcopy(SAMPLES[topic]))
    event.update(overrides)
    return event
