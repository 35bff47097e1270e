"""`omnistock replay`: what a draft rule set would have done with a recorded event log, beside the live rules.

    omnistock replay LOG.jsonl --rules DRAFT.yaml [--strategy NAME]
    omnistock replay - --rules DRAFT.yaml < LOG.jsonl
    omnistock replay --from-topics --rules DRAFT.yaml           (input topics from the earliest offset)

The log (format in omnistock.replay.log) is replayed twice in-process, no broker involved, each run on
its own fresh Redis prefix (OMNISTOCK_REDIS_URL) deleted afterwards: once with the network's routing
rules (OMNISTOCK_NETWORK_FILE, else the packaged network), once with the draft. The draft file is a
`routing:` section (core.routing_config), at the top level or under a `routing` key; `--strategy`
routes every order of the draft run by that one rule set, whatever the order names. KPIs are defined
in omnistock.replay.kpis.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import redis
import yaml
from redis.cluster import RedisCluster

from core.errors import NetworkConfigError
from core.routing_config import parse_routing_rules
from core.routing_rules import RoutingRules
from omnistock.network_file import NetworkSource, default_network_path
from omnistock.replay.kpis import Kpi, kpis, table
from omnistock.replay.log import LogRecord, read_log_file, read_topics
from omnistock.replay.run import RunOutputs, replay_once
from omnistock.settings import Settings
from omnistock.stream_options import kafka_options
from omnistock.wiring.stores import redis_client
from streams.kafka_config import consumer_config
from topics.catalog import INPUT_TOPICS
from topics.codec import AvroCodec
from topics.registry import make_registry


@dataclass(frozen=True, slots=True)
class Comparison:
    live: RunOutputs
    draft: RunOutputs
    live_kpis: list[Kpi]
    draft_kpis: list[Kpi]


def load_rules(path: str, strategy: str | None = None) -> RoutingRules:
    """The draft rules of a YAML/JSON file; with `strategy`, only that rule set, the default for all."""
    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text) if path.lower().endswith(".json") else yaml.safe_load(text)
    if isinstance(data, dict) and "routing" in data:
        data = data["routing"]
    rules = parse_routing_rules(data, f"{path}: routing")
    if strategy is None:
        return rules
    if strategy not in rules.rule_sets:
        known = ", ".join(sorted(rules.rule_sets))
        raise NetworkConfigError(f"unknown strategy {strategy!r}; one of: {known}", path="--strategy")
    return RoutingRules({strategy: rules.rule_sets[strategy]}, default=strategy)


def compare(
    settings: Settings,
    client: redis.Redis | RedisCluster,
    network: NetworkSource,
    draft: RoutingRules,
    records: list[LogRecord],
) -> Comparison:
    """Both runs and their KPIs; the live run's first promises are the reference for both."""
    codec = AvroCodec(make_registry(settings.schema_registry_url, settings.topic_prefix))
    live_rules = network.current().routing
    live = replay_once(settings, client, network, live_rules, records, codec)
    trial = replay_once(settings, client, network, draft, records, codec)
    kinds = {loc.location_id: loc.kind.value for loc in network.current().locations.values()}
    return Comparison(
        live,
        trial,
        kpis(live.orders, live.requests, live.first_promise, kinds),
        kpis(trial.orders, trial.requests, live.first_promise, kinds),
    )


def run_replay(
    settings: Settings, log: str | None, rules_path: str, strategy: str | None, from_topics: bool
) -> int:
    try:
        draft = load_rules(rules_path, strategy)
    except (OSError, ValueError, yaml.YAMLError, NetworkConfigError) as error:
        print(f"cannot use the draft rules: {error}", file=sys.stderr)
        return 2
    network = NetworkSource(settings.network_file or str(default_network_path()))
    records = _records(settings, log, from_topics)
    if records is None:
        return 1
    client = redis_client(settings)  # one Redis, or the cluster (OMNISTOCK_REDIS_CLUSTER)
    result = compare(settings, client, network, draft, records)
    label = f"draft {rules_path}" + (f" ({strategy})" if strategy else "")
    print(f"replayed {len(records)} records; live = the network's rules, {label}")
    print(table(result.live_kpis, result.draft_kpis))
    live, trial = result.live, result.draft
    print(f"records refused (DLQ): live {len(live.dead_letters)}, draft {len(trial.dead_letters)}")
    for why in sorted(set(live.dead_letters + trial.dead_letters))[:5]:
        print(f"  {why}")
    print(f"updates for a node the run did not use: {live.unmatched_updates} | {trial.unmatched_updates}")
    print(f"shipments taken as accepted (no update in the log): {live.auto_accepted} | {trial.auto_accepted}")
    return 0


def _records(settings: Settings, log: str | None, from_topics: bool) -> list[LogRecord] | None:
    if from_topics:
        codec = AvroCodec(make_registry(settings.schema_registry_url, settings.topic_prefix))
        config = consumer_config(kafka_options(settings), group_id="omnistock-replay")
        names = [spec.name for spec in INPUT_TOPICS]
        return read_topics(config, settings.topic_prefix, codec, names)
    if log is None:
        print("give a log file (or - for stdin), or --from-topics", file=sys.stderr)
        return None
    try:
        records, errors = read_log_file(log)
    except OSError as error:
        print(f"cannot read {log!r}: {error}", file=sys.stderr)
        return None
    if errors:
        print("nothing replayed; fix these lines first:\n  " + "\n  ".join(errors), file=sys.stderr)
        return None
    return records
