"""X-Request-ID on every answer, and an access log of one JSON object per request (off by default).

The id is the client's (or its proxy's) when it sends a usable one, so one request can be followed
through the proxy's, the API's and the client's logs; otherwise a fresh one. Pure ASGI: the access
log costs a clock read and one log record per request, and nothing when it is off.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
_HEADER = REQUEST_ID_HEADER.lower().encode()
# What a client may name its request: up to 128 visible ASCII characters (no spaces or quotes to
# forge log fields or split headers with).
_USABLE_ID = re.compile(rb"[A-Za-z0-9._:/+=@-]{1,128}")
ACCESS_LOGGER = logging.getLogger("omnistock.access")


def request_id(scope: Scope) -> str:
    """The request's X-Request-ID when usable, else a new random one."""
    for name, value in scope.get("headers", ()):
        if name == _HEADER and _USABLE_ID.fullmatch(value):
            return str(value.decode())
    return uuid.uuid4().hex


class RequestLogMiddleware:
    def __init__(
        self, app: ASGIApp, access_log: bool = False, logger: logging.Logger = ACCESS_LOGGER
    ) -> None:
        self.app = app
        self.access_log = access_log
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (_HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.access_log:
                self._log(scope, rid, status, started)

    def _log(self, scope: Scope, rid: str, status: int, started: float) -> None:
        client = scope.get("client")
        self.logger.info(
            "http_request",
            extra={
                "request_id": rid,
                "method": scope["method"],
                "path": scope["path"],
                "status": status or 500,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "client": client[0] if client else None,
            },
        )
