"""A bound on a request body's size: past it, 413 before the body is read and parsed.

Pure ASGI, around the app. A declared Content-Length over the bound is refused at once, reading
nothing; a chunked body is counted as it arrives and refused when the count passes the bound, so a
20 MB body is never held whole, let alone parsed. GET requests pay nothing.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})
_CLOSE = {"Connection": "close"}  # uvicorn then drops the connection and the rest of the body


def too_large_message(max_bytes: int) -> str:
    return f"The request body is larger than {max_bytes} bytes."


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _NO_BODY:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            fields = {"max_bytes": self.max_bytes, "received": declared}
            answer = error_response(413, "body_too_large", too_large_message(self.max_bytes), fields, _CLOSE)
            await answer(scope, receive, send)
            return
        await self.app(scope, _counted(receive, self.max_bytes), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _counted(receive: Receive, max_bytes: int) -> Receive:
    received = 0

    async def receive_body() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                # An HTTPException passes through FastAPI's body parsing (other errors become 400s).
                raise HTTPException(413, too_large_message(max_bytes), headers=_CLOSE)
        return message

    return receive_body
