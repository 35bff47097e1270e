"""Maps the simulation's fast clock onto the wall clock, so every event is stamped at or before now.

The simulated clock runs `speed` times faster than real time (one simulated hour per real minute by
default) and picks *what* happens (time of day, opening hours). Its timestamps used to be sent as
they were: after six real minutes the events were stamped six hours ahead of the real clock (issue
13 saw ~5.9 h), and a count from that future held every real delta "inside" it. Now a simulated time
is sent as the wall time it maps to: the run's wall start plus the simulated time elapsed divided by
`speed`. Events due by the simulated clock now map to at most the wall clock now, order is kept (a
count still comes before the sales simulated after it), and a till's local ISO time keeps its offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from omnistock.sim.events import Item, to_ms


@dataclass(frozen=True, slots=True)
class WallStamps:
    """Simulated epoch ms -> wall epoch ms, for a run whose simulated `sim_start` is `wall_start_ms`."""

    sim_start_ms: int
    wall_start_ms: int
    speed: float

    @classmethod
    def starting(cls, sim_start: datetime, wall_start_ms: int, speed: float) -> WallStamps:
        return cls(to_ms(sim_start), wall_start_ms, speed)

    def wall_ms(self, sim_ms: int) -> int:
        return self.wall_start_ms + int((sim_ms - self.sim_start_ms) // self.speed)

    def restamp(self, item: Item) -> Item:
        """The item with its occurred_at (epoch ms, or ISO-8601 with an offset) on the wall clock."""
        topic, key, event = item
        at = event.get("occurred_at")
        if isinstance(at, int):
            return topic, key, {**event, "occurred_at": self.wall_ms(at)}
        if isinstance(at, str):
            local = datetime.fromisoformat(at)
            moved = local + timedelta(milliseconds=self.wall_ms(to_ms(local)) - to_ms(local))
            return topic, key, {**event, "occurred_at": moved.isoformat(timespec="milliseconds")}
        return item
