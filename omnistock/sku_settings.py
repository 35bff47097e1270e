"""`omnistock set-backorder` and `omnistock set-safety-stock`: per-sku settings an operator changes."""

from __future__ import annotations

import argparse
import sys
import time

from omnistock.settings import Settings
from omnistock.wiring import network_source, stock_store


def run_sku_setting(settings: Settings, args: argparse.Namespace) -> int:
    store = stock_store(settings, network_source(settings))
    if args.command == "set-backorder":
        store.set_backorder(args.sku, args.allowed == "on")
        print(f"{args.sku}: backorder {args.allowed}")
        return 0
    if args.quantity != "default" and not args.quantity.isdigit():
        print(f"quantity: a whole number of units or 'default', not {args.quantity!r}", file=sys.stderr)
        return 2
    quantity = None if args.quantity == "default" else int(args.quantity)
    result = store.set_safety_stock(args.sku, args.location_id, quantity, time.time_ns() // 1_000_000)
    for figures in result.locations:
        print(f"{args.sku} at {figures.location_id}: safety_stock {figures.safety_stock}, atp {figures.atp}")
    return 0
