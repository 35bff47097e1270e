"""A uvicorn server in a thread on a free port, for tests that need real HTTP (sockets, proxies, timeouts)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


@contextmanager
def serving(config: uvicorn.Config) -> Iterator[tuple[str, int]]:
    """Serves `config`'s app on 127.0.0.1 and a free port (its host and port are ignored)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config.lifespan = "off"
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(1000):
            if server.started:
                break
            threading.Event().wait(0.01)
        else:
            raise RuntimeError("uvicorn did not start")
        yield sock.getsockname()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
