"""Which tickets a report covers: a range of days in the help desk's time zone, and a slice
(one agent, one service, one priority). Without dates a report covers the last DEFAULT_DAYS
days, today included; this is the one place that says so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_DAYS = 30
RANGE_BACKWARDS = _("The range must start before it ends.")


def today() -> date:
    return timezone.now().astimezone(ZoneInfo(settings.HELPDESK_TIME_ZONE)).date()


def first_of(*, days: int, ending: date) -> date:
    """The first of `days` days ending with `ending` (included)."""
    return ending - timedelta(days=days - 1)


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date  # inclusive
    assignee_id: int | None = None
    category_id: int | None = None
    priority: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(settings.HELPDESK_TIME_ZONE)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=self.zone)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.zone)

    @classmethod
    def within(
        cls, *, start: date | None = None, end: date | None = None, **slices
    ) -> ReportFilters:
        """The range asked for, its missing ends filled in: the end is today, the start
        DEFAULT_DAYS days before the end (both days included)."""
        end = end or today()
        return cls(start=start or first_of(days=DEFAULT_DAYS, ending=end), end=end, **slices)

    @classmethod
    def last_days(cls, days: int = DEFAULT_DAYS, **slices) -> ReportFilters:
        end = today()
        return cls(start=first_of(days=days, ending=end), end=end, **slices)
