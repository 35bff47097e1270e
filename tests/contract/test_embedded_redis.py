"""The embedded Redis launcher starts a server only where none answers, and stops only its own."""

from __future__ import annotations

import socket

import pytest

from omnistock.stack.embedded_redis import answers, ensure_redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.redis
def test_a_server_is_started_where_none_answers_and_stopped_by_stop() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    server = ensure_redis(url)
    assert server is not None
    try:
        assert answers(url)
        assert ensure_redis(url) is None  # something answers now: nothing more is started
    finally:
        server.stop()
    assert not answers(url)
