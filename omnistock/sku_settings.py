"""`omnistock set-backorder` and `omnistock set-safety-stock`: per-sku settings an operator changes."""

from __future__ import annotations

import argparse
import sys
import time

from core.network import Network
from omnistock.settings import Settings
from omnistock.wiring.stores import network_source, stock_store
from state.store import RedisStockStore


def run_sku_setting(settings: Settings, args: argparse.Namespace) -> int:
    """Exit code 2, with a one-line reason, for a location not in the network file or a sku never
    seen (a typo would otherwise create a phantom row), unless `--create` says it is meant."""
    network = network_source(settings)
    store = stock_store(settings, network)
    refusal = None if args.create else _unknown(store, network.current(), args)
    if refusal is not None:
        print(f"{refusal} (pass --create to set it anyway)", file=sys.stderr)
        return 2
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


def _unknown(store: RedisStockStore, network: Network, args: argparse.Namespace) -> str | None:
    location_id = getattr(args, "location_id", None)
    if location_id is not None and location_id not in network.locations:
        return f"location {location_id} is not in the network file"
    if not store.read_sync([args.sku]):
        return f"sku {args.sku} was never seen: no stock anywhere"
    return None
