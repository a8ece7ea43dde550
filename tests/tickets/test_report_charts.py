"""The report's charts: each names its axes and its categories, draws in the site's palette
in both themes, and costs the same queries however many tickets it counts."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import travelled
from tests.report_queries import report_queries
from tickets.reports import charts

from .conftest import QUERY, at


def svg(client, name: str) -> str:
    response = client.get(reverse("reports:chart", args=[name]), QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    return response.content.decode()


def texts(document: str) -> list[str]:
    return [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", document) if t.strip()]


def test_the_weekly_chart_names_its_axes_and_weeks(mia, november):
    with travelled(at(30, 12), mia):
        labels = texts(svg(mia, "weekly"))
    assert "Week starting" in labels and "Tickets" in labels
    # Every Monday of the range, the first week starting on Monday 26 October.
    for monday in ("26 Oct", "2 Nov", "9 Nov", "16 Nov", "23 Nov", "30 Nov"):
        assert monday in labels
    # Whole tickets on the count axis: 0 to 3 in steps of 1 (the busiest week had 3).
    assert {"0", "1", "2", "3"} <= set(labels) and "0.5" not in labels
    assert "Reported" in labels and "Resolved" in labels


def test_the_backlog_chart_names_its_axes_and_age_buckets(mia, november):
    with travelled(at(30, 12), mia):
        labels = texts(svg(mia, "backlog"))
    assert "Age since reported" in labels and "Tickets not yet resolved" in labels
    for bucket in ("under a day", "1 to 3 days", "3 to 7 days", "1 to 4 weeks", "over 4 weeks"):
        assert bucket in labels


def test_the_charts_follow_the_dark_theme_of_the_site(mia, november):
    with travelled(at(30, 12), mia):
        document = svg(mia, "weekly")
    dark = document.split("@media (prefers-color-scheme:dark)", 1)[1]
    site = (settings.BASE_DIR / "static" / "css" / "helpdesk.css").read_text()
    site_dark = site.split("@media (prefers-color-scheme: dark)", 1)[1].split("}", 2)[0]
    # The dark chart's text, guides and bars are the site's dark --text, --muted, --accent ...
    for colour in set(re.findall(r"#[0-9a-f]{6}", dark)):
        assert colour in site_dark, colour
    assert "#e7ebf2" in dark and "#6ea8ff" in dark
    # ... and no script: an image runs none, and the CSP allows none.
    assert "<script" not in document


@pytest.mark.parametrize(
    ("counts", "labels"),
    [
        ([], [0, 1]),
        ([0, 0], [0, 1]),
        ([3], [0, 1, 2, 3]),
        ([7], [0, 2, 4, 6, 8]),
        ([12], [0, 2, 4, 6, 8, 10, 12]),
        ([57], [0, 10, 20, 30, 40, 50, 60]),
        ([1234], [0, 500, 1000, 1500]),
    ],
)
def test_count_axes_are_marked_in_whole_numbers(counts, labels):
    assert charts._integer_labels(counts) == labels


@pytest.mark.parametrize("count", [1, 12])
@pytest.mark.parametrize("name", ["weekly", "backlog"])
def test_a_chart_takes_the_same_queries_however_many_tickets(
    count, name, mia, life, django_assert_num_queries
):
    for i in range(count):
        life((at(2 + i % 20, 9), "report"), (at(2 + i % 20, 10), "take"))
    # session, user; backlog: by status, by age. weekly: a snapshot? (none), then the
    # report's numbers (as the summary CSV counts them).
    expected = {"backlog": 4, "weekly": 2 + report_queries()}[name]
    with travelled(at(30, 12), mia), django_assert_num_queries(expected):
        svg(mia, name)
