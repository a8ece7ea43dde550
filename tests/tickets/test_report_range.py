"""The default report range is written once (reports.ReportFilters.within): the last 30 days
in the help desk's time zone, today included."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tickets import reports

# Just after midnight in Berlin, still the previous day in UTC.
LATE = datetime(2031, 3, 1, 0, 30, tzinfo=ZoneInfo("Europe/Berlin"))


def test_without_dates_a_report_covers_the_last_30_days_of_berlin():
    with time_machine.travel(LATE, tick=False):
        filters = reports.ReportFilters.within()
    assert (filters.start, filters.end) == (date(2031, 1, 31), date(2031, 3, 1))
    assert reports.DEFAULT_DAYS == 30


def test_a_missing_end_is_today_and_a_missing_start_30_days_before_the_end():
    with time_machine.travel(LATE, tick=False):
        assert reports.ReportFilters.within(start=date(2031, 2, 20)).end == date(2031, 3, 1)
    assert reports.ReportFilters.within(end=date(2031, 1, 30)).start == date(2031, 1, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, (date(2031, 1, 31), date(2031, 3, 1))),
        ({"end": "2031-01-30"}, (date(2031, 1, 1), date(2031, 1, 30))),
        ({"start": "2031-02-20"}, (date(2031, 2, 20), date(2031, 3, 1))),
    ],
)
def test_the_report_page_fills_in_the_range_the_same_way(client, manager, query, expected):
    with time_machine.travel(LATE, tick=False):
        client.force_login(manager)
        filters = client.get(reverse("reports:report"), query).context["filters"]
    assert (filters.start, filters.end) == expected
