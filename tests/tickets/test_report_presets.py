"""Range presets on the report: last 7 / 30 / 90 days, this month, last month, this quarter,
counted from today in Berlin, kept within the days a report accepts, and offered as links
that keep the other filters."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import QueryDict
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tickets.reports.filters import parse_day, report_range
from tickets.reports.presets import preset_links, report_presets

BERLIN = ZoneInfo("Europe/Berlin")
NAMES = ["last_7", "last_30", "last_90", "this_month", "last_month", "this_quarter"]


def ranges(now: datetime) -> dict[str, tuple[date, date]]:
    return {p.name: (p.start, p.end) for p in report_presets(now=now)}


def test_presets_at_the_end_of_a_month():
    got = ranges(datetime(2026, 11, 30, 12, tzinfo=BERLIN))
    assert list(got) == NAMES
    assert got["last_7"] == (date(2026, 11, 24), date(2026, 11, 30))
    assert got["last_30"] == (date(2026, 11, 1), date(2026, 11, 30))
    # 29 days back to 1 November, 31 more to 1 October, 29 more: 2 September.
    assert got["last_90"] == (date(2026, 9, 2), date(2026, 11, 30))
    assert got["this_month"] == (date(2026, 11, 1), date(2026, 11, 30))
    assert got["last_month"] == (date(2026, 10, 1), date(2026, 10, 31))
    assert got["this_quarter"] == (date(2026, 10, 1), date(2026, 11, 30))


def test_new_year_in_berlin_is_still_the_old_year_in_utc():
    got = ranges(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))  # 00:30 on 1 January in Berlin
    assert got["this_month"] == (date(2027, 1, 1), date(2027, 1, 1))
    assert got["this_quarter"] == (date(2027, 1, 1), date(2027, 1, 1))
    assert got["last_month"] == (date(2026, 12, 1), date(2026, 12, 31))
    assert got["last_7"] == (date(2026, 12, 26), date(2027, 1, 1))


def test_last_month_of_a_leap_february():
    got = ranges(datetime(2028, 2, 29, 23, 30, tzinfo=UTC))  # 1 March, 00:30 in Berlin
    assert got["last_month"] == (date(2028, 2, 1), date(2028, 2, 29))
    assert got["this_quarter"] == (date(2028, 1, 1), date(2028, 3, 1))
    # 1 March and the 29 days of a leap February.
    assert got["last_30"] == (date(2028, 2, 1), date(2028, 3, 1))


@pytest.mark.parametrize(
    ("utc", "quarter", "last_month"),
    [
        # Summer time: Berlin is two hours ahead of UTC, so 22:30 UTC is the next day.
        (datetime(2026, 3, 31, 22, 30, tzinfo=UTC), date(2026, 4, 1), date(2026, 3, 1)),
        (datetime(2026, 9, 30, 22, 30, tzinfo=UTC), date(2026, 10, 1), date(2026, 9, 1)),
        # The night the clocks go back (25 October 2026): still October the 25th.
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), date(2026, 10, 1), date(2026, 9, 1)),
        # The night they go forward (29 March 2026), 00:30 CET, not yet the quarter's end.
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), date(2026, 1, 1), date(2026, 2, 1)),
    ],
)
def test_quarters_and_months_turn_at_berlin_midnight_across_dst(utc, quarter, last_month):
    got = ranges(utc)
    assert got["this_quarter"][0] == quarter
    assert got["last_month"][0] == last_month


def test_presets_are_cut_to_the_first_day_a_report_accepts():
    got = ranges(datetime(2000, 1, 5, 12, tzinfo=BERLIN))
    assert "last_month" not in got  # December 1999: no day of it can be asked for
    assert got["last_90"] == (date(2000, 1, 1), date(2000, 1, 5))
    assert got["this_quarter"] == (date(2000, 1, 1), date(2000, 1, 5))


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2101, 1, 1), timezones=st.just(UTC)
    )
)
def test_every_preset_is_a_range_the_report_accepts(now):
    today = now.astimezone(BERLIN).date()
    presets = report_presets(now=now)
    assert [p.name for p in presets] == [n for n in NAMES if n in {p.name for p in presets}]
    for preset in presets:
        assert preset.start <= preset.end <= today
        assert parse_day(preset.start.isoformat()) == preset.start
        assert parse_day(preset.end.isoformat()) == preset.end
        assert report_range(start=preset.start, end=preset.end) == (preset.start, preset.end)
        assert preset.end - preset.start < timedelta(days=92)


def test_a_preset_link_keeps_the_other_filters_and_marks_the_range_shown():
    now = datetime(2026, 11, 30, 12, tzinfo=BERLIN)
    params = QueryDict("agent=7&priority=high&basis=reported&start=2026-11-01&end=2026-11-30")
    links = {
        link.preset.name: link
        for link in preset_links(
            params=params, shown=(date(2026, 11, 1), date(2026, 11, 30)), now=now
        )
    }
    query = QueryDict(links["last_month"].query)
    assert query.dict() == {
        "agent": "7",
        "priority": "high",
        "basis": "reported",
        "start": "2026-10-01",
        "end": "2026-10-31",
    }
    assert [name for name, link in links.items() if link.current] == ["last_30", "this_month"]


# --- on the page ------------------------------------------------------------------------------

LATE = datetime(2026, 11, 30, 12, tzinfo=BERLIN)


def input_value(page: str, name: str) -> str:
    tag = page.split(f'name="{name}"', 1)[1].split(">", 1)[0]
    return tag.split('value="', 1)[1].split('"', 1)[0] if 'value="' in tag else ""


@pytest.mark.django_db
def test_without_parameters_the_date_inputs_show_the_default_range(client, manager):
    client.force_login(manager)
    with time_machine.travel(LATE, tick=False):
        page = client.get(reverse("reports:report")).content.decode()
    assert (input_value(page, "start"), input_value(page, "end")) == ("2026-11-01", "2026-11-30")


@pytest.mark.django_db
def test_a_missing_end_shows_as_today_in_the_date_input(client, manager):
    client.force_login(manager)
    with time_machine.travel(LATE, tick=False):
        page = client.get(reverse("reports:report"), {"start": "2026-11-20"}).content.decode()
    assert (input_value(page, "start"), input_value(page, "end")) == ("2026-11-20", "2026-11-30")


@pytest.mark.django_db
def test_the_page_links_each_preset_keeping_its_filters(client, manager):
    client.force_login(manager)
    with time_machine.travel(LATE, tick=False):
        response = client.get(reverse("reports:report"), {"priority": "high", "basis": "reported"})
    page = response.content.decode()
    assert (
        'href="?priority=high&amp;basis=reported&amp;start=2026-10-01&amp;end=2026-10-31"' in page
    )
    assert 'data-preset="last_30" aria-current="true"' in page
    for label in ("Last 7 days", "Last 90 days", "This month", "Last month", "This quarter"):
        assert label in page


@pytest.mark.django_db
def test_bad_filters_still_offer_the_presets(client, manager):
    client.force_login(manager)
    with time_machine.travel(LATE, tick=False):
        response = client.get(
            reverse("reports:report"), {"start": "2026-12-01", "end": "2026-11-01"}
        )
    assert response.status_code == 400
    assert 'data-preset="last_7"' in response.content.decode()
