"""A batch of commands as script calls (keys, arguments, touched locations), and the replies as results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.errors import InvalidEvent
from core.ledger import DEDUPE_BUCKETS
from core.ledger_carts import BatchCarts
from core.movements import (
    AdjustOnHand,
    Command,
    LocationFigures,
    Movement,
    MovementResult,
    MoveTransfer,
    RecordCount,
    RenewCart,
)
from core.network import Network
from state import hold_calls, keys
from state.redis_calls import OUTCOMES, Call, failed

Refusals = dict[int, tuple[str, str]]  # index of a refused command -> (reason code, message)
Windows = tuple[int, int, int]  # dedupe bucket ms, dedupe ttl ms, count window ms


class BatchCalls:
    """The script calls of one batch's commands (a hold_calls.Batch), then each command's result."""

    def __init__(self, prefix: str, network: Network, now_ms: int, windows: Windows) -> None:
        bucket_ms, dedupe_ttl_ms, count_window_ms = windows
        self.prefix, self.network, self.now_ms = prefix, network, now_ms
        bucket = now_ms // bucket_ms
        self.suffixes = [str(bucket - i) for i in range(DEDUPE_BUCKETS + 1)]
        self.common = (dedupe_ttl_ms, count_window_ms, len(self.suffixes))
        self.renewed: dict[int, Sequence[str]] = {}  # index of a RenewCart -> the skus it renews

    def plan(
        self, movements: Sequence[Command], carts: dict[str, set[str]], batch: BatchCarts, refused: Refusals
    ) -> list[list[Call]]:
        """Each command's calls; a command refused here gets none (and its reason in `refused`)."""
        plan: list[list[Call]] = []
        for i, m in enumerate(movements):
            try:
                plan.append(self.commands(i, m, carts, batch))
            except InvalidEvent as error:  # nothing sent for it: the others go on
                refused[i] = (error.code, error.message)
                plan.append([])
                continue
            batch.planned(m)
        return plan

    def answers(
        self,
        movements: Sequence[Command],
        plan: list[list[Call]],
        replies: list[Any],
        carts: dict[str, set[str]],
        batch: BatchCarts,
        refused: Refusals,
    ) -> tuple[list[MovementResult | None], hold_calls.FollowUp]:
        """Each command's result from its replies (None for a refused one, refused here or before),
        and the follow-up writes they need."""
        results: list[MovementResult | None] = []
        follow, at = hold_calls.FollowUp(carts), 0
        for i, (m, commands) in enumerate(zip(movements, plan, strict=True)):
            part, at = replies[at : at + len(commands)], at + len(commands)
            try:
                if refused and i in refused:
                    result = None
                elif isinstance(m, RenewCart):
                    result = hold_calls.renewal_result(m, self.renewed[i], part, follow, batch)
                elif isinstance(m, AdjustOnHand | RecordCount | MoveTransfer):
                    result = result_of(m.sku, m.event_id, commands[0][2], part[0])
                else:
                    result = hold_calls.result(m, part[0], follow)
            except InvalidEvent as error:  # an error reply to this call: refused by its script
                refused[i], result = (error.code, error.message), None
            results.append(result)
            if result is not None:
                batch.answered(m, result)
        return results, follow

    def commands(self, i: int, m: Command, carts: dict[str, set[str]], batch: BatchCarts) -> list[Call]:
        if isinstance(m, RenewCart):
            skus = self.renewed[i] = batch.renewal(m, carts.get(m.cart_id, set()))
            return hold_calls.renewal(m, skus, self)
        if isinstance(m, AdjustOnHand | RecordCount | MoveTransfer):
            return [self.command(m)]
        return [hold_calls.command(m, self)]

    def head(self, sku: str) -> list[Any]:
        base = keys.dedupe_base(self.prefix, sku)
        return [keys.stock(self.prefix, sku), *[base + s for s in self.suffixes]]

    def location(self, location_id: str) -> tuple[int, int, int]:
        """The settings of a location an event names ("": the network), refused when unknown."""
        if location_id:
            self.network.check_known(location_id)
        return hold_calls.settings(self.network, location_id)

    def command(self, m: Movement) -> Call:
        if not m.event_id:
            raise InvalidEvent("empty event_id", sku=m.sku)
        common = (m.event_id, self.now_ms, m.occurred_at_ms, *self.common)
        if isinstance(m, AdjustOnHand):
            return self.adjust(m, common)
        if isinstance(m, RecordCount):
            check_location(m.location_id, m.sku, m.event_id)
            ks = [*self.head(m.sku), keys.delta_log(self.prefix, m.sku, m.location_id)]
            args = (*common, m.location_id, m.on_hand, *self.location(m.location_id))
            return "count", (len(ks), *ks, *args), (m.location_id,)
        return self.transfer(m, common)

    def adjust(self, m: AdjustOnHand, common: tuple[Any, ...]) -> Call:
        ks = self.head(m.sku)
        args: list[Any] = [*common, len(m.deltas)]
        for delta in m.deltas:
            check_location(delta.location_id, m.sku, m.event_id)
            ks.append(keys.delta_log(self.prefix, m.sku, delta.location_id))
            args += (delta.location_id, delta.quantity, *self.location(delta.location_id))
        return "adjust", (len(ks), *ks, *args), tuple(d.location_id for d in m.deltas)

    def transfer(self, m: MoveTransfer, common: tuple[Any, ...]) -> Call:
        p, sku, src, dst = self.prefix, m.sku, m.from_location_id, m.to_location_id
        check_location(src, sku, m.event_id)
        check_location(dst, sku, m.event_id)
        ks = [*self.head(m.sku), keys.transfers(p, sku), keys.transfers_closed(p, sku)]
        ks += (keys.delta_log(p, sku, src), keys.delta_log(p, sku, dst))
        args = (*common, m.transfer_id, m.status.value, src, dst, m.quantity)
        args += (*self.location(src), *self.location(dst))
        return "transfer", (len(ks), *ks, *args), (src, dst)


def check_location(location_id: str, sku: str, event_id: str) -> None:
    if not location_id or keys.SEP in location_id:
        raise InvalidEvent("location_id must be non-empty without '|'", sku=sku, event_id=event_id)


def result_of(sku: str, event_id: str, locations: tuple[str, ...], reply: Any) -> MovementResult:
    """The result of a call whose reply lists figures by location number (adjust, count, transfer,
    safety_stock)."""
    failed(reply, sku, event_id)
    figures = tuple(
        LocationFigures(locations[reply[i] - 1], *reply[i + 1 : i + 7]) for i in range(2, len(reply), 7)
    )
    return MovementResult(OUTCOMES[reply[0]], sku, event_id, figures, reply[1])
