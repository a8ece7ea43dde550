"""Which tickets a report covers: a range of days in the help desk's time zone, and a slice
(one agent, one service, one priority). Without dates a report covers the last DEFAULT_DAYS
days, today included; this is the one place that says so, and the one place that says which
days and ranges a report accepts (the report page and the API both ask here)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_DAYS = 30
# The days a report may name, and how many it may cover: far enough for any real help desk,
# near enough that every day, and the day after the last, is a date Python and the database
# can work with ("9999-12-31" has no day after it).
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_RANGE_DAYS = 3653  # ten years
DAY_FORMAT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

RANGE_BACKWARDS = _("The range must start before it ends.")
NOT_A_DAY = _("Enter a day as YYYY-MM-DD, e.g. 2026-11-30.")
DAY_OUT_OF_RANGE = _("Enter a day in the years %(first)s to %(last)s.")
RANGE_TOO_LONG = _("A report covers at most %(days)s days.")


class ReportRangeError(ValueError):
    """A day or a range a report cannot use; `field` is the parameter at fault, for a range."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def today() -> date:
    return timezone.now().astimezone(ZoneInfo(settings.HELPDESK_TIME_ZONE)).date()


def first_of(*, days: int, ending: date) -> date:
    """The first of `days` days ending with `ending` (included)."""
    return ending - timedelta(days=days - 1)


def _years_pattern(first: int, last: int) -> str:
    parts, year = [], first
    while year <= last:
        if year % 10 == 0 and year + 9 <= last:
            parts.append(f"{year // 10}[0-9]")
            year += 10
        else:
            parts.append(str(year))
            year += 1
    return "|".join(parts)


# Months and their days, but for 29 February (whose year decides): no 31 November.
_MONTH_DAYS = (
    "(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
    "|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    "|02-(0[1-9]|1[0-9]|2[0-8])"
)
# The days parse_day takes, as a regular expression (the API schema's), leap days aside: every
# day it matches is a real one.
DAY_PATTERN = rf"^({_years_pattern(FIRST_YEAR, LAST_YEAR)})-({_MONTH_DAYS})$"
# The same, or blank (the default applies): what read_day() takes.
DAY_OR_BLANK_PATTERN = rf"^\s*({DAY_PATTERN[1:-1]})?\s*$"


def read_day(value: object) -> date | None:
    """A report's day parameter as the page, the CSVs and the API all read it: absent or
    blank is None (the default applies), else parse_day() of the text."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    return parse_day(text) if text else None


def parse_day(text: str) -> date:
    """A day written YYYY-MM-DD in the digits 0-9, from FIRST_YEAR to LAST_YEAR; anything else
    (another script's digits, "2031-02-30", "9999-12-31") is a ReportRangeError."""
    if not DAY_FORMAT.fullmatch(text):
        raise ReportRangeError(str(NOT_A_DAY))
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ReportRangeError(str(NOT_A_DAY)) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        message = DAY_OUT_OF_RANGE % {"first": FIRST_YEAR, "last": LAST_YEAR}
        raise ReportRangeError(message)
    return day


def report_range(*, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    """The range asked for, its missing ends filled in: the end is today, the start
    DEFAULT_DAYS days before the end (both days included). A ReportRangeError when it ends
    before it starts or covers more than MAX_RANGE_DAYS days."""
    end = end or today()
    start = start or first_of(days=DEFAULT_DAYS, ending=end)
    if start > end:
        raise ReportRangeError(str(RANGE_BACKWARDS), field="end")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ReportRangeError(RANGE_TOO_LONG % {"days": MAX_RANGE_DAYS}, field="start")
    return start, end


def zone() -> ZoneInfo:
    return ZoneInfo(settings.HELPDESK_TIME_ZONE)


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The moments a range of days covers: from the first day's midnight (included) to the
    midnight after the last (excluded), in the help desk's time zone."""
    return (
        datetime.combine(start, time.min, tzinfo=zone()),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone()),
    )


# Which tickets the resolution figures count: those resolved for good in the range (the
# default, as most help desks count), or those reported in the range that are resolved now.
RESOLVED_BASIS, REPORTED_BASIS = "resolved", "reported"
BASES = {
    RESOLVED_BASIS: _("Resolved in the range"),
    REPORTED_BASIS: _("Reported in the range"),
}


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date  # inclusive
    assignee_id: int | None = None
    category_id: int | None = None
    priority: str = ""
    basis: str = RESOLVED_BASIS

    @property
    def zone(self) -> ZoneInfo:
        return zone()

    @property
    def since(self) -> datetime:
        return day_bounds(self.start, self.end)[0]

    @property
    def until(self) -> datetime:
        return day_bounds(self.start, self.end)[1]

    @classmethod
    def within(
        cls, *, start: date | None = None, end: date | None = None, **slices
    ) -> ReportFilters:
        """The range asked for, filled in and checked by report_range()."""
        start, end = report_range(start=start, end=end)
        return cls(start=start, end=end, **slices)
