"""Opening hours in a location's own time zone: is it open, when does it next open, when is work done."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEARCH_DAYS = 21  # a location shut for three weeks has no date to promise
Interval = tuple[int, int]  # minutes after local midnight, [open, close); close may be 1440


def minutes_of(hhmm: str) -> int:
    """ "HH:MM" -> minutes after midnight ("24:00" -> 1440)."""
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True, slots=True)
class Calendar:
    """A week of opening intervals (index 0 = Monday; None = closed) and dates closed all day."""

    timezone: str
    week: tuple[Interval | None, ...]
    closed_dates: frozenset[date] = frozenset()

    def interval(self, day: date) -> Interval | None:
        return None if day in self.closed_dates else self.week[day.weekday()]

    def local(self, at: datetime) -> datetime:
        return at.astimezone(zone(self.timezone))

    def moment(self, day: date, minute: int) -> datetime:
        return wall_moment(self.timezone, day, minute)


def wall_moment(timezone: str, day: date, minute: int) -> datetime:
    """The UTC instant of `minute` after local midnight of `day` in `timezone` (wall clock: DST-correct)."""
    midnight = datetime.combine(day, time(), tzinfo=zone(timezone))
    return (midnight + timedelta(minutes=minute)).astimezone(UTC)


def calendar_of(
    timezone: str, opening_hours: Mapping[str, tuple[str, str]], closed_dates: Iterable[date] = ()
) -> Calendar:
    """Build from the network's form: {"mon": ("09:00", "20:00"), ...}; a day not listed is closed."""
    week = tuple(
        (minutes_of(opening_hours[name][0]), minutes_of(opening_hours[name][1]))
        if name in opening_hours
        else None
        for name in DAY_NAMES
    )
    return Calendar(timezone, week, frozenset(closed_dates))


def minute_of_day(local: datetime) -> int:
    return local.hour * 60 + local.minute + (1 if local.second or local.microsecond else 0)


def is_open(calendar: Calendar, at: datetime) -> bool:
    local = calendar.local(at)
    interval = calendar.interval(local.date())
    return interval is not None and interval[0] <= minute_of_day(local) < interval[1]


def next_open(calendar: Calendar, at: datetime) -> datetime | None:
    """The first instant at or after `at` when the location is open (UTC), None within SEARCH_DAYS."""
    return after_open_minutes(calendar, at, 0)


def after_open_minutes(calendar: Calendar, start: datetime, minutes: int) -> datetime | None:
    """When `minutes` of work started at `start` are done, counting only opening hours (UTC).

    Work pauses at closing and resumes at the next opening; None if that takes over SEARCH_DAYS.
    """
    local = calendar.local(start)
    day, minute = local.date(), minute_of_day(local)
    left = minutes
    for _ in range(SEARCH_DAYS):
        interval = calendar.interval(day)
        if interval is not None and minute < interval[1]:
            begin = max(minute, interval[0])
            if left <= interval[1] - begin and (left > 0 or begin < interval[1]):
                done = calendar.moment(day, begin + left)
                return max(done, start)
            left -= interval[1] - begin
        day, minute = day + timedelta(days=1), 0
    return None
