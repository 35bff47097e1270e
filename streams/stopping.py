"""Stopping the worker: the feed stops before faust stops the agents, within a bound; a second signal
drops the batch in hand."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from signal import SIGINT, SIGTERM, Signals
from typing import Any

import faust

from streams.worker import StockWorker

log = logging.getLogger("omnistock.worker")


class FeedStopper:
    """Holds the running feed's worker; stops it when the app starts stopping.

    faust stops a service's children (the agents) before cancelling its tasks (the feed): a feed
    stopped only then waits for outcomes no agent will ever give, and the process hangs until it is
    killed. `app.on_before_shutdown` is sent before the children stop, so the batch in hand still
    finishes on live agents, its outputs are flushed, what is done committed, and the group left.
    """

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.worker: StockWorker | None = None

    def connect(self, app: faust.App) -> None:
        # mode types a handler's `signal` argument with a string mypy cannot resolve: any handler fails.
        app.on_before_shutdown.connect(self._on_before_shutdown)  # type: ignore[arg-type]

    async def _on_before_shutdown(self, app: faust.App, *_: Any, **__: Any) -> None:
        worker = self.worker
        if worker is None:
            return
        loop = asyncio.get_running_loop()
        for sent in (SIGTERM, SIGINT):
            # faust ignores a second signal while it stops; here it means "now": drop the batch in hand.
            with contextlib.suppress(ValueError, RuntimeError):  # not the main thread: no signals here
                loop.add_signal_handler(sent, self._abandon, worker, sent)
        log.info("worker_stopping", extra={"timeout_s": self.timeout_s})
        began = loop.time()
        await worker.shutdown(self.timeout_s)
        log.info("worker_stopped", extra={"seconds": round(loop.time() - began, 3)})

    @staticmethod
    def _abandon(worker: StockWorker, sent: Signals) -> None:
        log.warning("second_stop_signal", extra={"signal": sent.name})
        worker.abandon()
