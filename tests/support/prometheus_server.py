"""A real Prometheus (Debian's binary) for a test: a generated config, a temporary storage directory,
short scrape and evaluation intervals, its HTTP API on a free loopback port; stopped at the end."""

from __future__ import annotations

import contextlib
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml

from omnistock.stack.processes import free_port, stop, wait_http_ok


@dataclass(frozen=True)
class Prometheus:
    url: str

    def query(self, expr: str) -> dict[str, Any]:
        """The API's answer to an instant query (status, data: resultType, result)."""
        address = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
        try:
            with urllib.request.urlopen(address, timeout=10) as answer:  # noqa: S310 - loopback
                return dict(orjson.loads(answer.read()))
        except urllib.error.HTTPError as error:  # 400/422: a bad expression, with its error
            return dict(orjson.loads(error.read()))

    def firing(self) -> set[str]:
        """Names of the alerts firing now."""
        with urllib.request.urlopen(f"{self.url}/api/v1/alerts", timeout=10) as answer:  # noqa: S310
            alerts = orjson.loads(answer.read())["data"]["alerts"]
        return {alert["labels"]["alertname"] for alert in alerts if alert["state"] == "firing"}


def rules_with_short_for(rules_file: Path, short_for: dict[str, str]) -> dict[str, Any]:
    """The rules, with the `for:` of the named alerts replaced (a test cannot wait minutes)."""
    rules: dict[str, Any] = yaml.safe_load(rules_file.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") in short_for:
                rule["for"] = short_for[rule["alert"]]
    return rules


@contextlib.contextmanager
def running_prometheus(
    binary: str, workdir: Path, targets: dict[str, list[str]], rules: dict[str, Any], interval: str = "1s"
) -> Iterator[Prometheus]:
    """Prometheus scraping `targets` (job -> host:port list) every `interval`, evaluating `rules`."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "rules.yaml").write_text(yaml.safe_dump(rules))
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval, "scrape_timeout": interval},
        "rule_files": ["rules.yaml"],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": hosts}]} for job, hosts in targets.items()
        ],
    }
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    with open(workdir / "prometheus.log", "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - the Debian binary, our own arguments
            [
                binary,
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--storage.tsdb.retention.time=1h",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/-/ready", 30, process)
        yield Prometheus(f"http://127.0.0.1:{port}")
    finally:
        stop(process)


def wait_until(check: Any, timeout_s: float, interval_s: float = 0.5) -> float:
    """Seconds until `check()` is true; TimeoutError past `timeout_s`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if check():
            return time.monotonic() - started
        time.sleep(interval_s)
    raise TimeoutError(f"not true within {timeout_s:.0f} s")
