"""`omnistock dev`: broker, Redis if none answers, worker and API, fed by a simulated retail network.

Prints where each part listens (the usual ports when free) and live figures every two seconds, and
writes .omnistock/dev/env for other terminals to attach. Ctrl-C (or --duration) stops everything it
started and removes the Redis keys of its run and the env file, and nothing else, in one line. Past
--broker-max-mb of broker memory the stack starts afresh (see omnistock.dev.broker_memory).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import redis
import yaml

from core.errors import OmnistockError
from omnistock.dev.broker_memory import DEFAULT_BROKER_MAX_MB, BrokerBound
from omnistock.dev.env_file import remove_env_file, write_env_file
from omnistock.dev.feeds import Feeds
from omnistock.dev.layout import cut, fit
from omnistock.dev.ports import API_PORT, BROKER_PORT, WORKER_METRICS_PORT, Port, PortBusy, choose_port
from omnistock.dev.screen import Screen
from omnistock.dev.store_page import (
    PERSON_EVERY,
    PERSON_SLA_MINUTES,
    STORE_PAGE_VARIABLE,
    person_store_of,
    store_page_note,
)
from omnistock.kafka_admin import create_topics
from omnistock.network_file import default_network_path
from omnistock.settings import Settings
from omnistock.sim.person_store import NotAPersonStore, store_page_url
from omnistock.stack.embedded_broker import EmbeddedBroker
from omnistock.stack.embedded_redis import ensure_redis
from omnistock.stack.processes import start_omnistock, stop, wait_http_ok, wait_worker_assigned
from omnistock.stack.redis_keys import delete_prefix
from topics.catalog import all_topic_names

RUN_DIR = Path(".omnistock/dev")
ENV_FILE = RUN_DIR / "env"


def _child_env(settings: Settings, bootstrap: str, prefix: str, metrics_port: int) -> dict[str, str]:
    return {
        "OMNISTOCK_BROKER": bootstrap,
        "OMNISTOCK_REDIS_URL": settings.redis_url,
        "OMNISTOCK_REDIS_PREFIX": prefix,
        "OMNISTOCK_TOPIC_PREFIX": settings.topic_prefix,
        "OMNISTOCK_GROUP_SESSION_TIMEOUT_S": "6",
        "OMNISTOCK_GROUP_HEARTBEAT_INTERVAL_S": "1",
        "OMNISTOCK_GROUP_REBALANCE_TIMEOUT_S": "6",
        "OMNISTOCK_WORKER_METRICS_PORT": str(metrics_port),
        **({"OMNISTOCK_NETWORK_FILE": settings.network_file} if settings.network_file else {}),
    }


def _delete_keys(url: str, prefix: str) -> None:
    delete_prefix(redis.Redis.from_url(url), prefix)


def dev_network_file(
    source: Path,
    sim_hour_s: float,
    default_sla_minutes: float,
    target: Path,
    person_store: str | None = None,
    person_sla_minutes: float = PERSON_SLA_MINUTES,
) -> Path:
    """A copy of the network whose acceptance deadlines run on the simulated clock.

    The worker times deadlines by the wall clock; the simulation runs `3600 / sim_hour_s` times faster,
    so a store's 45 minutes would never pass in a demo. Scaled, they pass as the nodes' answers do.
    The person's store keeps `person_sla_minutes` of real time: scaled, a person would have 45 seconds
    to find the page and tap accept."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    scale = sim_hour_s / 3600
    for location in data.get("locations") or ():
        if location.get("location_id") == person_store:
            location["accept_sla_minutes"] = person_sla_minutes
            continue
        location["accept_sla_minutes"] = (location.get("accept_sla_minutes") or default_sla_minutes) * scale
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(orjson.dumps(data))
    return target


@dataclass(frozen=True, slots=True)
class DevPorts:
    broker: Port
    api: Port
    metrics: Port

    def notes(self) -> list[str]:
        return [port.note for port in (self.broker, self.api, self.metrics) if port.note]


def choose_ports(broker: int | None, api: int | None, metrics: int | None) -> DevPorts:
    """The ports asked for on the command line (PortBusy when taken), else the usual ones when free."""
    return DevPorts(
        choose_port("broker", broker, BROKER_PORT),
        choose_port("api", api, API_PORT),
        choose_port("worker metrics", metrics, WORKER_METRICS_PORT),
    )


@dataclass(slots=True)
class Teardown:
    """What this run started and removes on the way out, for the one line it ends with."""

    stopped: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def line(self) -> str:
        """E.g. "stopped broker, worker, api; removed redis keys dev-1:*, dev-2:*, .omnistock/dev/env"."""
        stopped = ", ".join(dict.fromkeys(self.stopped)) or "nothing"
        keys = [item for item in dict.fromkeys(self.removed) if item.endswith(":*")]
        others = [item for item in dict.fromkeys(self.removed) if not item.endswith(":*")]
        removed = ", ".join(([f"redis keys {', '.join(keys)}"] if keys else []) + others) or "nothing"
        return f"stopped {stopped}; removed {removed}"


def run_dev(
    settings: Settings,
    rate: float,
    duration: float | None,
    api_port: int | None,
    sim_hour_s: float,
    broker_port: int | None = None,
    metrics_port: int | None = None,
    broker_max_mb: float = DEFAULT_BROKER_MAX_MB,
    person_store: str | None = None,
) -> int:
    try:
        person = person_store_of(settings, person_store)
        ports = choose_ports(broker_port, api_port, metrics_port)
    except (PortBusy, NotAPersonStore) as refused:
        print(f"omnistock dev: {refused.message}", file=sys.stderr)
        return 2
    for note in ports.notes():
        print(note)
    teardown = Teardown()
    code = 0
    try:
        while reason := _run_stack(
            settings, ports, rate, duration, sim_hour_s, broker_max_mb, teardown, person
        ):
            print(f"{reason}: starting the stack afresh (Tansu keeps every record in memory)", flush=True)
    except KeyboardInterrupt:
        pass
    except (OmnistockError, RuntimeError, TimeoutError) as error:
        print(f"omnistock dev: {error}; logs in {RUN_DIR}/", file=sys.stderr)
        code = 1
    print(teardown.line())
    return code


def _run_stack(
    settings: Settings,
    ports: DevPorts,
    rate: float,
    duration: float | None,
    sim_hour_s: float,
    broker_max_mb: float,
    teardown: Teardown,
    person: str | None = None,
) -> str | None:
    """One life of the stack, ended by the duration (None) or by the broker's bound (its reason)."""
    prefix = f"dev-{int(time.time())}:"
    source = Path(settings.network_file or default_network_path())
    network_file = dev_network_file(
        source,
        sim_hour_s,
        settings.routing_sla_minutes,
        (RUN_DIR / "network.json").resolve(),
        person_store=person,
    )
    settings = settings.model_copy(update={"network_file": str(network_file)})
    with contextlib.ExitStack() as stack:
        stack.callback(signal.signal, signal.SIGINT, signal.getsignal(signal.SIGINT))
        try:
            return _start_and_feed(
                stack, settings, ports, prefix, rate, duration, sim_hour_s, broker_max_mb, teardown, person
            )
        finally:  # a second Ctrl-C does not cut the clean-up short
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    return None


def _start_and_feed(
    stack: contextlib.ExitStack,
    settings: Settings,
    ports: DevPorts,
    prefix: str,
    rate: float,
    duration: float | None,
    sim_hour_s: float,
    broker_max_mb: float,
    teardown: Teardown,
    person: str | None = None,
) -> str | None:
    broker = stack.enter_context(EmbeddedBroker(ports.broker.number, log_path=RUN_DIR / "broker.log"))
    teardown.stopped.append("broker")
    embedded_redis = ensure_redis(settings.redis_url)
    if embedded_redis is not None:
        stack.callback(embedded_redis.stop)
        teardown.stopped.append("redis (embedded)")
    stack.callback(_delete_keys, settings.redis_url, prefix)
    teardown.removed.append(f"{prefix}*")
    create_topics(broker.bootstrap, all_topic_names(settings.topic_prefix), settings.topic_partitions)
    env = _child_env(settings, broker.bootstrap, prefix, ports.metrics.number)
    api = f"http://127.0.0.1:{ports.api.number}"
    page = {STORE_PAGE_VARIABLE: store_page_url(api, person)} if person else {}
    attach = {**env, "OMNISTOCK_WORKER_METRICS_PORT": "0", **page}
    stack.callback(remove_env_file, write_env_file(ENV_FILE, attach))
    teardown.removed.append(str(ENV_FILE))
    worker = start_omnistock(["worker"], env, RUN_DIR / "worker.log")
    stack.callback(stop, worker)
    teardown.stopped.append("worker")
    api_process = start_omnistock(["api", "--port", str(ports.api.number)], env, RUN_DIR / "api.log")
    stack.callback(stop, api_process)
    teardown.stopped.append("api")
    metrics_url = f"http://127.0.0.1:{ports.metrics.number}/metrics"
    print(_where(broker.bootstrap, settings.redis_url, prefix, api, metrics_url, embedded_redis is not None))
    # the worker first: it writes the store marker of the new run, without which /readyz is 503
    wait_worker_assigned(metrics_url, 60, worker)
    wait_http_ok(f"{api}/readyz", 30, api_process)
    print(cut(f"network {settings.network_file}: deadlines on the simulated clock"), flush=True)
    if person:
        note = store_page_note(store_page_url(api, person), person, PERSON_EVERY, PERSON_SLA_MINUTES)
        print(note, flush=True)
    feeds = Feeds(settings, broker.bootstrap, sim_hour_s, person, PERSON_EVERY)
    stack.callback(feeds.close)  # before the broker stops
    teardown.stopped.append("simulation")
    bound = BrokerBound(broker.process.pid if broker.process else 0, broker_max_mb)
    screen = Screen(metrics_url, api, feeds.skus, feeds.recent_order, bound.current_mb)
    return feeds.run(rate, duration, screen, (worker, api_process), bound)


def _where(bootstrap: str, redis_url: str, prefix: str, api: str, metrics_url: str, embedded: bool) -> str:
    redis_note = " (embedded)" if embedded else ""
    return fit(
        (
            f"broker {bootstrap} | api {api} | worker metrics {metrics_url}",
            f"redis {redis_url}{redis_note} prefix {prefix} | logs in {RUN_DIR}/",
            f"attach from another terminal: source {ENV_FILE}",
        )
    )
