"""The clocks, on hand-built histories whose answers are worked out by hand below.

The calendar: Monday to Friday, 9:00 to 17:00 in Berlin; Friday 25 December 2026 is a holiday.
"""

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.metrics import measure
from tickets.models import SlaPolicy, StatusHistory
from tickets.sla import BusinessCalendar, NoWorkingTime, WallClock, counted, due_at

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600.0
CALENDAR = BusinessCalendar(
    zone=BERLIN,
    hours={day: (time(9), time(17)) for day in range(5)},
    holidays=frozenset({date(2026, 12, 25)}),
)
NORMAL = SlaPolicy(
    priority="normal",
    first_response_minutes=8 * 60,
    resolution_minutes=24 * 60,
    counting=SlaPolicy.Counting.BUSINESS,
)
URGENT = SlaPolicy(
    priority="urgent",
    first_response_minutes=30,
    resolution_minutes=4 * 60,
    counting=SlaPolicy.Counting.CALENDAR,
)


def at(day: int, hour: float, month: int = 12) -> datetime:
    """A moment in Berlin in December 2026 (24 = Thursday, 25 = the holiday)."""
    whole = int(hour)
    return datetime(2026, month, day, whole, int((hour - whole) * 60), tzinfo=BERLIN)


def history(*steps) -> list[StatusHistory]:
    rows, previous = [], None
    for moment, status in steps:
        rows.append(StatusHistory(from_status=previous, to_status=status, created_at=moment))
        previous = status
    return rows


# --- The business calendar ----------------------------------------------------------------


def test_a_weekend_and_a_holiday_do_not_count():
    # Thu 16:00 → Mon 10:00: Thursday 1 h, Friday is a holiday, the weekend, Monday 1 h.
    assert CALENDAR.seconds(at(24, 16), at(28, 10)) == 2 * HOUR


def test_time_outside_working_hours_does_not_count():
    assert CALENDAR.seconds(at(28, 18), at(29, 8)) == 0
    assert CALENDAR.seconds(at(28, 8), at(28, 18)) == 8 * HOUR


def test_adding_working_time_skips_the_nights_weekends_and_holidays():
    # 8 working hours from Thu 16:00: Thu 1 h, then Mon 9:00 + 7 h = Mon 16:00.
    assert CALENDAR.add(at(24, 16), timedelta(hours=8)) == at(28, 16)
    # Starting at night begins at the next opening.
    assert CALENDAR.add(at(28, 20), timedelta(hours=1)) == at(29, 10)


def test_a_calendar_without_working_days_says_so():
    empty = BusinessCalendar(zone=BERLIN, hours={}, holidays=frozenset())
    assert empty.seconds(at(28, 9), at(29, 9)) == 0
    with pytest.raises(NoWorkingTime):
        empty.add(at(28, 9), timedelta(hours=1))


@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    seconds=st.floats(min_value=0, max_value=200 * HOUR),
)
def test_adding_then_measuring_gives_back_the_same_working_time(start, seconds):
    start = start.replace(tzinfo=UTC)
    amount = timedelta(seconds=seconds)
    end = CALENDAR.add(start, amount)
    assert CALENDAR.duration(start, end) == amount  # exact, to the microsecond


def test_pauses_do_not_count_and_push_the_due_time():
    pauses = [(at(28, 11), at(29, 11))]  # on hold Mon 11:00 → Tue 11:00: 8 working hours
    assert counted(CALENDAR, at(28, 9), at(29, 17), pauses) == timedelta(hours=8)
    # 8 working hours from Mon 9:00 with that pause: Mon 9-11 (2 h), Tue 11-17 (6 h).
    assert due_at(CALENDAR, at(28, 9), timedelta(hours=8), pauses) == at(29, 17)
    assert due_at(WallClock(), at(28, 9), timedelta(hours=1), pauses) == at(28, 10)


# --- One ticket's clock, replayed from its history ----------------------------------------


def test_a_ticket_across_a_holiday_weekend_with_a_pause_and_a_reopen():
    created = at(24, 16)  # Thursday before Christmas, 16:00
    rows = history(
        (created, "open"),
        (at(28, 9.5), "assigned"),
        (at(28, 10), "in_progress"),
        (at(28, 11), "on_hold"),  # waits for the customer until Tuesday 11:00
        (at(29, 11), "in_progress"),
        (at(30, 12), "resolved"),
        (at(31, 9), "in_progress"),  # reopened
        (at(31, 15), "resolved"),
    )
    measured = measure(
        created_at=created,
        status="resolved",
        history=rows,
        first_staff_reply_at=at(28, 10),
        policy=NORMAL,
        calendar=CALENDAR,
        now=at(31, 16),
    )
    assert measured.first_response_seconds == 90 * HOUR  # Thu 16:00 → Mon 10:00, wall clock
    assert measured.resolution_seconds == (5 * 24 + 20) * HOUR  # → Wed 12:00
    assert measured.full_resolution_seconds == (7 * 24 - 1) * HOUR  # → Thu 15:00
    assert measured.on_hold_seconds == 24 * HOUR
    assert measured.reopen_count == 1
    # Response: 2 working hours (Thu 1 h, Mon 1 h) of 8 → met.
    assert measured.response_met is True
    # Resolution: Thu 1 + Mon 8 + Tue 8 + Wed 3 = 20 working hours, less 8 on hold = 12 of 24.
    assert measured.resolution_met is True
    assert measured.response_due_at is None and measured.resolution_due_at is None


def test_a_ticket_still_open_at_the_end_of_the_range_is_due_not_judged():
    created = at(23, 9, month=11)  # Monday 23 November, 9:00
    rows = history((created, "open"), (at(23, 9.5, month=11), "assigned"))
    measured = measure(
        created_at=created,
        status="assigned",
        history=rows,
        first_staff_reply_at=None,
        policy=NORMAL,
        calendar=CALENDAR,
        now=at(23, 12, month=11),
    )
    assert measured.first_response_seconds is None and measured.resolution_seconds is None
    assert measured.response_met is None and measured.resolution_met is None
    assert measured.response_due_at == at(23, 17, month=11)  # 8 working hours
    assert measured.resolution_due_at == at(25, 17, month=11)  # 24 working hours: Wednesday
    assert measured.sla_due_at == at(23, 17, month=11)


def test_a_missed_target_is_breached_before_the_ticket_is_done():
    created = at(23, 9, month=11)
    measured = measure(
        created_at=created,
        status="open",
        history=history((created, "open")),
        first_staff_reply_at=None,
        policy=NORMAL,
        calendar=CALENDAR,
        now=at(24, 10, month=11),  # Tuesday 10:00: 9 working hours later
    )
    assert measured.response_met is False
    assert measured.response_due_at == at(23, 17, month=11)  # still shown, in the past


def test_the_clock_stops_while_on_hold():
    created = at(23, 9, month=11)
    rows = history(
        (created, "open"),
        (at(23, 9.1, month=11), "assigned"),
        (at(23, 9.2, month=11), "in_progress"),
        (at(23, 10, month=11), "on_hold"),
    )
    measured = measure(
        created_at=created,
        status="on_hold",
        history=rows,
        first_staff_reply_at=at(23, 9.5, month=11),
        policy=NORMAL,
        calendar=CALENDAR,
        now=at(27, 12, month=11),  # days later, still on hold
    )
    assert measured.resolution_due_at is None  # paused
    assert measured.resolution_met is None  # only 1 working hour counted so far
    assert measured.sla_due_at is None


def test_urgent_tickets_count_around_the_clock():
    created = at(26, 22)  # Saturday night
    measured = measure(
        created_at=created,
        status="open",
        history=history((created, "open")),
        first_staff_reply_at=None,
        policy=URGENT,
        calendar=CALENDAR,
        now=at(26, 22.25),
    )
    assert measured.response_due_at == at(26, 22.5)
    assert measured.resolution_due_at == at(27, 2)


def test_a_resolution_counts_as_the_first_response_when_it_came_first():
    created = at(28, 9)
    rows = history(
        (created, "open"),
        (at(28, 9.5), "assigned"),
        (at(28, 10), "in_progress"),
        (at(28, 11), "resolved"),
    )
    measured = measure(
        created_at=created,
        status="resolved",
        history=rows,
        first_staff_reply_at=None,
        policy=NORMAL,
        calendar=CALENDAR,
        now=at(28, 12),
    )
    assert measured.first_response_seconds == 2 * HOUR


def test_a_ticket_withdrawn_in_time_has_no_sla_outcome():
    created = at(28, 9)
    rows = history((created, "open"), (at(28, 10), "closed"))
    measured = measure(
        created_at=created,
        status="closed",
        history=rows,
        first_staff_reply_at=None,
        policy=NORMAL,
        calendar=CALENDAR,
        now=at(30, 12),
    )
    assert measured.response_met is None and measured.resolution_met is None


def test_without_a_policy_nothing_is_due():
    created = at(28, 9)
    measured = measure(
        created_at=created,
        status="open",
        history=history((created, "open")),
        first_staff_reply_at=None,
        policy=None,
        calendar=CALENDAR,
        now=at(28, 12),
    )
    assert measured.sla_due_at is None and measured.response_met is None


def test_dates_are_counted_in_the_help_desk_zone_not_utc():
    # 8:30 UTC on a December Monday is 9:30 in Berlin: half an hour of working time until 10.
    start = datetime(2026, 12, 28, 8, 30, tzinfo=UTC)
    assert CALENDAR.seconds(start, at(28, 10)) == HOUR / 2
    assert CALENDAR.add(start, timedelta(hours=1)) == at(28, 10.5)
    assert timedelta(seconds=CALENDAR.seconds(at(28, 9), at(28, 17))) == timedelta(hours=8)


@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30)),
    hours=st.floats(min_value=0, max_value=24 * 120),
)
def test_counting_by_whole_weeks_agrees_with_counting_day_by_day(start, hours):
    start = start.replace(tzinfo=UTC)
    end = start + timedelta(hours=hours)
    day_by_day = sum(
        max(0.0, (min(closes, end) - max(opens, start)).total_seconds())
        for opens, closes in itertools.takewhile(
            lambda window: window[0] < end, CALENDAR._windows(start)
        )
    )
    assert CALENDAR.seconds(start, end) == pytest.approx(day_by_day, abs=1e-6)
