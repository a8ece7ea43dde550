"""One e-mail in: a ticket, a reply, or a recorded refusal — once, never a crash."""

import pytest
from django.core import mail as outbox
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import User
from tickets import services
from tickets.inbound import addresses, receive
from tickets.models import Comment, InboundMessage, Ticket
from tickets.status import Status

from .conftest import PNG, mail

pytestmark = pytest.mark.django_db
State = InboundMessage.State


def test_a_new_message_from_a_new_address_makes_a_customer_and_a_ticket():
    record = receive(mail(sender="Dana Doe <Dana.Doe@Example.COM>"))

    assert record.state == State.PROCESSED
    ticket = record.ticket
    assert ticket.subject == "VPN drops every hour"
    assert ticket.description == "Since Monday the VPN disconnects every hour."
    assert ticket.customer.email == "dana.doe@example.com"
    assert ticket.customer.display_name == "Dana Doe"
    assert ticket.customer.is_customer and not ticket.customer.has_usable_password()
    assert record.raw.read().startswith(b"From: Dana Doe")


def test_a_known_customer_writing_again_gets_a_new_ticket_on_the_same_account(customer):
    first = receive(mail(subject="Printer"))
    second = receive(mail(subject="Scanner"))

    assert first.ticket.customer == second.ticket.customer == customer
    assert first.ticket != second.ticket


def test_the_same_message_twice_acts_once(customer):
    raw = mail()
    first = receive(raw)
    again = receive(raw)

    assert again.pk == first.pk
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_the_same_message_id_with_other_bytes_acts_once(customer):
    first = receive(mail(message_id="<one@mail.example.com>"))
    relayed = receive(mail(message_id="<one@mail.example.com>", headers={"X-Relayed": "yes"}))

    assert relayed.pk == first.pk
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("headers", "sender"),
    [
        ({"Auto-Submitted": "auto-replied"}, "carla@example.com"),
        ({"Auto-Submitted": "auto-generated"}, "carla@example.com"),
        ({"Precedence": "bulk"}, "carla@example.com"),
        ({"Precedence": "list"}, "carla@example.com"),
        ({"X-Autoreply": "yes"}, "carla@example.com"),
        ({"X-Autorespond": "Out of office"}, "carla@example.com"),
        ({"List-Id": "<users.lists.example.com>"}, "carla@example.com"),
        ({}, "MAILER-DAEMON@mail.example.com"),
        ({}, "postmaster@example.com"),
        ({}, "no-reply@shop.example"),
        ({}, "helpdesk@helpdesk.example"),
        ({}, "support+HD-1.abc@helpdesk.example"),
    ],
)
def test_automatic_mail_makes_nothing(customer, headers, sender):
    record = receive(mail(sender=sender, headers=headers))

    assert record.state == State.IGNORED
    assert record.reason
    assert Ticket.objects.count() == 0
    assert outbox.outbox == []


def test_auto_submitted_no_is_a_person():
    assert receive(mail(headers={"Auto-Submitted": "no"})).state == State.PROCESSED


def test_unknown_senders_are_refused_when_the_policy_says_so(settings):
    settings.INBOUND_UNKNOWN_SENDERS = "reject"

    record = receive(mail(sender="stranger@example.org"))

    assert record.state == State.REJECTED
    assert not User.objects.filter(email="stranger@example.org").exists()
    assert Ticket.objects.count() == 0


def test_a_reply_by_subject_tag_is_a_reply_and_resumes_a_ticket_on_hold(make_ticket, customer):
    ticket = make_ticket(Status.ON_HOLD)
    body = "It is version 5.2.\n\nOn Mon, 1 Dec 2026, Help desk wrote:\n> Which version?\n"

    record = receive(mail(subject=f"Re: [HD-{ticket.pk}] VPN drops", body=body))

    assert record.state == State.PROCESSED
    assert record.ticket == ticket
    assert record.comment.body == "It is version 5.2."
    assert record.comment.author == customer and not record.comment.is_internal
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_a_guessed_subject_tag_from_a_stranger_makes_a_new_ticket(make_ticket, neighbour):
    ticket = make_ticket(Status.IN_PROGRESS)

    record = receive(mail(sender="nick@example.com", subject=f"Re: [HD-{ticket.pk}] VPN"))

    assert record.ticket != ticket
    assert record.ticket.customer == neighbour
    assert not Comment.objects.filter(ticket=ticket, author=neighbour).exists()


def test_the_reply_address_joins_the_ticket_without_a_subject_tag(make_ticket, customer):
    ticket = make_ticket(Status.IN_PROGRESS)

    record = receive(mail(to=addresses.reply_address(ticket.pk), subject="Thanks"))

    assert record.ticket == ticket and record.comment is not None


def test_a_forged_reply_address_token_joins_nothing(make_ticket, customer):
    ticket = make_ticket(Status.IN_PROGRESS)
    forged = f"support+HD-{ticket.pk}.0123456789abcdef0123@helpdesk.example"

    record = receive(mail(to=forged, subject="Thanks"))

    assert record.ticket != ticket and record.comment is None


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(make_ticket, customer):
    closed = make_ticket(Status.CLOSED)

    record = receive(mail(subject=f"Re: [HD-{closed.pk}] VPN", body="It is back."))

    assert record.ticket != closed
    assert record.ticket.follow_up_to == closed
    assert record.ticket.description == "It is back."


def test_attachments_are_checked_like_uploads_and_refusals_listed(customer):
    record = receive(
        mail(
            files=[
                ("screen.png", "image/png", PNG),
                ("invoice.pdf", "application/pdf", b"MZ\x90\x00" + b"\x00" * 200),
                ("tool.exe", "application/octet-stream", b"MZ\x90\x00"),
            ]
        )
    )

    ticket = record.ticket
    assert [a.original_name for a in ticket.attachments.all()] == ["screen.png"]
    assert "Attachments not taken:" in ticket.description
    assert "invoice.pdf" in ticket.description and "tool.exe" in ticket.description


def test_an_oversized_attachment_is_listed_not_taken(settings, customer):
    settings.ATTACHMENT_MAX_BYTES = 1024
    record = receive(mail(files=[("big.png", "image/png", PNG + b"\x00" * 4096)]))

    assert record.state == State.PROCESSED
    assert record.ticket.attachments.count() == 0
    assert "big.png" in record.ticket.description


def test_a_staff_address_writing_a_new_message_is_quarantined(agent):
    record = receive(mail(sender="alex@example.com"))

    assert record.state == State.QUARANTINED
    assert "staff" in record.reason
    assert Ticket.objects.count() == 0


def test_an_unforeseen_failure_quarantines_the_message_and_writes_nothing(monkeypatch, customer):
    def broken(**kwargs):
        Ticket.objects.create(customer=customer, subject="half", description="written")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "ticket_create", broken)

    record = receive(mail())

    assert record.state == State.QUARANTINED
    assert record.reason == "RuntimeError: disk on fire"
    assert Ticket.objects.count() == 0
    assert record.raw.read().startswith(b"From:")


def test_an_address_that_is_no_address_is_quarantined():
    record = receive(mail(sender="not an address"))

    assert record.state == State.QUARANTINED
    assert Ticket.objects.count() == 0


def test_receive_email_reads_a_message_from_standard_input(monkeypatch, capsys, customer):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(mail())))

    call_command("receive_email")

    ticket = Ticket.objects.get()
    assert capsys.readouterr().out.strip() == f"processed (ticket {ticket.pk})"


def test_an_agent_replying_by_mail_answers_publicly(make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)

    record = receive(
        mail(sender="alex@example.com", to=addresses.reply_address(ticket.pk), body="Try again.")
    )

    assert record.comment.author == agent and not record.comment.is_internal
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=2000) | st.text(max_size=500).map(str.encode))
def test_any_bytes_are_recorded_never_raised(raw):
    record = receive(b"From: someone@example.org\r\n" + raw)

    assert record.pk is not None
    assert record.state in State.values


def test_starting_without_an_inbound_address_says_mail_is_not_read(settings):
    from django.core.checks import run_checks

    settings.INBOUND_ADDRESS = ""
    assert "helpdesk.I001" in [message.id for message in run_checks()]
    settings.INBOUND_ADDRESS = "support@helpdesk.example"
    assert "helpdesk.I001" not in [message.id for message in run_checks()]
