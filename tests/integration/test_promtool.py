"""What CI asks of deploy/prometheus: `promtool check config`, `check rules`, and `test rules` pass;
and every alert has a test where it fires and one where it stays quiet."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


def _promtool(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], capture_output=True, text=True, timeout=60, check=False)


def test_the_prometheus_config_and_its_rule_files_check(prometheus_tools: tuple[str, str]) -> None:
    done = _promtool(prometheus_tools[1], "check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 rule files found" in done.stdout


def test_the_rules_check(prometheus_tools: tuple[str, str]) -> None:
    done = _promtool(prometheus_tools[1], "check", "rules", str(PROMETHEUS / "rules.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_alert_unit_tests_pass(prometheus_tools: tuple[str, str]) -> None:
    files = sorted(str(path) for path in (PROMETHEUS / "tests").glob("*.yaml"))
    assert files
    done = _promtool(prometheus_tools[1], "test", "rules", *files)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("SUCCESS") == len(files)


def test_every_alert_has_a_test_where_it_fires_and_one_where_it_stays_quiet() -> None:
    rules = yaml.safe_load((PROMETHEUS / "rules.yaml").read_text())["groups"][0]["rules"]
    fires: set[str] = set()
    quiet: set[str] = set()
    for path in (PROMETHEUS / "tests").glob("*.yaml"):
        for test in yaml.safe_load(path.read_text())["tests"]:
            for check in test["alert_rule_test"]:
                (fires if check["exp_alerts"] else quiet).add(check["alertname"])
    alerts = {rule["alert"] for rule in rules}
    assert alerts - fires == set(), "alerts never shown firing"
    assert alerts - quiet == set(), "alerts never shown quiet"
