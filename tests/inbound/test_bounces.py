"""A bounce of one of our mails marks its outbox row failed, for operators to see."""

import pytest
from django.urls import reverse

from tickets.inbound import receive
from tickets.models import InboundMessage, Notification, Ticket

pytestmark = pytest.mark.django_db
State = InboundMessage.State


def dsn(
    original_id: str,
    *,
    action: str = "failed",
    status: str = "5.1.1",
    returned: str = "message/rfc822",
    number: int = 1,
) -> bytes:
    """A delivery status notification as Postfix writes it, returning our mail (or only its
    headers) with `original_id` as its Message-ID."""
    headers = (
        f"From: Help desk <helpdesk@helpdesk.example>\r\nTo: gone@example.net\r\n"
        f"Subject: [HD-1] We received your request\r\nMessage-ID: {original_id}\r\n"
    )
    body = "\r\nWe have received your request.\r\n" if returned == "message/rfc822" else ""
    return (
        "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
        "To: helpdesk@helpdesk.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <bounce-{number}@mx.example.net>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your "
        "message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\nArrival-Date: Mon, 1 Dec 2031 10:00:00 +0000\r\n"
        "\r\nFinal-Recipient: rfc822; gone@example.net\r\nOriginal-Recipient: rfc822;gone@"
        f"example.net\r\nAction: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <gone@example.net>: Recipient address rejected: "
        "User unknown\r\n\r\n"
        f"--B\r\nContent-Type: {returned}\r\n\r\n{headers}{body}--B--\r\n"
    ).encode()


@pytest.fixture
def sent_row(make_ticket):
    ticket = make_ticket()
    row = Notification.objects.get(ticket=ticket, event=Notification.Event.RECEIVED)
    Notification.objects.filter(pk=row.pk).update(state=Notification.State.SENT)
    return row


@pytest.mark.parametrize("returned", ["message/rfc822", "text/rfc822-headers"])
def test_a_bounce_marks_the_mail_it_returns_failed_with_the_servers_words(sent_row, returned):
    record = receive(dsn(sent_row.message_id, returned=returned))

    assert record.state == State.IGNORED
    assert f"notification {sent_row.pk}" in record.reason
    sent_row.refresh_from_db()
    assert sent_row.state == Notification.State.FAILED
    assert sent_row.last_error.startswith("bounced: 5.1.1 550 5.1.1")
    assert "User unknown" in sent_row.last_error and "gone@example.net" in sent_row.last_error
    assert Ticket.objects.count() == 1


def test_a_delay_report_changes_nothing(sent_row):
    record = receive(dsn(sent_row.message_id, action="delayed", status="4.4.1"))

    assert record.state == State.IGNORED and "delayed" in record.reason
    sent_row.refresh_from_db()
    assert sent_row.state == Notification.State.SENT


def test_a_bounce_of_a_mail_that_is_not_ours_changes_nothing(sent_row):
    record = receive(dsn("<someone-else@example.net>"))

    assert record.state == State.IGNORED and "not ours" in record.reason
    assert not Notification.objects.filter(state=Notification.State.FAILED).exists()


def test_a_bounce_that_returns_nothing_readable_is_ignored(sent_row):
    raw = dsn(sent_row.message_id).replace(b"Message-ID: <notification", b"X-Gone: <x")

    record = receive(raw)

    assert record.state == State.IGNORED and "naming no message" in record.reason


def test_operators_see_the_bounce_in_the_admin(
    sent_row, client, manager, django_assert_max_num_queries
):
    receive(dsn(sent_row.message_id))
    client.force_login(manager)

    with django_assert_max_num_queries(14):
        response = client.get(reverse("admin:tickets_notification_changelist"), {"state": "failed"})

    assert response.status_code == 200
    assert "bounced: 5.1.1" in response.content.decode()
