"""The `omnistock` command: the worker, the API, the embedded dev stack, and the tools around them.

Settings come from OMNISTOCK_* variables (omnistock/settings.py); `omnistock COMMAND --help` tells
each command's options and their defaults."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from omnistock.settings import load_settings


class _DefaultsShown(argparse.ArgumentDefaultsHelpFormatter):
    """Appends "(default: X)" unless the help already tells the default in its own words."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.help and "default" in action.help:
            return action.help
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """Every parser, subcommands' included (argparse makes them of the parent's class), shows each
    option's default beside its help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _DefaultsShown)
        super().__init__(*args, **kwargs)


def installed_version() -> str:
    """The installed package's version (pyproject.toml), or a placeholder when run from a bare tree."""
    try:
        return version("omnistock")
    except PackageNotFoundError:
        return "0.0.0+unknown"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="omnistock", description=__doc__)
    parser.add_argument("--version", action="version", version=f"omnistock {installed_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("worker", help="run the stream processors (settings from OMNISTOCK_* variables)")
    api = commands.add_parser("api", help="serve the HTTP API")
    api.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    api.add_argument("--port", type=int, default=8000, help="port to listen on")
    produce = commands.add_parser(
        "produce", help="produce JSON lines to a topic (base name, e.g. pos.sales.v1)"
    )
    produce.add_argument("topic", help="an input topic's base name, without OMNISTOCK_TOPIC_PREFIX")
    produce.add_argument("file", help="a file of JSON lines, or - for standard input")
    dev = commands.add_parser("dev", help="run the embedded stack with a simulated retail network")
    dev.add_argument("--rate", type=float, default=1000.0, help="simulated events per second")
    dev.add_argument(
        "--duration",
        type=float,
        default=None,
        help="stop after this many seconds (default: run until Ctrl-C)",
    )
    dev.add_argument(
        "--api-port", type=int, default=None, help="the API's port (default: 8000, or a free one)"
    )
    dev.add_argument(
        "--broker-port", type=int, default=None, help="the broker's (default: 9092, or a free one)"
    )
    dev.add_argument(
        "--metrics-port", type=int, default=None, help="the worker's /metrics (default: 9464, or a free one)"
    )
    dev.add_argument(
        "--broker-max-mb",
        type=float,
        default=600.0,
        help="start the stack afresh when the embedded broker holds more memory (0: never)",
    )
    dev.add_argument("--sim-hour-s", type=float, default=60.0, help="real seconds per simulated hour")
    dev.add_argument(
        "--person-store",
        metavar="LOC",
        default=None,
        help="the store whose page is yours: every other shipment there waits for you, 15 real minutes"
        " to accept (default: the biggest simulated store that ships and serves click & collect)",
    )
    store_key = commands.add_parser(
        "store-key", help="a new API key for a store's page, and the OMNISTOCK_API_KEYS entry to add"
    )
    store_key.add_argument(
        "location_id",
        nargs="?",
        help="the store the key acts for (checked against OMNISTOCK_NETWORK_FILE when set)",
    )
    store_key.add_argument(
        "--all-stores", action="store_true", help="a key for every store (scope store:*), without a location"
    )
    rebuild = commands.add_parser(
        "rebuild", help="restore a lost stock table from the topics, up to the workers' committed offsets"
    )
    rebuild.add_argument(
        "--force",
        action="store_true",
        help="rebuild although the marker is there: every key of the prefix goes (orders, holds too)",
    )
    reconcile = commands.add_parser(
        "reconcile", help="recompute reserved/allocated from holds and allocations"
    )
    reconcile.add_argument("skus", nargs="*", help="only these skus (default: all)")
    backorder = commands.add_parser("set-backorder", help="allow (or stop) allocating a sku beyond its stock")
    backorder.add_argument("sku", help="the sku")
    backorder.add_argument("allowed", choices=["on", "off"], help="on: allocate beyond stock; off: never")
    backorder.add_argument("--create", action="store_true", help="even for a sku never seen")
    safety = commands.add_parser("set-safety-stock", help="override a location's safety stock for one sku")
    safety.add_argument("sku", help="the sku")
    safety.add_argument("location_id", help="a location of the network file")
    safety.add_argument("quantity", help="units, or 'default' to fall back to the location's setting")
    safety.add_argument(
        "--create", action="store_true", help="even for a sku never seen or a location not in the network"
    )
    replay = commands.add_parser("replay", help="replay an event log with draft routing rules: KPIs vs live")
    replay.add_argument("log", nargs="?", help="JSON lines of {topic, key, value}, or - for stdin")
    replay.add_argument("--rules", required=True, help="YAML/JSON file: the draft `routing:` section")
    replay.add_argument("--strategy", default=None, help="route every order of the draft by this rule set")
    replay.add_argument("--from-topics", action="store_true", help="read the input topics from the start")
    bench = commands.add_parser("bench", help="benchmarks: raw ceiling beside omnistock, with the ratio")
    bench.add_argument(
        "what",
        choices=["worker", "api", "holds", "promise", "routing", "freshness", "store"],
        nargs="?",
        default="worker",
        help="which benchmark",
    )
    bench.add_argument("--events", type=int, default=200_000, help="worker, holds: events to apply")
    bench.add_argument("--requests", type=int, default=None, help="api, promise: HTTP requests per phase")
    bench.add_argument(
        "--rate", type=float, default=None, help="api, promise: requests/s; routing: orders/s (200)"
    )
    bench.add_argument(
        "--orders",
        type=int,
        default=None,
        help="routing: orders produced flat out (default 10000); store: orders taken through (default 120)",
    )
    bench.add_argument("--calls", type=int, default=2000, help="promise: in-process calls per cart size")
    bench.add_argument(
        "--cluster", action="store_true", help="worker: one Redis beside a 3-shard cluster, 1 and 2 workers"
    )
    bench.add_argument(
        "--api-processes", type=int, default=None, help="promise: API processes (default: one per core)"
    )
    bench.add_argument(
        "--rates", default="2000,5000", help="freshness: background events/s, one rate after the other"
    )
    bench.add_argument(
        "--duration", type=float, default=None, help="freshness: seconds per rate (20); promise: per step (5)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = load_settings()
    if args.command == "worker":
        from omnistock.wiring.worker import run_worker

        run_worker(settings)
    elif args.command == "api":
        from omnistock.wiring.api import serve_api

        serve_api(settings, args.host, args.port)
    elif args.command == "produce":
        from omnistock.produce import produce_file

        return produce_file(settings, args.topic, args.file)
    elif args.command == "dev":
        from omnistock.dev.stack import run_dev

        return run_dev(
            settings,
            rate=args.rate,
            duration=args.duration,
            api_port=args.api_port,
            sim_hour_s=args.sim_hour_s,
            broker_port=args.broker_port,
            metrics_port=args.metrics_port,
            broker_max_mb=args.broker_max_mb,
            person_store=args.person_store,
        )
    elif args.command == "store-key":
        from omnistock.store_key import run_store_key

        return run_store_key(settings, args.location_id, args.all_stores)
    elif args.command == "rebuild":
        from omnistock.rebuild import run_rebuild_command

        return run_rebuild_command(settings, args.force)
    elif args.command == "reconcile":
        from omnistock.wiring.commands import run_reconcile

        return run_reconcile(settings, args.skus)
    elif args.command in ("set-backorder", "set-safety-stock"):
        from omnistock.sku_settings import run_sku_setting

        return run_sku_setting(settings, args)
    elif args.command == "replay":
        from omnistock.replay.command import run_replay

        return run_replay(settings, args.log, args.rules, args.strategy, args.from_topics)
    elif args.command == "bench" and args.what == "api":
        from omnistock.bench.api import run_bench_api

        return run_bench_api(settings, requests=args.requests or 10_000, rate=args.rate or 1000.0)
    elif args.command == "bench" and args.what == "promise":
        from omnistock.bench.promise_http import run_bench_promise

        rate = args.rate or 200.0
        return run_bench_promise(
            settings,
            calls=args.calls,
            requests=args.requests or max(4000, round(rate * (args.duration or 5.0))),
            rate=rate,
            api_processes=args.api_processes or os.cpu_count() or 1,
            step_s=args.duration or 5.0,
        )
    elif args.command == "bench" and args.what == "freshness":
        from omnistock.bench.freshness import run_bench_freshness

        rates = [float(rate) for rate in args.rates.split(",") if rate.strip()]
        return run_bench_freshness(settings, rates, duration_s=args.duration or 20.0)
    elif args.command == "bench" and args.what == "routing":
        from omnistock.bench.routing import run_bench_routing

        return run_bench_routing(settings, orders=args.orders or 10_000, rate=args.rate or 200.0)
    elif args.command == "bench" and args.what == "store":
        from omnistock.bench.store_app import run_bench_store

        return run_bench_store(settings, orders=args.orders or 120)
    elif args.command == "bench" and args.what == "holds":
        from omnistock.bench.holds import run_bench_holds

        return run_bench_holds(settings, events=args.events)
    elif args.command == "bench" and args.what == "worker" and args.cluster:
        from omnistock.bench.worker_cluster import run_bench_cluster

        return run_bench_cluster(settings, events=args.events)
    elif args.command == "bench":
        from omnistock.bench.worker import run_bench

        return run_bench(settings, args.what, events=args.events)
    return 0


if __name__ == "__main__":
    sys.exit(main())
