"""The projection of `bench worker --cluster`: W workers on S shards from the CPU each event cost."""

from __future__ import annotations

import pytest

from omnistock.bench.projection import EventCosts, Projection, describe
from omnistock.bench.worker_phase import PhaseResult
from omnistock.stack.embedded_cluster import SLOTS, slot_ranges

EVEN = EventCosts(worker_us=200.0, shard_us=(20.0, 20.0, 20.0), broker_us=50.0)


def test_workers_and_shards_each_give_one_core_of_events_per_event_cost() -> None:
    p = Projection(workers=8, shards=4, partitions=8, costs=EVEN)
    assert p.workers_bound == pytest.approx(8 * 1e6 / 200)
    assert p.shards_bound == pytest.approx(4 * 1e6 / 60)
    assert p.broker_bound == pytest.approx(1e6 / 50)


def test_the_projection_is_the_lower_bound_and_names_the_next_one() -> None:
    redis_bound = Projection(8, 4, 8, EventCosts(100.0, (50.0, 50.0, 50.0), 10.0))
    assert redis_bound.events_per_s == redis_bound.shards_bound < redis_bound.workers_bound
    assert redis_bound.bottleneck == "the shards (Redis)"
    assert [name for name, _ in redis_bound.next_bounds()] == [
        "the workers",
        "the broker (as measured, one core)",
    ]
    workers_bound = Projection(8, 4, 8, EVEN)
    assert workers_bound.events_per_s == workers_bound.workers_bound < workers_bound.shards_bound
    assert workers_bound.bottleneck == "the workers"


def test_an_uneven_spread_over_the_shards_lowers_their_bound_by_the_busiest() -> None:
    skewed = EventCosts(worker_us=200.0, shard_us=(30.0, 15.0, 15.0), broker_us=50.0)
    assert skewed.shard_skew == pytest.approx(1.5)
    assert Projection(8, 4, 8, skewed).shards_bound == pytest.approx(
        Projection(8, 4, 8, EVEN).shards_bound / 1.5
    )


def test_fewer_partitions_than_workers_leave_the_extra_workers_idle_and_the_print_says_so() -> None:
    p = Projection(workers=8, shards=4, partitions=4, costs=EVEN)
    assert p.partitions_bound == pytest.approx(p.workers_bound / 2)
    assert ("the partitions (4 per topic)", p.partitions_bound) in p.next_bounds()
    assert any("only 4 workers busy per topic" in line for line in describe(p))
    assert not any("partitions:" in line for line in describe(Projection(8, 4, 8, EVEN)))


def test_the_print_gives_the_arithmetic_and_the_hot_spots() -> None:
    text = "\n".join(describe(Projection(8, 4, 8, EVEN)))
    assert "8 x 1e6 / 200 us per event = 40,000 events/s" in text
    assert "bounded by the workers" in text
    assert "lowest first: the broker (as measured, one core) 20,000, the shards (Redis) 66,667" in text
    assert "one worker: <= 5,000 events/s" in text
    assert "share a shard: <= 16,667 events/s" in text


def test_a_phase_cost_per_event_is_its_share_of_a_core_over_its_rate() -> None:
    phase = PhaseResult("x", rate=2_000.0, seconds=5.0, cpu={"worker 1": 50.0, "worker 2": 30.0})
    assert phase.us_per_event(["worker 1"]) == pytest.approx(250.0)  # half a core for 2,000 events/s
    assert phase.us_per_event(["worker 1", "worker 2"]) == pytest.approx(400.0)
    assert phase.us_per_event(["shard 1"]) == 0.0


@pytest.mark.parametrize("masters", [1, 3, 4, 7])
def test_the_cluster_slots_are_cut_into_contiguous_ranges_covering_every_slot(masters: int) -> None:
    ranges = slot_ranges(masters)
    assert len(ranges) == masters
    assert ranges[0][0] == 0
    assert ranges[-1][1] == SLOTS - 1
    assert all(last + 1 == first for (_, last), (first, _) in zip(ranges, ranges[1:], strict=False))
    sizes = [last - first + 1 for first, last in ranges]
    assert max(sizes) - min(sizes) <= 1
