"""Child processes of the dev stack and the benchmarks: started in their own session, stopped in order."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_omnistock(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Run `python -m omnistock ARGS` with `env`, its output to `log_path`, out of the terminal's Ctrl-C."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "omnistock", *args],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited in time."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def wait_http_ok(url: str, timeout_s: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until `url` answers 200; fail early when `process` has exited."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - a loopback URL we built
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer 200 within {timeout_s:.0f} s")


def wait_worker_assigned(metrics_url: str, timeout_s: float, process: subprocess.Popen[bytes]) -> None:
    """Wait until the worker has joined its group and holds partitions (its metrics say so)."""
    from omnistock.stack.worker_metrics import scrape_gauge

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode} before joining its group")
        if scrape_gauge(metrics_url, "omnistock_worker_assigned_partitions") > 0:
            return
        time.sleep(0.2)
    raise TimeoutError(f"the worker held no partitions after {timeout_s:.0f} s")
