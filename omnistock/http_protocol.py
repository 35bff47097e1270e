"""uvicorn's HTTP protocol with a deadline on reading a request's headers: a stalled client is let go.

uvicorn arms no timer until a first response is complete: a client that connects and sends nothing,
or half its headers, holds its connection (a socket, a file descriptor, parser state) for ever, and a
few thousand such clients exhaust the process. Here a request's headers must all be in within
`header_timeout_s` of the connection's opening, or of the end of its previous response; else the
connection is answered 408 and closed. The body is bounded by api.body_timeout, and idle time
between requests by uvicorn's `timeout_keep_alive` (shorter by default, so it closes those first).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

log = logging.getLogger("omnistock.api")
_TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class _HeaderDeadlineProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """The protocol uvicorn would pick (httptools, else h11), plus the header deadline."""

    header_timeout_s = 10.0
    _header_timer: asyncio.TimerHandle | None = None
    _cycle_before: Any = None

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._header_timer is None and (self.cycle is None or self.cycle.response_complete):
            self._arm()  # the first bytes of a following request on a kept-alive connection
        super().data_received(data)
        if self._header_timer is not None and self.cycle is not self._cycle_before:
            self._disarm()  # a new request cycle: its headers are all in

    def on_response_complete(self) -> None:
        super().on_response_complete()
        waiting = self.cycle is not None and not self.cycle.response_complete  # a pipelined request
        if self._header_timer is None and not waiting and not self.transport.is_closing():
            self._arm()  # what is already buffered may be half a request's headers

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._cycle_before = self.cycle
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            log.info("http_headers_too_slow", extra={"timeout_s": self.header_timeout_s})
            self.transport.write(_TIMEOUT_RESPONSE)
            self.transport.close()


def header_deadline_protocol(header_timeout_s: float) -> type[asyncio.Protocol]:
    """The protocol class to give uvicorn.Config(http=...)."""
    return type("HeaderDeadlineProtocol", (_HeaderDeadlineProtocol,), {"header_timeout_s": header_timeout_s})
