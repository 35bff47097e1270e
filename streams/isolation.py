"""Applies a batch's commands so that no record can stop it: the records the store refuses, or that
fail the batch in a way no reply names, go to the DLQ; every other command is applied.

The happy path is the store's one round trip, untouched. A refusal is named per call by the store
(EventsRefused: a pipelined batch gets one reply per call), so only its records are dead-lettered.
A batch failing otherwise (an error outside any one call's reply) is split in halves, each applied
again, until the failing record is alone: safe because every script dedupes by event id and checks
its input before its first write, so a command applied before the failure is a duplicate the second
time (its availability change is then not published again; the next change of that sku carries it).
StoreUnavailable is never isolated: Redis could not run the batch, the agent retries all of it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.errors import EventsRefused, StoreUnavailable
from core.movements import Command, MovementResult
from core.ports import StockWriter
from streams.dlq import UNPROCESSABLE, dead_letter
from streams.records import ConsumedRecord, OutRecord

log = logging.getLogger("omnistock.isolation")


@dataclass(slots=True)
class Applied:
    """The commands applied, each with its result and the record it came from, in order."""

    results: list[MovementResult] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    sources: list[ConsumedRecord] = field(default_factory=list)

    def extend(self, other: Applied) -> None:
        self.results += other.results
        self.commands += other.commands
        self.sources += other.sources


@dataclass(frozen=True, slots=True)
class Isolation:
    """Where dead letters go, and their bound."""

    writer: StockWriter
    topic: str
    outputs: list[OutRecord]
    max_bytes: int

    def apply(self, commands: Sequence[Command], sources: Sequence[ConsumedRecord], now_ms: int) -> Applied:
        """Apply `commands` (each from its record in `sources`); raises StoreUnavailable only."""
        if not commands:
            return Applied()
        try:
            return Applied(self.writer.apply(commands, now_ms), list(commands), list(sources))
        except StoreUnavailable:
            raise
        except EventsRefused as refusal:
            return self._refused(refusal, commands, sources)
        except Exception as error:  # no reply names the culprit: find it
            return self._split(commands, sources, now_ms, error)

    def _refused(
        self, refusal: EventsRefused, commands: Sequence[Command], sources: Sequence[ConsumedRecord]
    ) -> Applied:
        """The records of refused commands to the DLQ (once each); the commands applied are kept, a
        record's other skus among them (a replay of its dead letter finds them duplicates)."""
        applied, dead = Applied(), set()
        for i, result in enumerate(refusal.results):
            source = sources[i]
            if result is not None:
                applied.results.append(result)
                applied.commands.append(commands[i])
                applied.sources.append(source)
            elif id(source) not in dead:
                dead.add(id(source))
                code, message = refusal.refused[i]
                self.outputs.append(dead_letter(self.topic, source, code, message, self.max_bytes))
        return applied

    def _split(
        self,
        commands: Sequence[Command],
        sources: Sequence[ConsumedRecord],
        now_ms: int,
        error: Exception,
    ) -> Applied:
        records = list({id(s): s for s in sources}.values())
        if len(records) == 1:
            log.error(
                "record_unprocessable",
                exc_info=error,
                extra={"topic": self.topic, "offset": records[0].offset(), "error": str(error)},
            )
            self.outputs.append(
                dead_letter(self.topic, records[0], UNPROCESSABLE, repr(error), self.max_bytes)
            )
            return Applied()
        first = {id(r) for r in records[: len(records) // 2]}
        applied = Applied()
        for half in (True, False):
            picked = [i for i, s in enumerate(sources) if (id(s) in first) is half]
            applied.extend(self.apply([commands[i] for i in picked], [sources[i] for i in picked], now_ms))
        return applied
