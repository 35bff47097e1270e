"""A deadline on reading a request's body: a client that sends half a body and stalls gets 408.

Pure ASGI, around the app: it bounds only the `receive` calls that bring the body, from the first
one, so GET requests (no body read) pay nothing and a stream's wait for the client's departure,
after the body, is never cut short.
"""

from __future__ import annotations

import asyncio

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyTimeoutMiddleware:
    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _NO_BODY:
            await self.app(scope, receive, send)
            return
        await self.app(scope, _bounded(receive, self.timeout_s), send)


def _bounded(receive: Receive, timeout_s: float) -> Receive:
    deadline: float | None = None
    body_done = False

    async def receive_body() -> Message:
        nonlocal deadline, body_done
        if body_done:
            return await receive()
        loop = asyncio.get_running_loop()
        deadline = deadline if deadline is not None else loop.time() + timeout_s
        try:
            async with asyncio.timeout_at(deadline):
                message = await receive()
        except TimeoutError:
            # An HTTPException passes through FastAPI's body parsing (other errors become 400s);
            # `connection: close` makes uvicorn drop the connection and the rest of the body with it.
            message_text = f"The request body did not arrive within {timeout_s:g} s."
            raise HTTPException(408, message_text, headers={"Connection": "close"}) from None
        body_done = message["type"] != "http.request" or not message.get("more_body", False)
        return message

    return receive_body
