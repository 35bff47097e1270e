"""Which skus a cart renewal visits: the batch rule both stores share (core.ledger_carts)."""

from __future__ import annotations

from core.ledger_carts import BatchCarts
from core.movements import ReleaseHold, RenewCart, SetHold

TTL = 900_000


def test_a_renewal_skips_the_line_its_own_event_set_and_lines_set_in_the_batch_with_its_ttl() -> None:
    batch = BatchCarts()
    batch.planned(SetHold("e1", "C1", "A", None, 1, TTL))
    assert batch.renewal(RenewCart("e1", "C1", TTL), {"B"}) == ["B"]
    batch.planned(SetHold("e2", "C1", "C", None, 1, TTL))
    assert batch.renewal(RenewCart("e2", "C1", TTL), {"B"}) == []


def test_a_renewal_with_another_ttl_visits_the_lines_the_batch_set() -> None:
    batch = BatchCarts()
    batch.planned(SetHold("e1", "C1", "A", None, 1, TTL))
    assert batch.renewal(RenewCart("e2", "C1", 0), set()) == ["A"]
    assert batch.renewal(RenewCart("e3", "C1", TTL), set()) == ["A"]


def test_a_released_line_is_no_longer_fresh_and_other_carts_are_untouched() -> None:
    batch = BatchCarts()
    batch.planned(SetHold("e1", "C1", "A", None, 1, TTL))
    batch.planned(ReleaseHold("e2", "C1", "A"))
    assert batch.renewal(RenewCart("e3", "C1", TTL), set()) == ["A"]
    assert batch.renewal(RenewCart("e4", "C2", TTL), {"A"}) == ["A"]
