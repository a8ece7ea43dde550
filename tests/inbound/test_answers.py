"""The automatic answers to e-mail: what they say, and that they never loop."""

from datetime import timedelta
from email.utils import make_msgid

import pytest
import time_machine
from django.core import mail as sent
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from tests.concurrency import race
from tickets import delivery, services
from tickets.inbound import receive
from tickets.models import InboundMessage, Notification, Ticket

from .conftest import PNG, mail

pytestmark = pytest.mark.django_db
State = InboundMessage.State
Event = Notification.Event


def answers_to(address: str) -> list[Notification]:
    answered = Q(detail__has_key=Notification.ANSWERS, recipient__email=address)
    return list(Notification.objects.filter(answered | Q(address=address)))


def html_of(message) -> str:
    [(html, _kind)] = message.alternatives
    return html


def test_a_stranger_refused_by_policy_gets_one_polite_answer_and_nothing_else(settings):
    settings.INBOUND_UNKNOWN_SENDERS = "reject"
    raw = mail(sender="Sam Stranger <Sam@Example.org>", message_id="<asks-1@example.org>")

    record = receive(raw)

    assert record.state == State.REJECTED
    assert "told" in record.reason
    assert not User.objects.filter(email="sam@example.org").exists()
    assert Ticket.objects.count() == 0
    [row] = Notification.objects.all()
    assert (row.event, row.address, row.recipient, row.ticket) == (
        Event.MAIL_REFUSED,
        "sam@example.org",
        None,
        None,
    )
    message = delivery.compose(row)
    assert message.to == ["sam@example.org"]
    assert message.subject == "Re: VPN drops every hour"
    assert message.extra_headers["Auto-Submitted"] == "auto-replied"
    assert message.extra_headers["In-Reply-To"] == "<asks-1@example.org>"
    assert "not recorded" in message.body and "/accounts/signup/" in message.body


def test_the_refusal_goes_out_through_the_outbox(settings, django_capture_on_commit_callbacks):
    settings.INBOUND_UNKNOWN_SENDERS = "reject"

    with django_capture_on_commit_callbacks(execute=True):
        receive(mail(sender="sam@example.org"))

    [message] = sent.outbox
    assert message.to == ["sam@example.org"]
    assert Notification.objects.get().state == Notification.State.SENT


def test_a_stranger_writing_again_and_again_is_answered_at_most_the_cap(settings):
    settings.INBOUND_UNKNOWN_SENDERS = "reject"
    settings.INBOUND_AUTO_ANSWERS_PER_HOUR = 3

    records = [receive(mail(sender="sam@example.org", subject=f"Try {n}")) for n in range(5)]

    assert [r.state for r in records] == [State.REJECTED] * 5
    assert Notification.objects.filter(event=Event.MAIL_REFUSED).count() == 3
    assert "too many automatic answers" in records[-1].reason


@pytest.mark.django_db(transaction=True)
def test_two_fetchers_at_once_never_answer_past_the_cap(settings, postgres):
    """One answer left under the cap, two messages from that address processed at the same
    moment on two connections: one is answered, the other is not."""
    settings.INBOUND_UNKNOWN_SENDERS = "reject"
    settings.INBOUND_AUTO_ANSWERS_PER_HOUR = 2
    receive(mail(sender="sam@example.org", subject="First"))

    records = race(
        lambda: receive(mail(sender="sam@example.org", subject="Second")),
        lambda: receive(mail(sender="sam@example.org", subject="Third")),
    )

    assert all(isinstance(r, InboundMessage) for r in records), records
    assert Notification.objects.filter(event=Event.MAIL_REFUSED).count() == 2
    assert sum("too many automatic answers" in r.reason for r in records) == 1


def test_the_acknowledgement_tells_a_new_account_how_to_choose_a_password():
    record = receive(mail(sender="Dana Doe <dana@example.com>"))

    row = Notification.objects.get(ticket=record.ticket, event=Event.RECEIVED)
    message = delivery.compose(row)
    link = "http://127.0.0.1:8000/accounts/password_reset/"
    assert message.to == ["dana@example.com"]
    assert "made you an account" in message.body and link in message.body
    assert link in html_of(message)


def test_a_known_customer_is_not_told_about_passwords(customer):
    record = receive(mail())

    message = delivery.compose(Notification.objects.get(ticket=record.ticket))
    assert "password" not in message.body


def test_the_acknowledgement_lists_the_attachments_not_taken(customer):
    record = receive(
        mail(
            files=[
                ("screen.png", "image/png", PNG),
                ("tool.exe", "application/octet-stream", b"MZ\x90\x00"),
            ]
        )
    )

    message = delivery.compose(Notification.objects.get(ticket=record.ticket))
    assert "Attachments not taken" in message.body
    assert "tool.exe" in message.body and "tool.exe" in html_of(message)
    assert "screen.png" not in message.body


def test_beyond_the_cap_tickets_are_made_but_not_acknowledged(settings, customer):
    settings.INBOUND_AUTO_ANSWERS_PER_HOUR = 5

    records = [receive(mail(subject=f"Problem {n}")) for n in range(7)]

    assert all(r.state == State.PROCESSED for r in records)
    assert Ticket.objects.count() == 7
    assert Notification.objects.filter(event=Event.RECEIVED).count() == 5
    # Managers see in the admin which messages went unanswered, and why.
    assert [r.reason for r in records[:5]] == [""] * 5
    assert all("too many automatic answers" in r.reason for r in records[5:])
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        later = receive(mail(subject="An hour later"))
    assert Notification.objects.filter(ticket=later.ticket, event=Event.RECEIVED).exists()


def test_tickets_reported_on_the_site_do_not_use_up_the_cap(settings, customer):
    settings.INBOUND_AUTO_ANSWERS_PER_HOUR = 2
    for number in range(3):
        services.ticket_create(
            customer=customer, created_by=customer, subject=f"Portal {number}", description="x"
        )

    record = receive(mail())

    assert Notification.objects.filter(ticket=record.ticket, event=Event.RECEIVED).exists()


def test_a_loop_with_another_help_desk_that_answers_every_mail_ends_at_the_cap(
    settings, django_capture_on_commit_callbacks
):
    """The other desk answers each of our mails with a new, human-looking mail (no
    Auto-Submitted, no Precedence, a new subject, no reference to ours): without the cap the
    two desks would write to each other forever."""
    settings.INBOUND_AUTO_ANSWERS_PER_HOUR = 5
    other = "help@other-desk.example"

    def other_desk_answers(ours) -> bytes:
        case = make_msgid(domain="other-desk.example")
        return mail(
            sender=f"Other Desk <{other}>",
            subject=f"Your case {case[1:9]} is open",
            body=f"Thank you for writing to us about “{ours.subject}”. We will get back to you.",
            message_id=case,
        )

    inbox = [mail(sender=f"Other Desk <{other}>", subject="A customer of ours needs you")]
    seen = 0
    for _round in range(30):
        with django_capture_on_commit_callbacks(execute=True):
            for raw in inbox:
                receive(raw)
        ours, seen = sent.outbox[seen:], len(sent.outbox)
        inbox = [other_desk_answers(message) for message in ours if message.to == [other]]
        if not inbox:
            break

    assert not inbox, "the desks still write to each other"
    assert len(answers_to(other)) == 5
    assert Ticket.objects.filter(customer__email=other).count() == 6
    assert InboundMessage.objects.filter(state=State.PROCESSED).count() == 6
