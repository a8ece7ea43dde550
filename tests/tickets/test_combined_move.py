"""One submit does the whole move (tickets.combined): take, start, reply, resolve or hold, each
through the workflow and recorded; all or nothing; one message to the customer."""

import pytest
from django.core.exceptions import ValidationError

from tickets import combined, notifications
from tickets.errors import (
    InvalidTransition,
    NotPermitted,
    ReasonRequired,
    TicketChanged,
    TransitionNotAllowed,
)
from tickets.models import Comment, Notification, StatusHistory
from tickets.status import HoldKind, Status

pytestmark = pytest.mark.django_db

ANSWER = "I re-issued your VPN certificate; please reconnect."
Event = Notification.Event


def steps(ticket) -> list[tuple]:
    return list(
        StatusHistory.objects.filter(ticket=ticket)
        .order_by("created_at", "id")
        .values_list("from_status", "to_status", "note")
    )


def sent_after_creation(ticket) -> list[tuple]:
    return list(
        Notification.objects.filter(ticket=ticket)
        .exclude(event=Event.RECEIVED)
        .order_by("pk")
        .values_list("event", "recipient__email")
    )


def test_send_and_resolve_on_an_unassigned_ticket_takes_starts_replies_and_resolves(
    make_ticket, agent
):
    ticket = make_ticket(Status.OPEN)

    moved = combined.reply_and_move(
        ticket_id=ticket.pk,
        actor=agent,
        body=ANSWER,
        target=Status.RESOLVED,
        expected_version=ticket.version,
    )

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.assignee == agent
    assert steps(ticket) == [
        (None, "open", ""),
        ("open", "assigned", ""),
        ("assigned", "in_progress", ""),
        ("in_progress", "resolved", ANSWER),  # the reply is the resolution note
    ]
    rows = list(ticket.history.order_by("created_at", "id"))
    assert all(row.actor == agent for row in rows[1:])
    assert rows[-1].note_public
    # the reply sits between starting and resolving
    assert rows[2].created_at <= moved.comment.created_at <= rows[3].created_at
    assert ticket.first_response_at == moved.comment.created_at
    assert [h.pk for h in moved.history] == [r.pk for r in rows[1:]]


def test_the_customer_gets_one_mail_carrying_the_text_once(make_ticket, agent, customer):
    ticket = make_ticket(Status.OPEN)

    combined.reply_and_move(ticket_id=ticket.pk, actor=agent, body=ANSWER, target="resolved")

    assert sent_after_creation(ticket) == [(Event.RESOLVED, customer.email)]
    mail = notifications.render(Notification.objects.get(ticket=ticket, event=Event.RESOLVED))
    assert mail.body.count("re-issued your VPN certificate") == 1
    assert mail.alternatives[0][0].count("re-issued your VPN certificate") == 1


def test_a_typed_note_is_the_resolution_and_the_mail_carries_both_texts(make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)

    combined.reply_and_move(
        ticket_id=ticket.pk,
        actor=agent,
        body=ANSWER,
        target="resolved",
        note="Certificate re-issued.",
    )

    assert steps(ticket)[-1] == ("in_progress", "resolved", "Certificate re-issued.")
    (notification,) = Notification.objects.filter(ticket=ticket).exclude(event=Event.RECEIVED)
    assert notification.event == Event.RESOLVED
    body = notifications.render(notification).body
    assert body.count("re-issued your VPN certificate") == 1
    assert body.count("Certificate re-issued.") == 1


def test_send_on_an_unassigned_ticket_takes_it_first_and_mails_the_reply(
    make_ticket, agent, customer
):
    ticket = make_ticket(Status.OPEN)

    combined.reply_and_move(ticket_id=ticket.pk, actor=agent, body=ANSWER)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.ASSIGNED, agent)
    assert steps(ticket)[1:] == [("open", "assigned", "")]
    assert sent_after_creation(ticket) == [(Event.REPLY, customer.email)]


def test_an_internal_note_on_an_unassigned_ticket_takes_nothing(make_ticket, agent):
    ticket = make_ticket(Status.OPEN)

    combined.reply_and_move(ticket_id=ticket.pk, actor=agent, body="Looks like DNS", public=False)

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert len(steps(ticket)) == 1


def test_send_on_a_worked_ticket_changes_no_status(make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    before = steps(ticket)

    combined.reply_and_move(ticket_id=ticket.pk, actor=agent, body=ANSWER)

    assert steps(ticket) == before


def test_send_and_hold_for_a_third_party_records_the_kind_and_says_so_in_the_mail(
    make_ticket, agent, customer
):
    ticket = make_ticket(Status.ASSIGNED)

    combined.reply_and_move(
        ticket_id=ticket.pk,
        actor=agent,
        body="We asked the VPN vendor; they answer within two days.",
        target="on_hold",
        hold_kind=HoldKind.THIRD_PARTY,
    )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.hold_kind) == (Status.ON_HOLD, HoldKind.THIRD_PARTY)
    last = ticket.history.order_by("created_at", "id").last()
    assert (last.to_status, last.hold_kind) == (Status.ON_HOLD, HoldKind.THIRD_PARTY)
    assert sent_after_creation(ticket) == [(Event.ON_HOLD, customer.email)]
    mail = notifications.render(Notification.objects.get(ticket=ticket, event=Event.ON_HOLD))
    assert "Waiting on a third party" in mail.subject
    assert "nothing you need to do" in mail.body
    assert mail.body.count("VPN vendor") == 1


def test_a_step_refused_half_way_writes_nothing(make_ticket, agent, customer):
    """Take, start and the reply pass; the resolution refuses a note with nothing visible in
    it: the whole move is undone, with the step named."""
    ticket = make_ticket(Status.OPEN)
    invisible = "\u200b"  # a reply, but no reason

    with pytest.raises(ReasonRequired) as refused:
        combined.reply_and_move(ticket_id=ticket.pk, actor=agent, body=invisible, target="resolved")

    assert refused.value.message.startswith("Resolve was refused: ")
    assert refused.value.step == "resolve"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.first_response_at) == (Status.OPEN, None, None)
    assert len(steps(ticket)) == 1
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert sent_after_creation(ticket) == []


def test_an_empty_reply_writes_nothing_either(make_ticket, agent):
    ticket = make_ticket(Status.OPEN)

    with pytest.raises(ValidationError):
        combined.reply_and_move(ticket_id=ticket.pk, actor=agent, body="   ", target="resolved")

    assert len(steps(ticket)) == 1


def test_an_agent_cannot_resolve_a_colleagues_ticket_with_a_reply(make_ticket, other_agent):
    ticket = make_ticket(Status.IN_PROGRESS)  # Alex's

    with pytest.raises(TransitionNotAllowed):
        combined.reply_and_move(
            ticket_id=ticket.pk, actor=other_agent, body=ANSWER, target="resolved"
        )

    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_stale_version_is_refused_before_anything(make_ticket, agent):
    ticket = make_ticket(Status.OPEN)

    with pytest.raises(TicketChanged):
        combined.reply_and_move(
            ticket_id=ticket.pk,
            actor=agent,
            body=ANSWER,
            target="resolved",
            expected_version=ticket.version - 1 or 99,
        )


def test_a_move_to_where_the_ticket_is_is_refused(make_ticket, agent):
    ticket = make_ticket(Status.ON_HOLD)

    with pytest.raises(InvalidTransition):
        combined.reply_and_move(ticket_id=ticket.pk, actor=agent, body=ANSWER, target="on_hold")


def test_an_internal_note_moves_nothing(make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)

    with pytest.raises(ValidationError) as refused:
        combined.reply_and_move(
            ticket_id=ticket.pk, actor=agent, body="DNS", public=False, target="resolved"
        )

    assert "then" in refused.value.message_dict
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_customer_cannot_use_it(make_ticket, customer):
    ticket = make_ticket(Status.RESOLVED)

    with pytest.raises(NotPermitted):
        combined.reply_and_move(ticket_id=ticket.pk, actor=customer, body="Thanks", target="closed")

    assert not Comment.objects.filter(ticket=ticket).exists()


def test_an_agent_is_offered_a_hold_and_the_resolution(make_ticket, agent, other_agent):
    ticket = make_ticket(Status.OPEN)

    assert [t for t, _label in combined.move_choices(ticket=ticket, user=agent)] == [
        Status.ON_HOLD,
        Status.RESOLVED,
    ]
    worked = make_ticket(Status.IN_PROGRESS)  # Alex's: nothing for Bo
    assert combined.move_choices(ticket=worked, user=other_agent) == []


def test_a_manager_is_offered_every_target_the_table_allows(make_ticket, manager):
    ticket = make_ticket(Status.IN_PROGRESS)  # Alex's

    offered = dict(combined.move_choices(ticket=ticket, user=manager))

    assert list(offered) == [Status.ON_HOLD, Status.RESOLVED, Status.CLOSED]
    assert offered[Status.CLOSED] == "Send and close"


def test_a_manager_sends_and_closes_and_the_customer_gets_the_reply(make_ticket, manager, customer):
    ticket = make_ticket(Status.IN_PROGRESS)

    combined.reply_and_move(ticket_id=ticket.pk, actor=manager, body=ANSWER, target="closed")

    last = ticket.history.order_by("created_at", "id").last()
    assert (last.from_status, last.to_status, last.note) == ("in_progress", "closed", ANSWER)
    # The customer reads why: one message, the reply and the closing in one.
    assert last.note_public
    assert sent_after_creation(ticket) == [(Event.CLOSED, customer.email)]


def test_a_manager_resolves_an_unassigned_ticket_by_taking_it(make_ticket, manager):
    ticket = make_ticket(Status.OPEN)

    combined.reply_and_move(ticket_id=ticket.pk, actor=manager, body=ANSWER, target="resolved")

    ticket.refresh_from_db()
    assert ticket.assignee == manager
    assert [to for _f, to, _n in steps(ticket)] == ["open", "assigned", "in_progress", "resolved"]


def test_a_note_without_a_move_is_refused(make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)

    with pytest.raises(ValidationError) as refused:
        combined.reply_and_move(ticket_id=ticket.pk, actor=agent, body=ANSWER, note="Done")

    assert "note" in refused.value.message_dict
    assert not Comment.objects.filter(ticket=ticket).exists()
