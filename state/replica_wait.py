"""OMNISTOCK_REDIS_WAIT_REPLICAS: a batch's writes held by N replicas before its offsets are committed.

Redis replicates asynchronously: a master that acknowledged a write and dies before sending it on
loses it, and the promoted replica never saw it, while the worker has committed the event's offset.
`WAIT n timeout_ms`, sent last in the pipeline that carries the writes (same round trip), answers how
many replicas hold every write of that connection so far. Fewer than n is StoreUnavailable: the worker
retries the batch (its offsets stay uncommitted) and the scripts' dedupe applies each event once.
What it does not cover: a retry on another connection (the first one was dropped on an error) whose
calls are all duplicates writes nothing, so its WAIT vouches only for its own (empty) writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.errors import StoreUnavailable
from state.lean_pipeline import Command


@dataclass(frozen=True, slots=True)
class ReplicaWait:
    """`replicas` = 0: no WAIT (the default, and single Redis's hot path unchanged)."""

    replicas: int = 0
    timeout_ms: int = 1000
    commands: tuple[Command, ...] = field(init=False)

    def __post_init__(self) -> None:
        wait: tuple[Command, ...] = (("WAIT", self.replicas, self.timeout_ms),) if self.replicas else ()
        object.__setattr__(self, "commands", wait)

    def split(self, answers: list[Any]) -> tuple[list[Any], list[Any]]:
        """(the calls' replies, the WAIT's reply or nothing) of a pipeline that ended with `commands`."""
        if not self.commands:
            return answers, []
        cut = len(answers) - len(self.commands)
        return answers[:cut], answers[cut:]

    def shortfall(self, waited: list[Any], where: str) -> StoreUnavailable | None:
        """The error to raise (once every reply is read) when fewer replicas acknowledged than asked."""
        if not waited:
            return None
        (acknowledged,) = waited
        if isinstance(acknowledged, int) and acknowledged >= self.replicas:
            return None
        return StoreUnavailable(
            "replicas did not acknowledge the writes in time",
            node=where,
            acknowledged=str(acknowledged),
            asked=self.replicas,
        )


NO_WAIT = ReplicaWait()
