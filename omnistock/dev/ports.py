"""The dev stack's ports: the usual ones when free, so a user can attach without looking them up.

A port the user asked for (an option on the command line) that is busy stops `omnistock dev` with one
line; a default that is busy gives way to a free port, and the screen says so.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from core.errors import OmnistockError

BROKER_PORT = 9092
API_PORT = 8000
WORKER_METRICS_PORT = 9464


class PortBusy(OmnistockError):
    """A port the user asked for is taken."""


@dataclass(frozen=True, slots=True)
class Port:
    """The port chosen for `name`, and a note when it is not the one preferred."""

    name: str
    number: int
    note: str | None = None


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a listener could bind `host:port` now (as the servers do, with SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def any_free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def choose_port(name: str, asked: int | None, preferred: int) -> Port:
    """`asked` if given (PortBusy when taken), else `preferred` when free, else any free port."""
    if asked is not None:
        if not port_is_free(asked):
            raise PortBusy(f"port {asked} ({name}) is in use; choose another one or stop what holds it")
        return Port(name, asked)
    if port_is_free(preferred):
        return Port(name, preferred)
    number = any_free_port()
    return Port(name, number, f"{name}: port {preferred} is in use, took {number}")
