"""Operators see what did not go out and act on it in the admin."""

from datetime import timedelta
from smtplib import SMTPAuthenticationError, SMTPDataError, SMTPRecipientsRefused
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tickets import delivery, services
from tickets.models import Notification

CHANGELIST = reverse("admin:tickets_notification_changelist")
SEND = "django.core.mail.backends.locmem.EmailBackend.send_messages"


@pytest.fixture
def mia(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def outbox(customer, neighbour, category, django_capture_on_commit_callbacks):
    """outbox(n) → n "received" rows: one refused for good, one waiting for a retry, the
    rest never handed over."""

    def make(count: int) -> list[Notification]:
        with django_capture_on_commit_callbacks(execute=False):
            for number in range(count):
                services.ticket_create(
                    customer=customer if number % 2 else neighbour,
                    created_by=customer if number % 2 else neighbour,
                    subject=f"Printer {number}",
                    description="Jams",
                    category=category,
                )
        rows = list(Notification.objects.order_by("pk"))
        refused = SMTPRecipientsRefused({"x": (550, b"5.1.1 unknown user")})
        with mock.patch(SEND, side_effect=refused):
            delivery.deliver(notification_id=rows[0].pk)
        with mock.patch(SEND, side_effect=SMTPDataError(451, b"4.3.0 later")):
            delivery.deliver(notification_id=rows[1].pk)
        return rows

    return make


def test_the_list_counts_the_backlog_by_kind_and_shows_each_rows_error(mia, outbox):
    rows = outbox(4)
    response = mia.get(CHANGELIST)
    page = response.content.decode()
    assert response.status_code == 200
    start = page.index('id="delivery-counts"')
    counts = page[start : page.index("</table>", start)]
    # kind, pending, retrying, failed
    assert '<th scope="row">Ticket received</th><td>2</td><td>1</td><td>1</td>' in counts
    assert "The oldest undelivered notification was written" in page
    assert "550 5.1.1 unknown user" in page and "451 4.3.0 later" in page
    assert "delivery-paused" not in page
    assert len(rows) == 4


def test_the_list_shows_a_delivery_pause(mia, outbox):
    rows = outbox(2)
    with mock.patch(SEND, side_effect=SMTPAuthenticationError(535, b"5.7.8 bad credentials")):
        delivery.deliver(notification_id=rows[1].pk)  # its retry time not come: nothing
        Notification.objects.filter(pk=rows[1].pk).update(next_attempt_at=timezone.now())
        delivery.deliver(notification_id=rows[1].pk)
    page = mia.get(CHANGELIST).content.decode()
    assert 'id="delivery-paused"' in page and "535 5.7.8 bad credentials" in page


def test_the_filters_list_failed_and_retrying_rows(mia, outbox):
    rows = outbox(3)
    failed = mia.get(CHANGELIST, {"delivery": "failed"}).context["cl"].result_list
    retrying = mia.get(CHANGELIST, {"delivery": "retrying"}).context["cl"].result_list
    undelivered = mia.get(CHANGELIST, {"delivery": "undelivered"}).context["cl"].result_list
    assert [row.pk for row in failed] == [rows[0].pk]
    assert [row.pk for row in retrying] == [rows[1].pk]
    assert sorted(row.pk for row in undelivered) == [rows[1].pk, rows[2].pk]


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_takes_the_same_queries_however_many_rows(
    mia, outbox, count, django_assert_num_queries
):
    outbox(count)
    # session, user; the header: the oldest undelivered row, the delivery pause, the counts
    # by kind; the list: its count, the page of rows (with ticket and recipient)
    with django_assert_num_queries(7):
        assert mia.get(CHANGELIST).status_code == 200


def test_retry_now_hands_failed_rows_over_again_with_a_fresh_budget(
    mia, outbox, django_capture_on_commit_callbacks
):
    rows = outbox(2)
    with django_capture_on_commit_callbacks(execute=True):
        response = mia.post(
            CHANGELIST,
            {"action": "retry_now", "_selected_action": [rows[0].pk, rows[1].pk]},
            follow=True,
        )
    assert "2 notification(s) handed over again." in response.content.decode()
    assert set(
        Notification.objects.filter(pk__in=[rows[0].pk, rows[1].pk]).values_list(
            "state", "attempts"
        )
    ) == {("sent", 1)}
    assert len(mail.outbox) == 2


def test_give_up_marks_waiting_rows_failed_saying_who(mia, outbox, manager):
    rows = outbox(3)
    response = mia.post(
        CHANGELIST,
        {"action": "give_up", "_selected_action": [row.pk for row in rows]},
        follow=True,
    )
    assert "2 notification(s) given up." in response.content.decode()  # one had failed already
    states = dict(Notification.objects.values_list("pk", "last_error"))
    assert states[rows[2].pk] == f"given up by {manager.email}"
    assert states[rows[0].pk] == "550 5.1.1 unknown user"
    assert not Notification.objects.exclude(state="failed").exists()


def test_a_rows_page_shows_every_attempt_with_the_servers_answer(mia, outbox):
    rows = outbox(2)
    Notification.objects.filter(pk=rows[1].pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    with mock.patch(SEND, side_effect=SMTPDataError(452, b"4.2.2 mailbox full")):
        delivery.deliver(notification_id=rows[1].pk)
    page = mia.get(reverse("admin:tickets_notification_change", args=[rows[1].pk]))
    text = page.content.decode()
    assert "451 4.3.0 later" in text and "452 4.2.2 mailbox full" in text
    assert rows[1].message_id.strip("<>") in text


def test_agents_cannot_act_on_notifications(client, agent, outbox):
    rows = outbox(2)
    client.force_login(agent)
    response = client.post(CHANGELIST, {"action": "retry_now", "_selected_action": [rows[0].pk]})
    assert response.status_code == 302 and "login" in response.url
    assert Notification.objects.get(pk=rows[0].pk).state == "failed"
