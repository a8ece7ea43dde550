"""Keyset paging of the queue: for every sort, with ties on every key, page after page
forwards and back shows each ticket exactly once, in the sort's order."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickets import queries
from tickets.models import NO_DUE_DATE, Ticket
from tickets.status import PRIORITY_RANK, Priority

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 11, 2, 9, tzinfo=UTC)
moments = st.integers(min_value=0, max_value=3).map(lambda h: BASE + timedelta(hours=h))
ticket_rows = st.lists(
    st.tuples(
        st.sampled_from(list(Priority)),
        moments,  # created: few distinct values, so ties are common
        moments,  # updated
        st.none() | moments,  # SLA due (none: no target running)
    ),
    min_size=0,
    max_size=14,
)

EXPECTED_ORDER = {
    "priority": lambda t: (PRIORITY_RANK[t.priority], t.created_at, t.pk),
    "oldest": lambda t: (t.created_at, t.pk),
    "newest": lambda t: (-t.created_at.timestamp(), -t.pk),
    "updated": lambda t: (-t.updated_at.timestamp(), -t.pk),
    "sla": lambda t: (t.sla_due_at or NO_DUE_DATE, t.pk),
}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=ticket_rows,
    sort=st.sampled_from(list(EXPECTED_ORDER)),
    size=st.integers(min_value=1, max_value=5),
)
def test_pages_cover_each_ticket_once_in_order_both_ways(customer, agent, rows, sort, size):
    Ticket.objects.all().delete()
    Ticket.objects.bulk_create(
        Ticket(
            customer=customer,
            subject="s",
            description="d",
            priority=priority,
            created_at=created,
            updated_at=updated,
            sla_due_at=due,
        )
        for priority, created, updated, due in rows
    )
    expected = [t.pk for t in sorted(Ticket.objects.all(), key=EXPECTED_ORDER[sort])]
    filters = queries.QueueFilters(view="open", sort=sort)

    pages, cursor = [], ""
    while True:
        page = queries.queue_page(agent, filters, cursor=cursor, size=size)
        pages.append([t.pk for t in page.tickets])
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert [pk for p in pages for pk in p] == expected
    assert all(len(p) == size for p in pages[:-1])

    # Back from the last page, one page at a time, to the first.
    back = page
    for expected_page in reversed(pages[:-1]):
        back = queries.queue_page(agent, filters, cursor=back.previous_cursor, size=size)
        assert [t.pk for t in back.tickets] == expected_page
    assert back.previous_cursor is None
