"""Reads the network file (YAML or JSON) and keeps it current: a changed file is reloaded without restart."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from importlib.resources import as_file, files
from pathlib import Path

import yaml

from core.errors import NetworkConfigError
from core.network import Network
from core.network_config import parse_network

log = logging.getLogger("omnistock.network")


def default_network_path() -> Path:
    """The simulated network packaged with omnistock (omnistock/data/network.yaml)."""
    with as_file(files("omnistock") / "data" / "network.yaml") as path:
        return Path(path)


def load_network(path: str | os.PathLike[str]) -> Network:
    """Parse the file at `path` (.json: JSON, anything else: YAML); every failure is a NetworkConfigError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise NetworkConfigError(
            f"cannot read the network file {str(path)!r}: {error}", path="", file=str(path)
        ) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise NetworkConfigError(
            f"{str(path)!r} is not valid {_format(path)}: {error}", path="", file=str(path)
        ) from None
    if not isinstance(data, dict):
        raise NetworkConfigError(
            f"{str(path)!r} must hold a mapping with a `locations` list", path="", file=str(path)
        )
    try:
        return parse_network(data)
    except NetworkConfigError as error:
        raise NetworkConfigError(f"{path}: {error.message}", file=str(path), **error.fields) from None


def _format(path: Path) -> str:
    return "JSON" if path.suffix.lower() == ".json" else "YAML"


class NetworkSource:
    """The current network of one file, reloaded when its modification time changes.

    The file's mtime is looked at no more than once every `check_every_s`; a new file that fails to
    load leaves the previous network in place and is reported in `last_error` (and the log). The first
    load happens in the constructor and raises, so a process never starts on a bad file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        check_every_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.check_every_s = check_every_s
        self.last_error: NetworkConfigError | None = None
        self._clock = clock
        self._lock = threading.Lock()
        self._mtime = self._stat()
        self._network = load_network(self.path)
        self._checked_at = clock()

    def current(self) -> Network:
        """The network, after reloading the file if it changed (checked at most every `check_every_s`)."""
        now = self._clock()
        if now - self._checked_at < self.check_every_s:
            return self._network
        with self._lock:
            if now - self._checked_at >= self.check_every_s:
                self._checked_at = now
                self._reload_if_changed()
        return self._network

    def _stat(self) -> int | None:
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return None

    def _reload_if_changed(self) -> None:
        mtime = self._stat()
        if mtime == self._mtime:
            return
        self._mtime = mtime
        try:
            network = load_network(self.path)
        except NetworkConfigError as error:
            self.last_error = error
            log.error(
                "network_reload_failed",
                extra={"file": str(self.path), "error": error.message, **error.fields},
            )
            return
        self.last_error = None
        log.info("network_reloaded", extra={"file": str(self.path), "version": network.version})
        self._network = network
