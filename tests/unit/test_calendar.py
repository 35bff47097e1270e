"""Opening hours in the location's own zone: openings, work paused at closing, closed days, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.calendar import after_open_minutes, calendar_of, is_open, next_open

WEEKDAYS = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), ("09:00", "18:00"))
PARIS = calendar_of("Europe/Paris", WEEKDAYS)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def test_open_and_closed_are_read_in_the_location_time_zone():
    assert is_open(PARIS, utc(11, 17, 8, 30))  # 09:30 in Paris
    assert not is_open(PARIS, utc(11, 17, 17, 0))  # 18:00 in Paris: closed
    assert not is_open(PARIS, utc(11, 21, 12))  # a Saturday


def test_next_open_skips_the_weekend():
    assert next_open(PARIS, utc(11, 20, 18)) == utc(11, 23, 8)  # Fri 19:00 -> Mon 09:00 Paris


def test_next_open_while_open_is_now():
    assert next_open(PARIS, utc(11, 17, 9, 15)) == utc(11, 17, 9, 15)


def test_work_pauses_at_closing_and_resumes_at_the_next_opening():
    # Thu 17:00 Paris with 3 h of work: 1 h Thursday, 2 h from Friday 09:00
    assert after_open_minutes(PARIS, utc(11, 19, 16), 180) == utc(11, 20, 10)


def test_a_closed_date_is_skipped_like_a_closed_weekday():
    calendar = calendar_of("Europe/Paris", WEEKDAYS, [date(2026, 11, 11)])
    assert next_open(calendar, utc(11, 10, 18)) == utc(11, 12, 8)  # Tue evening -> Thu 09:00


def test_round_the_clock_hours_carry_work_over_midnight():
    always = calendar_of("Europe/Paris", dict.fromkeys(("mon", "tue"), ("00:00", "24:00")))
    assert after_open_minutes(always, utc(11, 16, 21), 240) == utc(11, 17, 1)  # Mon 22:00 + 4 h


def test_opening_hours_follow_the_wall_clock_across_a_dst_change():
    # Paris moves to summer time on Sunday 29 March 2026: 09:00 is 08:00 UTC before, 07:00 UTC after
    assert next_open(PARIS, utc(3, 27, 18)) == utc(3, 30, 7)


def test_a_location_never_open_has_no_next_opening():
    assert next_open(calendar_of("Europe/Paris", {}), utc(11, 17, 9)) is None
