"""Calls against Redis: the script calls of a batch in one round trip, and Redis's errors mapped once.

Every adapter maps a failure the same way: Redis out of reach (connection lost, timeout) or unable to
run commands now (out of memory, loading, read-only, busy, no replicas...: the same call succeeds
later) is StoreUnavailable, and the worker retries the batch; a plain error reply to a script call
is a refusal of that call's input (the same call fails again), InvalidEvent for the event's DLQ.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import redis

from core.errors import InvalidEvent, StoreUnavailable
from core.movements import Outcome
from state import lean_pipeline
from state.replica_wait import NO_WAIT, ReplicaWait
from state.scripts import Scripts

REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
# Error replies without a class of their own in redis-py that mean "not now" (the others that do,
# OutOfMemoryError, BusyLoadingError, ReadOnlyError, TryAgainError..., are subclasses of ResponseError).
TRANSIENT = ("BUSY", "NOREPLICAS", "MISCONF")
OUTCOMES = tuple(Outcome)  # the scripts' outcome codes are the positions in Outcome
Request = tuple[str, tuple[Any, ...]]  # script name, (numkeys, *keys, *args); or "!COMMAND", its args
# A movement's script call: the Request, then the locations whose figures the reply lists by number
# (in that order); () when the reply names the locations itself (the hold and allocation scripts).
Call = tuple[str, tuple[Any, ...], tuple[str, ...]]


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def is_refusal(error: Exception) -> bool:
    """A plain error reply that is not "not now": the same call would fail again."""
    return type(error) is redis.ResponseError and not str(error).startswith(TRANSIENT)


def store_unavailable(error: Exception) -> StoreUnavailable | None:
    """The StoreUnavailable a Redis error means, or None for a refusal (or any other error)."""
    if isinstance(error, REDIS_DOWN):
        return StoreUnavailable("redis unreachable", error=str(error))
    if isinstance(error, redis.ResponseError) and not is_refusal(error):
        return StoreUnavailable("redis cannot run commands now", error=str(error))
    return None


@contextmanager
def unavailable() -> Iterator[None]:
    """Redis out of reach or unable to run commands now, inside, becomes StoreUnavailable; a refusal
    (a plain error reply) is raised as it is."""
    try:
        yield
    except redis.RedisError as error:
        reraise(error)


def reraise(error: redis.RedisError) -> NoReturn:
    """Raises the StoreUnavailable a Redis error means, else the error itself (a refusal)."""
    mapped = store_unavailable(error)
    if mapped is None:
        raise error
    raise mapped from error


def failed(reply: Any, sku: str, event_id: str) -> None:
    """Raises for an error reply: StoreUnavailable when Redis could not run the call (out of memory,
    loading, read-only, busy, cluster moves: the same call succeeds later), InvalidEvent when the
    script refused this call's input (INVALID ..., or a script error: the same call fails again)."""
    if isinstance(reply, Exception):
        message = str(reply)
        if is_refusal(reply):
            raise InvalidEvent(message, sku=sku, event_id=event_id, code="store_refused")
        raise StoreUnavailable("stock script failed", sku=sku, event_id=event_id, error=message)


class ScriptRunner:
    """Runs requests in one pipeline, scripts by SHA (the Lua scripts of state/scripts.py)."""

    def __init__(self, client: redis.Redis, wait: ReplicaWait = NO_WAIT) -> None:
        self._client = client
        self._scripts = Scripts()
        self._wait = wait  # WAIT ends the pipeline (same round trip) when replicas are asked for

    def run(self, requests: list[Request]) -> list[Any]:
        """Each request's reply, error replies in their place; reloads the scripts and reruns only the
        failed calls after NOSCRIPT (a Redis restart empties its cache)."""
        replies: list[Any] = [None] * len(requests)
        pending = list(range(len(requests)))
        for _attempt in range(2):
            with unavailable():
                shas = self._scripts.shas(self._client)
                calls: list[lean_pipeline.Command] = []
                for i in pending:
                    name, args = requests[i]
                    if name.startswith("!"):  # a plain command (follow-up writes, index reads)
                        calls.append((name[1:], *args))
                    else:
                        calls.append(("EVALSHA", shas[name], *args))
                calls.extend(self._wait.commands)
                answers, waited = self._wait.split(lean_pipeline.run(self._client, calls))
            short = self._wait.shortfall(waited, "redis")
            if short is not None:
                raise short
            retry = []
            for i, answer in zip(pending, answers, strict=True):
                replies[i] = answer
                if isinstance(answer, redis.exceptions.NoScriptError):
                    retry.append(i)
            if not retry:
                return replies
            with unavailable():
                self._scripts.load(self._client)
            pending = retry
        raise StoreUnavailable("scripts could not be loaded", missing=len(pending))

    def read(self, commands: list[lean_pipeline.Command]) -> list[Any]:
        """The replies of plain commands in one round trip; the first error reply raised."""
        return lean_pipeline.run(self._client, commands, raise_on_error=True)
