"""Clocks for service levels: wall-clock time, or business time by a working calendar.

Pure functions over aware datetimes; nothing here touches the database except
`BusinessCalendar.load()`. Business time counts only the working hours of working days that
are not holidays, in the help desk's own time zone (settings.HELPDESK_TIME_ZONE).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from django.conf import settings

Interval = tuple[datetime, datetime]
MAX_DAYS = 3660  # a calendar with no working time at all must not loop for ever
NOTHING = timedelta(0)


class NoWorkingTime(ValueError):
    pass


def elapsed(start: datetime, end: datetime) -> timedelta:
    """end - start as real time passed: Python subtracts two datetimes of the same zone
    object as wall times, an hour off across a daylight-saving switch."""
    return end.astimezone(UTC) - start.astimezone(UTC)


class Clock(Protocol):
    """Clock arithmetic is in timedelta, which is exact to the microsecond: a target of whole
    business days met to the second reads "met", never 28800.000000000004 s against 28800."""

    def duration(self, start: datetime, end: datetime) -> timedelta: ...

    def add(self, start: datetime, amount: timedelta) -> datetime: ...


class WallClock:
    """Calendar hours: every second counts."""

    def duration(self, start: datetime, end: datetime) -> timedelta:
        return max(NOTHING, elapsed(start, end))

    def seconds(self, start: datetime, end: datetime) -> float:
        return self.duration(start, end).total_seconds()

    def add(self, start: datetime, amount: timedelta) -> datetime:
        return (start.astimezone(UTC) + amount).astimezone(start.tzinfo)


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours per weekday (0 = Monday) and holidays, in one time zone."""

    zone: ZoneInfo
    hours: dict[int, tuple[time, time]]
    holidays: frozenset[date] = frozenset()

    @classmethod
    def load(cls) -> BusinessCalendar:
        from .models import Holiday, WorkingHours

        return cls(
            zone=ZoneInfo(settings.HELPDESK_TIME_ZONE),
            hours={w.weekday: (w.opens, w.closes) for w in WorkingHours.objects.all()},
            holidays=frozenset(Holiday.objects.values_list("date", flat=True)),
        )

    def _windows(self, start: datetime) -> Iterator[Interval]:
        """Working windows from the day `start` falls on, in order, for ever."""
        day = start.astimezone(self.zone).date()
        for _ in range(MAX_DAYS):
            if day.weekday() in self.hours and day not in self.holidays:
                opens, closes = self.hours[day.weekday()]
                yield (
                    datetime.combine(day, opens, tzinfo=self.zone),
                    datetime.combine(day, closes, tzinfo=self.zone),
                )
            day += timedelta(days=1)
        raise NoWorkingTime("The working calendar has no working hours.")

    def _weekday_time(self, weekday: int) -> timedelta:
        """Working time of an ordinary (not holiday) day of this weekday."""
        if weekday not in self.hours:
            return NOTHING
        opens, closes = self.hours[weekday]
        return max(NOTHING, datetime.combine(date.min, closes) - datetime.combine(date.min, opens))

    def _overlap(self, day: date, start: datetime, end: datetime) -> timedelta:
        """Working time of `day` that falls between start and end."""
        if day.weekday() not in self.hours or day in self.holidays:
            return NOTHING
        opens, closes = self.hours[day.weekday()]
        begin = max(datetime.combine(day, opens, tzinfo=self.zone), start)
        finish = min(datetime.combine(day, closes, tzinfo=self.zone), end)
        return max(NOTHING, elapsed(begin, finish))

    def duration(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two moments: the first and last day in part, the days
        between by whole weeks, since a ticket can stay open for months."""
        if end <= start or not self.hours:
            return NOTHING
        first, last = start.astimezone(self.zone).date(), end.astimezone(self.zone).date()
        if first == last:
            return self._overlap(first, start, end)
        total = self._overlap(first, start, end) + self._overlap(last, start, end)
        weeks, rest = divmod((last - first).days - 1, 7)
        total += weeks * sum((self._weekday_time(weekday) for weekday in range(7)), NOTHING)
        for offset in range(rest):
            total += self._weekday_time((first + timedelta(days=1 + offset)).weekday())
        for holiday in self.holidays:
            if first < holiday < last:
                total -= self._weekday_time(holiday.weekday())
        return total

    def seconds(self, start: datetime, end: datetime) -> float:
        return self.duration(start, end).total_seconds()

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The moment `amount` of working time after `start`."""
        remaining = amount
        for opens, closes in self._windows(start):
            begin = max(opens, start)
            if begin >= closes:
                continue
            available = elapsed(begin, closes)
            if remaining <= available:
                return (begin.astimezone(UTC) + remaining).astimezone(start.tzinfo)
            remaining -= available
        raise NoWorkingTime("The working calendar has no working hours.")  # pragma: no cover


# Business time is also kept as a running total since this moment, so that the report can
# count a stretch still running (on hold now) in the database: total(as of) - total(start).
BUSINESS_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def business_total(calendar: BusinessCalendar, moment: datetime) -> float | None:
    """Working seconds from BUSINESS_EPOCH to `moment`; None without working hours."""
    if not calendar.hours:
        return None
    return calendar.duration(BUSINESS_EPOCH, moment).total_seconds()


def paused(clock: Clock, start: datetime, end: datetime, pauses: Iterable[Interval]) -> timedelta:
    """Time on `clock` spent in the pauses, within start to end."""
    total = NOTHING
    for pause_start, pause_end in pauses:
        begin, finish = max(pause_start, start), min(pause_end, end)
        if finish > begin:
            total += clock.duration(begin, finish)
    return total


def counted(clock: Clock, start: datetime, end: datetime, pauses: Iterable[Interval]) -> timedelta:
    """Time on `clock` from start to end, less the pauses (time on hold)."""
    return max(NOTHING, clock.duration(start, end) - paused(clock, start, end, pauses))


def due_at(clock: Clock, start: datetime, target: timedelta, pauses: list[Interval]) -> datetime:
    """When `target` of counted time will have passed since `start`, the pauses excluded.
    Pauses must be sorted and not overlap; the last may not have ended (then the answer is
    only meaningful once it ends)."""
    so_far, cursor = NOTHING, start
    for pause_start, pause_end in pauses:
        if pause_end <= cursor:
            continue
        segment = clock.duration(cursor, pause_start) if pause_start > cursor else NOTHING
        if so_far + segment >= target:
            return clock.add(cursor, target - so_far)
        so_far += segment
        cursor = max(cursor, pause_end)
    return clock.add(cursor, target - so_far)
