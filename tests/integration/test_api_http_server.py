"""The API served by uvicorn as `omnistock api` configures it: proxy headers and slow clients."""

from __future__ import annotations

import socket
import time

import httpx
import orjson
from prometheus_client import CollectorRegistry

from omnistock.settings import Settings
from omnistock.wiring.api import api_app, uvicorn_config
from tests.support.http_server import serving

KEYS = '{"k-reader-3f9a": ["availability:read"]}'
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing here reads stock


def settings(**overrides: object) -> Settings:
    return Settings(api_keys=KEYS, redis_url=DEAD_REDIS, **overrides)  # type: ignore[arg-type]


def wrong_keys_with_forged_addresses(config_settings: Settings, tries: int) -> list[int]:
    app = api_app(config_settings, registry=CollectorRegistry())
    with serving(uvicorn_config(config_settings, app, "127.0.0.1", 0)) as (host, port):
        url = f"http://{host}:{port}/v1/availability/SKU-1"
        return [
            httpx.get(url, headers={"X-API-Key": f"g-{n}", "X-Forwarded-For": f"10.0.0.{n}"}).status_code
            for n in range(tries)
        ]


def test_a_forged_forwarded_for_does_not_give_a_guesser_fresh_tries() -> None:
    assert wrong_keys_with_forged_addresses(settings(), 11) == [401] * 10 + [429]


def test_a_configured_proxy_names_the_client() -> None:
    trusted = settings(api_forwarded_allow_ips="127.0.0.1")

    assert wrong_keys_with_forged_addresses(trusted, 11) == [401] * 11  # eleven clients, one try each


# Slow and incomplete requests, on a raw socket: each is let go within its deadline.

READ_KEY = "k-reader-3f9a"
BOUND_S = 3.0  # deadlines of 0.5 s, and room for a loaded machine


def answer_to(payload: bytes, **overrides: object) -> tuple[bytes, float]:
    """What the server sends on a connection given `payload`, until it closes it, and how long it took."""
    config_settings = settings(**overrides)
    app = api_app(config_settings, registry=CollectorRegistry())
    with (
        serving(uvicorn_config(config_settings, app, "127.0.0.1", 0)) as address,
        socket.create_connection(address, timeout=10) as client,
    ):
        client.sendall(payload)
        started, received = time.monotonic(), b""
        while chunk := client.recv(65536):
            received += chunk
        return received, time.monotonic() - started


def test_a_client_that_sends_half_its_headers_and_stalls_is_answered_408_and_let_go() -> None:
    received, took_s = answer_to(b"GET /v1/availability/SKU-1 HTTP/1.1\r\nHost: a", api_header_timeout_s=0.5)

    assert received.startswith(b"HTTP/1.1 408 ")
    assert took_s < BOUND_S


def test_a_connection_that_never_sends_a_byte_is_let_go() -> None:
    received, took_s = answer_to(b"", api_header_timeout_s=0.5)

    assert received.startswith(b"HTTP/1.1 408 ")
    assert took_s < BOUND_S


def test_a_kept_alive_connection_that_stalls_in_its_next_request_headers_is_let_go() -> None:
    payload = b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHo"

    received, took_s = answer_to(payload, api_header_timeout_s=0.5, api_timeout_keep_alive_s=30)

    assert received.startswith(b"HTTP/1.1 200 ")
    assert received.count(b"HTTP/1.1 ") == 2
    assert b"HTTP/1.1 408 " in received
    assert took_s < BOUND_S


def test_a_client_that_sends_half_a_body_and_stalls_gets_408_and_the_connection_closes() -> None:
    head = f"POST /v1/availability HTTP/1.1\r\nHost: a\r\nX-API-Key: {READ_KEY}\r\n"
    payload = (head + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n").encode() + b'{"skus": '

    received, took_s = answer_to(payload, api_body_timeout_s=0.5)

    assert received.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in received.lower()
    assert orjson.loads(received.split(b"\r\n\r\n", 1)[1])["error"] == "request_timeout"
    assert took_s < BOUND_S


def test_an_idle_kept_alive_connection_closes_after_the_configured_keep_alive() -> None:
    received, took_s = answer_to(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", api_timeout_keep_alive_s=0.5)

    assert received.startswith(b"HTTP/1.1 200 ")
    assert took_s < BOUND_S  # uvicorn's default is 5 s
