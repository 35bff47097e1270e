"""A worker finding the store marker gone commits what it did, holds its batch, applies it after rebuild."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import CollectorRegistry

from state.epoch import NEW_DEPLOYMENT
from streams.store_guard import StoreGuard
from streams.worker import BatchWorker


class _Marker:
    """Missing for the first `missing_checks` checks (the rebuild runs meanwhile), then back."""

    def __init__(self, missing_checks: int, log: list[str]) -> None:
        self.missing_checks, self.log, self.written = missing_checks, log, []  # type: ignore[var-annotated]

    def present(self) -> bool:
        self.log.append("check")
        self.missing_checks -= 1
        return self.missing_checks < 0

    def write(self, epoch_ms: int, origin: str) -> None:
        self.written.append(origin)


class _Record:
    def value(self) -> bytes:
        return b"x"


class _Feed:
    def __init__(self, log: list[str], worker: list[BatchWorker], batches: int = 1) -> None:
        self.log, self._worker, self.batches = log, worker, batches

    def poll(self, *_: Any) -> list[Any]:
        if not self.batches:
            self._worker[0].stop()
            return []
        self.batches -= 1
        return [_Record()]

    def produce(self, _: Any) -> None: ...
    def mark_done(self, _: Any) -> None: ...
    def take_done(self) -> dict[Any, int]:
        return {}

    def commit_offsets(self, *_: Any) -> int:
        return 0

    def commit(self) -> int:
        self.log.append("commit")
        return 0

    def close(self, flush_timeout_s: float = 30.0) -> None:
        self.log.append("close")

    def pause(self) -> None:
        self.log.append("pause")

    def keep_alive(self) -> None:
        self.log.append("poll")

    def resume(self) -> None:
        self.log.append("resume")


def _run(missing_checks: int, stop_while_holding: bool = False) -> tuple[list[str], StoreGuard]:
    log: list[str] = []
    holder: list[BatchWorker] = []
    guard = StoreGuard(_Marker(missing_checks, log), CollectorRegistry(), wait_s=0.01)
    worker = BatchWorker(_Feed(log, holder), {}, "", 1000, 60.0, guard=guard)  # type: ignore[arg-type]
    holder.append(worker)

    async def apply(_: Any) -> None:
        log.append("apply")
        log.append(f"lost={guard.lost_gauge._value.get():g}")

    async def main() -> None:
        if stop_while_holding:
            asyncio.get_running_loop().call_later(0.1, worker.stop)
        await worker.run()

    worker._apply = apply  # type: ignore[method-assign,assignment]
    asyncio.run(main())
    return log, guard


def test_a_present_marker_costs_one_check_per_batch_and_nothing_else() -> None:
    log, _ = _run(missing_checks=0)

    assert log == ["check", "apply", "lost=0", "close"]


def test_a_lost_store_commits_what_was_done_then_holds_the_batch_paused_until_the_marker_is_back() -> None:
    log, guard = _run(missing_checks=3)

    held = ["poll", "check"] * 3  # the paused consumer polls (the group keeps it), the marker is checked
    assert log == ["check", "commit", "pause", *held, "resume", "apply", "lost=0", "close"]
    assert guard.lost_gauge._value.get() == 0


def test_a_worker_stopped_while_holding_never_applies_its_batch() -> None:
    log, guard = _run(missing_checks=1_000_000, stop_while_holding=True)

    assert "apply" not in log
    assert log[:3] == ["check", "commit", "pause"]
    assert log[-2:] == ["resume", "close"]
    assert guard.lost_gauge._value.get() == 1


class _Consumer:
    def __init__(self, committed: list[int]) -> None:
        self.committed_offsets = committed

    def list_topics(self, timeout: float) -> Any:
        class _Topic:
            partitions = {0: None}

        class _Meta:
            topics = {"pos.sales.v1": _Topic()}

        return _Meta()

    def committed(self, partitions: list[Any], timeout: float) -> list[Any]:
        from confluent_kafka import TopicPartition

        offsets = zip(partitions, self.committed_offsets, strict=True)
        return [TopicPartition(tp.topic, tp.partition, offset) for tp, offset in offsets]


def test_the_first_worker_of_a_group_that_never_committed_writes_the_marker_of_a_new_store() -> None:
    marker = _Marker(missing_checks=1, log=[])
    guard = StoreGuard(marker, CollectorRegistry())

    guard.initialise(_Consumer(committed=[-1001]), ["pos.sales.v1"])  # type: ignore[arg-type]

    assert marker.written == [NEW_DEPLOYMENT]
    assert guard.lost_gauge._value.get() == 0


def test_a_group_that_committed_offsets_without_a_marker_finds_its_store_lost_and_writes_nothing() -> None:
    marker = _Marker(missing_checks=1, log=[])
    guard = StoreGuard(marker, CollectorRegistry())

    guard.initialise(_Consumer(committed=[42]), ["pos.sales.v1"])  # type: ignore[arg-type]

    assert marker.written == []
    assert guard.lost_gauge._value.get() == 1
