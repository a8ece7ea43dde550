"""Clocks for service levels: wall-clock time, or business time by a working calendar.

Pure functions over aware datetimes; nothing here touches the database except
`BusinessCalendar.load()`. Business time counts only the working hours of working days that
are not holidays, in the help desk's own time zone (settings.HELPDESK_TIME_ZONE).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from django.conf import settings

Interval = tuple[datetime, datetime]
MAX_DAYS = 3660  # a calendar with no working time at all must not loop for ever


class NoWorkingTime(ValueError):
    pass


class Clock(Protocol):
    def seconds(self, start: datetime, end: datetime) -> float: ...

    def add(self, start: datetime, seconds: float) -> datetime: ...


class WallClock:
    """Calendar hours: every second counts."""

    def seconds(self, start: datetime, end: datetime) -> float:
        return max(0.0, (end - start).total_seconds())

    def add(self, start: datetime, seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)


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

    def _weekday_seconds(self, weekday: int) -> float:
        """Working seconds of an ordinary (not holiday) day of this weekday."""
        if weekday not in self.hours:
            return 0.0
        opens, closes = self.hours[weekday]
        return (datetime.combine(date.min, closes) - datetime.combine(date.min, opens)).seconds

    def _overlap(self, day: date, start: datetime, end: datetime) -> float:
        """Working seconds of `day` that fall between start and end."""
        if day.weekday() not in self.hours or day in self.holidays:
            return 0.0
        opens, closes = self.hours[day.weekday()]
        begin = max(datetime.combine(day, opens, tzinfo=self.zone), start)
        finish = min(datetime.combine(day, closes, tzinfo=self.zone), end)
        return max(0.0, (finish - begin).total_seconds())

    def seconds(self, start: datetime, end: datetime) -> float:
        """Working seconds between two moments: the first and last day in part, the days
        between by whole weeks, since a ticket can stay open for months."""
        if end <= start or not self.hours:
            return 0.0
        first, last = start.astimezone(self.zone).date(), end.astimezone(self.zone).date()
        if first == last:
            return self._overlap(first, start, end)
        total = self._overlap(first, start, end) + self._overlap(last, start, end)
        weeks, rest = divmod((last - first).days - 1, 7)
        total += weeks * sum(self._weekday_seconds(weekday) for weekday in range(7))
        for offset in range(rest):
            total += self._weekday_seconds((first + timedelta(days=1 + offset)).weekday())
        for holiday in self.holidays:
            if first < holiday < last:
                total -= self._weekday_seconds(holiday.weekday())
        return total

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment `seconds` of working time after `start`."""
        remaining = seconds
        for opens, closes in self._windows(start):
            begin = max(opens, start)
            if begin >= closes:
                continue
            available = (closes - begin).total_seconds()
            if remaining <= available:
                return begin + timedelta(seconds=remaining)
            remaining -= available
        raise NoWorkingTime("The working calendar has no working hours.")  # pragma: no cover


def paused_seconds(
    clock: Clock, start: datetime, end: datetime, pauses: Iterable[Interval]
) -> float:
    """Time on `clock` spent in the pauses, within start to end."""
    total = 0.0
    for pause_start, pause_end in pauses:
        begin, finish = max(pause_start, start), min(pause_end, end)
        if finish > begin:
            total += clock.seconds(begin, finish)
    return total


def counted_seconds(
    clock: Clock, start: datetime, end: datetime, pauses: Iterable[Interval]
) -> float:
    """Time on `clock` from start to end, less the pauses (time on hold)."""
    return max(0.0, clock.seconds(start, end) - paused_seconds(clock, start, end, pauses))


def due_at(
    clock: Clock, start: datetime, target_seconds: float, pauses: list[Interval]
) -> datetime:
    """When `target_seconds` of counted time will have passed since `start`, the pauses
    excluded. Pauses must be sorted and not overlap; the last may not have ended (then the
    answer is only meaningful once it ends)."""
    counted, cursor = 0.0, start
    for pause_start, pause_end in pauses:
        if pause_end <= cursor:
            continue
        segment = clock.seconds(cursor, pause_start) if pause_start > cursor else 0.0
        if counted + segment >= target_seconds:
            return clock.add(cursor, target_seconds - counted)
        counted += segment
        cursor = max(cursor, pause_end)
    return clock.add(cursor, target_seconds - counted)
