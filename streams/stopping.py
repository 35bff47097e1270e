"""Stopping the worker: the feed stops before faust stops the agents, within a bound; a second signal
drops the batch in hand, or ends the process once the feed is closed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from signal import SIGINT, SIGTERM, Signals
from typing import Any

import faust

from streams.worker import BatchWorker

log = logging.getLogger("omnistock.worker")


def _exit_now(code: int) -> None:
    sys.stdout.flush()
    os._exit(code)


class FeedStopper:
    """Holds the running feed's worker; stops it when the app starts stopping.

    faust stops a service's children (the agents) before cancelling its tasks (the feed): a feed
    stopped only then waits for outcomes no agent will ever give, and the process hangs until it is
    killed. `app.on_before_shutdown` is sent before the children stop, so the batch in hand still
    finishes on live agents, its outputs are flushed, what is done committed, and the group left.

    faust ignores a signal that comes while it stops. Here a second SIGTERM or SIGINT means "now":
    while the feed still runs, its batch in hand is dropped uncommitted; once the feed is closed
    (everything done is committed, the group left), the process exits at once with 0.
    """

    def __init__(self, timeout_s: float, exit_now: Callable[[int], None] = _exit_now) -> None:
        self.timeout_s = timeout_s
        self.worker: BatchWorker | None = None
        self._exit_now = exit_now

    def connect(self, app: faust.App) -> None:
        # mode types a handler's `signal` argument with a string mypy cannot resolve: any handler fails.
        app.on_before_shutdown.connect(self._on_before_shutdown)  # type: ignore[arg-type]

    async def _on_before_shutdown(self, app: faust.App, *_: Any, **__: Any) -> None:
        worker = self.worker
        if worker is None:
            return
        loop = asyncio.get_running_loop()
        for sent in (SIGTERM, SIGINT):
            with contextlib.suppress(ValueError, RuntimeError):  # not the main thread: no signals here
                loop.add_signal_handler(sent, self.on_second_signal, sent)
        log.info("worker_stopping", extra={"timeout_s": self.timeout_s})
        began = loop.time()
        await worker.shutdown(self.timeout_s)
        log.info("worker_stopped", extra={"seconds": round(loop.time() - began, 3)})

    def on_second_signal(self, sent: Signals) -> None:
        worker = self.worker
        feed_closed = worker is None or worker.stopped.is_set()
        log.warning("second_stop_signal", extra={"signal": sent.name, "feed_closed": feed_closed})
        if worker is not None and not feed_closed:
            worker.abandon()
        else:
            self._exit_now(0)  # nothing left to lose: what was done is committed, the group left
