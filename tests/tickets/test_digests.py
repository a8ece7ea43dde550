"""Report digests: the periods in the help desk's zone (across the clock changes), once per
period however often beat runs, the message built when it is sent, and the pages."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import Role
from accounts.services import user_create
from tests.concurrency import race
from tests.conftest import travelled
from tickets import delivery
from tickets.models import DigestDelivery, DigestSubscription, Notification, Ticket
from tickets.reports import digests
from tickets.status import Status

BERLIN = ZoneInfo("Europe/Berlin")
DAILY, WEEKLY = "daily", "weekly"


def berlin(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def at(make_ticket):
    def make(moment: datetime, status: Status = Status.OPEN, **fields) -> Ticket:
        with time_machine.travel(moment, tick=False):
            return make_ticket(status, **fields)

    return make


@pytest.fixture
def subscribe(manager):
    def make(frequency: str, when: datetime, **filters) -> DigestSubscription:
        with time_machine.travel(when, tick=False):
            return digests.digest_subscribe(manager=manager, frequency=frequency, filters=filters)

    return make


def run_beat(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return digests.send_due()


def sent_periods() -> list[tuple[str, str, str]]:
    return [
        (n.detail["frequency"], n.detail["start"], n.detail["end"])
        for n in Notification.objects.filter(event="report_digest").order_by("id")
    ]


# --- Periods ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "daily", "weekly"),
    [
        # Just after midnight in Berlin, still the day before in UTC.
        (berlin(11, 3, 0, 30), date(2026, 11, 2), (date(2026, 10, 26), date(2026, 11, 1))),
        (berlin(11, 2, 23, 59), date(2026, 11, 1), (date(2026, 10, 26), date(2026, 11, 1))),
        (berlin(11, 9, 0, 0), date(2026, 11, 8), (date(2026, 11, 2), date(2026, 11, 8))),
        # New Year's Eve and the first minute of the year.
        (berlin(12, 31, 23, 59), date(2026, 12, 30), (date(2026, 12, 21), date(2026, 12, 27))),
        (
            berlin(1, 1, 0, 1, year=2027),
            date(2026, 12, 31),
            (date(2026, 12, 21), date(2026, 12, 27)),
        ),
    ],
)
def test_the_period_is_the_last_day_or_week_that_ended_in_berlin(moment, daily, weekly):
    assert digests.latest_period(DAILY, now=moment) == digests.Period(DAILY, daily, daily)
    assert digests.latest_period(WEEKLY, now=moment) == digests.Period(WEEKLY, *weekly)


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 3), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
    ),
    frequency=st.sampled_from([DAILY, WEEKLY]),
)
def test_the_period_has_ended_and_is_the_latest_to_have_ended(moment, frequency):
    period = digests.latest_period(frequency, now=moment)
    length = 1 if frequency == DAILY else 7
    assert (period.end - period.start).days == length - 1
    assert frequency == DAILY or period.start.weekday() == 0
    assert period.until <= moment  # it has ended …
    following = digests.Period(
        frequency, period.start + timedelta(days=length), period.end + timedelta(days=length)
    )
    assert following.until > moment  # … and the next one has not


def test_a_day_the_clocks_go_back_has_25_hours_of_tickets(at, subscribe, manager):
    subscribe(DAILY, berlin(10, 20))
    at(berlin(10, 24, 23, 30))  # Saturday evening: not that day
    at(berlin(10, 25, 0, 10))  # Sunday 25 October 2026, the day of 25 hours
    at(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))  # 02:30 summer time
    at(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))  # 02:30 winter time
    at(berlin(10, 25, 23, 50))
    at(berlin(10, 26, 0, 0))  # Monday: the next day
    assert run_beat(berlin(10, 26, 0, 5)) == 1
    notification = Notification.objects.get(event="report_digest")
    assert notification.detail["start"] == notification.detail["end"] == "2026-10-25"
    delivery.deliver(notification_id=notification.pk)
    (message,) = mail.outbox
    assert "Tickets reported: 4;" in message.body


def test_a_day_the_clocks_go_forward_has_23_hours_of_tickets(at, subscribe):
    subscribe(DAILY, berlin(3, 20))
    at(datetime(2026, 3, 28, 23, 0, tzinfo=UTC))  # 29 March 00:00 in Berlin (winter time)
    at(datetime(2026, 3, 29, 21, 59, tzinfo=UTC))  # 23:59 summer time, the last minute
    at(datetime(2026, 3, 29, 22, 0, tzinfo=UTC))  # 30 March 00:00 in Berlin
    run_beat(berlin(3, 30, 6))
    notification = Notification.objects.get(event="report_digest")
    delivery.deliver(notification_id=notification.pk)
    assert "Tickets reported: 2;" in mail.outbox[0].body


# --- Once per period --------------------------------------------------------------------------


def test_beat_running_twice_sends_each_period_once(subscribe):
    subscribe(DAILY, berlin(11, 2, 15))
    subscribe(WEEKLY, berlin(11, 2, 15))
    assert run_beat(berlin(11, 2, 23, 50)) == 0  # nothing has ended since they subscribed
    assert run_beat(berlin(11, 3, 0, 5)) == 1  # Monday the 2nd, daily
    assert run_beat(berlin(11, 3, 0, 5)) == 0
    assert run_beat(berlin(11, 3, 9, 0)) == 0
    assert run_beat(berlin(11, 4, 0, 5)) == 1
    assert run_beat(berlin(11, 9, 0, 5)) == 2  # Sunday the 8th, and the week
    assert run_beat(berlin(11, 9, 0, 15)) == 0
    assert sent_periods() == [
        (DAILY, "2026-11-02", "2026-11-02"),
        (DAILY, "2026-11-03", "2026-11-03"),
        (DAILY, "2026-11-08", "2026-11-08"),
        (WEEKLY, "2026-11-02", "2026-11-08"),
    ]
    assert DigestDelivery.objects.count() == 4


def test_a_run_that_read_the_subscription_before_another_sent_it_writes_nothing(subscribe):
    subscription = subscribe(DAILY, berlin(11, 2, 15))
    stale = DigestSubscription.objects.get(pk=subscription.pk)  # read before the first run
    period = digests.latest_period(DAILY, now=berlin(11, 3, 1))
    with time_machine.travel(berlin(11, 3, 1), tick=False):
        assert digests.send(subscription=subscription, period=period) is True
        assert digests.send(subscription=stale, period=period) is False
    # The unique row and the outbox row are one transaction: no message without its row.
    assert Notification.objects.filter(event="report_digest").count() == 1
    assert DigestDelivery.objects.get().notification.event == "report_digest"
    with pytest.raises(IntegrityError):
        DigestDelivery.objects.create(
            subscription=subscription, period_start=period.start, period_end=period.end
        )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_beats_at_the_same_moment_send_once(round_, postgres, manager):
    with time_machine.travel(berlin(11, 2, 15), tick=False):
        digests.digest_subscribe(manager=manager, frequency=DAILY, filters={})
    moment = berlin(11, 3, 0, 5)

    def beat():
        with time_machine.travel(moment, tick=False):
            return digests.send_due()

    assert sorted(race(beat, beat)) == [0, 1]
    assert Notification.objects.filter(event="report_digest").count() == 1
    assert DigestDelivery.objects.count() == 1


def test_a_late_beat_sends_only_the_latest_period(subscribe):
    subscribe(DAILY, berlin(11, 2, 15))
    assert run_beat(berlin(11, 6, 10)) == 1  # beat was down from the 2nd to the 6th
    assert sent_periods() == [(DAILY, "2026-11-05", "2026-11-05")]


def test_paused_digests_wait_and_do_not_catch_up(subscribe, manager):
    subscription = subscribe(DAILY, berlin(11, 2, 15))
    with time_machine.travel(berlin(11, 2, 16), tick=False):
        digests.digest_set_active(subscription_id=subscription.pk, manager=manager, active=False)
    assert run_beat(berlin(11, 3, 1)) == 0
    with time_machine.travel(berlin(11, 5, 12), tick=False):
        digests.digest_set_active(subscription_id=subscription.pk, manager=manager, active=True)
    assert run_beat(berlin(11, 5, 13)) == 0  # the 4th ended while it was paused
    assert run_beat(berlin(11, 6, 0, 5)) == 1
    assert sent_periods() == [(DAILY, "2026-11-05", "2026-11-05")]


def test_a_manager_who_left_gets_nothing(subscribe, manager):
    subscribe(DAILY, berlin(11, 2, 15))
    manager.is_active = False
    manager.save()
    assert run_beat(berlin(11, 3, 1)) == 0
    manager.is_active, manager.role = True, Role.AGENT
    manager.save()
    assert run_beat(berlin(11, 3, 1)) == 0


# --- The message ------------------------------------------------------------------------------


def test_the_digest_has_the_numbers_the_breached_tickets_and_the_csvs(
    at, subscribe, manager, settings
):
    settings.SITE_URL = "https://help.example.com"
    subscribe(WEEKLY, berlin(10, 28), priority="high")
    late = at(berlin(11, 2, 9), Status.RESOLVED, priority="high", subject="=HYPERLINK(evil)")
    at(berlin(11, 4, 9), Status.IN_PROGRESS, priority="high")
    at(berlin(11, 4, 9), Status.OPEN, priority="low")  # another slice
    at(berlin(11, 9, 0, 1), Status.OPEN, priority="high")  # the next week
    # Its resolution target was missed.
    late.metrics.resolution_met = False
    late.metrics.save()
    run_beat(berlin(11, 9, 1))
    notification = Notification.objects.get(event="report_digest")
    # The row holds the period and the slice, nothing built.
    assert notification.detail == {
        "subscription": DigestSubscription.objects.get().pk,
        "frequency": WEEKLY,
        "start": "2026-11-02",
        "end": "2026-11-08",
        "filters": {"assignee_id": None, "category_id": None, "priority": "high"},
    }
    assert notification.ticket is None
    assert delivery.deliver(notification_id=notification.pk) is True
    (message,) = mail.outbox
    assert message.to == [manager.email]
    assert message.subject == "Help desk report for 2026-11-02 to 2026-11-08 (High)"
    assert "Tickets reported: 2; of these resolved: 1" in message.body
    assert "1 ticket missed a service-level target:" in message.body
    assert f"{late.reference} =HYPERLINK(evil) (resolution)" in message.body
    assert f"https://help.example.com/agent/tickets/{late.pk}/" in message.body
    html = message.alternatives[0][0]
    assert f'href="https://help.example.com/agent/tickets/{late.pk}/"' in html
    names = [name for name, _content, _type in message.attachments]
    assert names == [
        "helpdesk-summary-2026-11-02-2026-11-08.csv",
        "helpdesk-tickets-2026-11-02-2026-11-08.csv",
    ]
    summary = list(csv.reader(io.StringIO(message.attachments[0][1])))
    assert ["tickets", "2", "", "", "", ""] in summary
    tickets = list(csv.reader(io.StringIO(message.attachments[1][1])))
    assert tickets[0][0] == "reference"
    assert [row[0] for row in tickets[1:]] == [late.reference, f"HD-{late.pk + 1}"]
    assert tickets[1][1] == "'=HYPERLINK(evil)"  # defused for spreadsheets


def test_a_big_period_links_to_the_tickets_instead_of_attaching_them(at, subscribe, monkeypatch):
    from tickets.reports import digest_mail

    monkeypatch.setattr(digest_mail, "ATTACH_TICKETS_UP_TO", 1)
    subscribe(DAILY, berlin(11, 1))
    at(berlin(11, 2, 9))
    at(berlin(11, 2, 10))
    run_beat(berlin(11, 3, 1))
    delivery.deliver(notification_id=Notification.objects.get(event="report_digest").pk)
    (message,) = mail.outbox
    assert len(message.attachments) == 1
    assert "/reports/tickets.csv?start=2026-11-02&end=2026-11-02" in message.body


def test_a_digest_reaches_a_manager_who_turned_off_other_mail(subscribe, manager):
    manager.notify_by_email = False
    manager.save()
    subscribe(DAILY, berlin(11, 1))
    assert run_beat(berlin(11, 3, 1)) == 1


# --- Pages ------------------------------------------------------------------------------------


@pytest.fixture
def mia(manager):
    client = Client()
    client.force_login(manager)
    return client


def test_a_manager_subscribes_from_the_report_pages_slice(mia, manager, agent, category):
    page = mia.get(reverse("reports:digests"), {"agent": agent.pk, "priority": "high"})
    assert f'<option value="{agent.pk}" selected>' in page.content.decode()
    data = {"frequency": WEEKLY, "agent": agent.pk, "category": category.pk, "priority": "high"}
    response = mia.post(reverse("reports:digests"), data)
    assert response.status_code == 302
    subscription = DigestSubscription.objects.get()
    assert (subscription.manager, subscription.frequency, subscription.filters) == (
        manager,
        WEEKLY,
        {"assignee_id": agent.pk, "category_id": category.pk, "priority": "high"},
    )
    listed = mia.get(reverse("reports:digests")).content.decode()
    assert "Alex Agent · VPN · High" in listed
    again = mia.post(reverse("reports:digests"), data)
    assert again.status_code == 400
    assert "You already receive this digest." in again.content.decode()
    assert mia.post(reverse("reports:digests"), {"frequency": "hourly"}).status_code == 400
    assert DigestSubscription.objects.count() == 1


def test_pause_resume_and_cancel_are_the_owners_alone(mia, manager, subscribe):
    subscription = subscribe(DAILY, berlin(11, 1))
    other = user_create(
        email="max@example.com", display_name="Max Manager", role=Role.MANAGER, password=None
    )
    max_ = Client()
    max_.force_login(other)
    pause = reverse("reports:digest_active", args=[subscription.pk])
    cancel = reverse("reports:digest_delete", args=[subscription.pk])
    assert max_.post(pause, {"active": "0"}).status_code == 404
    assert max_.post(cancel).status_code == 404
    assert mia.get(pause).status_code == 405
    assert mia.post(pause, {"active": "0"}).status_code == 302
    assert DigestSubscription.objects.get().active is False
    assert mia.post(pause, {"active": "1"}).status_code == 302
    assert DigestSubscription.objects.get().active is True
    assert mia.post(cancel).status_code == 302
    assert not DigestSubscription.objects.exists()


@pytest.mark.parametrize("count", [1, 6])
def test_the_digests_page_takes_the_same_queries_however_many(
    count, mia, manager, agent, category, django_assert_num_queries
):
    for i in range(count):
        DigestSubscription.objects.create(
            manager=manager,
            frequency=[DAILY, WEEKLY][i % 2],
            filters={"assignee_id": agent.pk, "category_id": category.pk, "priority": ""},
        )
    # session, user; the subscriptions; their agents' and services' names; the form's agents
    # and services
    with travelled(berlin(11, 18, 12), mia), django_assert_num_queries(7):
        mia.get(reverse("reports:digests"))
