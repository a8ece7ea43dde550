"""Creating, commenting, assigning and updating tickets through the services."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tickets import queries, services, timeline, workflow
from tickets.errors import NotPermitted, TicketChanged, TicketClosed, WorkflowError
from tickets.models import (
    Category,
    Comment,
    FieldChange,
    Ticket,
    TicketMetrics,
    format_reference,
    parse_reference,
)
from tickets.status import Priority, Status


def test_a_new_ticket_is_open_with_one_history_row(customer, category):
    ticket = services.ticket_create(
        customer=customer,
        created_by=customer,
        subject="  Mail bounces ",
        description="All of it",
        category=category,
        priority=Priority.HIGH,
    )
    assert (ticket.status, ticket.subject, ticket.reference) == (
        "open",
        "Mail bounces",
        f"HD-{ticket.pk}",
    )
    [entry] = ticket.history.all()
    assert (entry.from_status, entry.to_status, entry.actor) == (None, "open", customer)


def test_references_are_quoted_and_parsed():
    assert format_reference(1042) == "HD-1042"
    for text in ("HD-1042", "hd-1042", " #1042", "1042"):
        assert parse_reference(text) == 1042
    for text in ("HD-", "HX-12", "12a", "", "9" * 30):
        assert parse_reference(text) is None


def test_customers_cannot_choose_urgent(customer):
    with pytest.raises(ValidationError) as error:
        services.ticket_create(
            customer=customer,
            created_by=customer,
            subject="s",
            description="d",
            priority=Priority.URGENT,
        )
    assert "priority" in error.value.message_dict
    assert not Ticket.objects.exists()


def test_staff_report_urgent_tickets_for_a_customer(customer, agent):
    ticket = services.ticket_create(
        customer=customer,
        created_by=agent,
        subject="Site down",
        description="Whole site",
        priority=Priority.URGENT,
    )
    assert ticket.customer == customer and ticket.history.get().actor == agent


def test_a_customer_cannot_report_for_someone_else(customer, neighbour):
    with pytest.raises(NotPermitted):
        services.ticket_create(
            customer=neighbour, created_by=customer, subject="s", description="d"
        )


@pytest.mark.parametrize(("subject", "description"), [("", "d"), ("s", "   "), ("x" * 201, "d")])
def test_a_blank_or_overlong_ticket_is_refused_and_nothing_is_saved(customer, subject, description):
    with pytest.raises(ValidationError):
        services.ticket_create(
            customer=customer, created_by=customer, subject=subject, description=description
        )
    assert not Ticket.objects.exists()


def test_an_inactive_service_cannot_be_chosen(customer):
    retired = Category.objects.create(name="Fax", is_active=False)
    with pytest.raises(ValidationError):
        services.ticket_create(
            customer=customer, created_by=customer, subject="s", description="d", category=retired
        )


def test_an_oversized_attachment_is_refused_and_the_ticket_not_created(
    customer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_MAX_BYTES = 10
    upload = SimpleUploadedFile("log.txt", b"x" * 11, content_type="text/plain")
    with pytest.raises(ValidationError) as error:
        services.ticket_create(
            customer=customer,
            created_by=customer,
            subject="s",
            description="d",
            attachments=[upload],
        )
    assert "log.txt" in error.value.message_dict["attachments"][0]
    assert not Ticket.objects.exists()


def test_attachments_are_stored_under_a_random_name(customer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("../../etc/passwd.TXT", b"hello", content_type="text/plain")
    ticket = services.ticket_create(
        customer=customer, created_by=customer, subject="s", description="d", attachments=[upload]
    )
    [attachment] = ticket.attachments.all()
    assert attachment.original_name == "passwd.TXT"
    assert "passwd" not in attachment.file.name and attachment.file.name.endswith(".txt")
    assert attachment.size == 5 and attachment.file.read() == b"hello"


def test_the_first_public_staff_reply_is_the_first_response(make_ticket, agent, customer):
    ticket = make_ticket(Status.ASSIGNED)
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Hello?")
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Note", internal=True)
    assert Ticket.objects.get(pk=ticket.pk).first_response_at is None
    reply = services.comment_add(ticket_id=ticket.pk, author=agent, body="On it.")
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Still on it.")
    assert Ticket.objects.get(pk=ticket.pk).first_response_at == reply.created_at


def test_a_customer_reply_resumes_a_ticket_on_hold(make_ticket, customer):
    ticket = make_ticket(Status.ON_HOLD)
    services.comment_add(ticket_id=ticket.pk, author=customer, body="It is version 5.1.")
    ticket.refresh_from_db()
    last = ticket.history.last()
    assert ticket.status == Status.IN_PROGRESS
    assert (last.from_status, last.to_status, last.actor) == ("on_hold", "in_progress", None)


def test_a_customer_reply_reopens_a_resolved_ticket_as_the_system(make_ticket, customer, agent):
    ticket = make_ticket(Status.RESOLVED)
    services.comment_add(ticket_id=ticket.pk, author=customer, body="It broke again.")
    ticket.refresh_from_db()
    last = ticket.history.last()
    assert ticket.status == Status.IN_PROGRESS and ticket.resolved_at is None
    assert ticket.assignee == agent
    assert (last.from_status, last.to_status, last.actor) == ("resolved", "in_progress", None)
    assert last.note == str(workflow.CUSTOMER_REPLIED_AFTER_RESOLUTION)
    told = timeline.for_ticket(ticket=ticket, viewer=agent)[-1]
    assert (told.text, told.note) == ("Reopened: the customer replied", "")
    # Auto-close leaves it alone: it is no longer resolved.
    assert services.tickets_auto_close(older_than_days=0) == 0
    assert TicketMetrics.objects.get(ticket=ticket).reopen_count == 1


def test_a_staff_reply_leaves_a_resolved_ticket_resolved(make_ticket, agent):
    ticket = make_ticket(Status.RESOLVED)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Glad it works.")
    services.comment_add(ticket_id=ticket.pk, author=agent, body="psst", internal=True)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


def test_a_staff_reply_leaves_a_ticket_on_hold(make_ticket, agent):
    ticket = make_ticket(Status.ON_HOLD)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Any news?")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.ON_HOLD


def test_customers_cannot_write_internal_notes(make_ticket, customer):
    ticket = make_ticket(Status.ASSIGNED)
    with pytest.raises(NotPermitted):
        services.comment_add(ticket_id=ticket.pk, author=customer, body="psst", internal=True)
    assert not Comment.objects.exists()


def test_a_neighbour_cannot_comment_on_anothers_ticket(make_ticket, neighbour):
    ticket = make_ticket(Status.ASSIGNED)
    with pytest.raises(NotPermitted):
        services.comment_add(ticket_id=ticket.pk, author=neighbour, body="hi")


def test_a_closed_ticket_takes_no_more_comments(make_ticket, customer):
    ticket = make_ticket(Status.CLOSED)
    with pytest.raises(TicketClosed):
        services.comment_add(ticket_id=ticket.pk, author=customer, body="Again broken")


def test_an_empty_comment_is_refused(make_ticket, customer):
    ticket = make_ticket()
    with pytest.raises(ValidationError):
        services.comment_add(ticket_id=ticket.pk, author=customer, body="  \n ")


def test_a_comment_changes_the_ticket_version(make_ticket, customer):
    ticket = make_ticket()
    services.comment_add(ticket_id=ticket.pk, author=customer, body="More detail")
    with pytest.raises(TicketChanged):
        services.comment_add(
            ticket_id=ticket.pk, author=customer, body="x", expected_version=ticket.version
        )


def test_a_manager_reassigns_and_it_is_recorded(make_ticket, manager, agent, other_agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.ticket_assign(ticket_id=ticket.pk, assignee=other_agent, actor=manager, note="Leave")
    ticket.refresh_from_db()
    change = FieldChange.objects.get(ticket=ticket)
    assert ticket.status == Status.IN_PROGRESS and ticket.assignee == other_agent
    assert (change.field, change.old_value, change.new_value, change.actor, change.note) == (
        "assignee",
        str(agent.pk),
        str(other_agent.pk),
        manager,
        "Leave",
    )


def test_reassigning_to_the_same_agent_changes_nothing(make_ticket, manager, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.ticket_assign(ticket_id=ticket.pk, assignee=agent, actor=manager)
    assert not FieldChange.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


def test_agents_cannot_reassign(make_ticket, agent, other_agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    with pytest.raises(NotPermitted):
        services.ticket_assign(ticket_id=ticket.pk, assignee=other_agent, actor=agent)


def test_a_resolved_ticket_cannot_be_reassigned(make_ticket, manager, other_agent):
    ticket = make_ticket(Status.RESOLVED)
    with pytest.raises(WorkflowError):
        services.ticket_assign(ticket_id=ticket.pk, assignee=other_agent, actor=manager)


def test_taking_a_taken_ticket_says_it_changed(make_ticket, other_agent):
    ticket = make_ticket(Status.ASSIGNED)
    with pytest.raises(TicketChanged):
        services.ticket_take(ticket_id=ticket.pk, agent=other_agent)


def test_priority_and_category_changes_are_recorded(make_ticket, agent, category):
    ticket = make_ticket(Status.IN_PROGRESS)
    email = Category.objects.create(name="E-mail")
    services.ticket_update(
        ticket_id=ticket.pk, actor=agent, priority=Priority.URGENT, category=email
    )
    changes = set(FieldChange.objects.values_list("field", "old_value", "new_value"))
    assert changes == {
        ("priority", "normal", "urgent"),
        ("category", str(category.pk), str(email.pk)),
    }


def test_customers_cannot_change_priority(make_ticket, customer):
    ticket = make_ticket()
    with pytest.raises(NotPermitted):
        services.ticket_update(ticket_id=ticket.pk, actor=customer, priority=Priority.HIGH)


def test_an_unknown_priority_is_refused(make_ticket, agent):
    ticket = make_ticket()
    with pytest.raises(ValidationError):
        services.ticket_update(ticket_id=ticket.pk, actor=agent, priority="critical")
    assert not FieldChange.objects.exists()


def test_auto_close_closes_only_old_resolutions_as_the_system(make_ticket, agent, customer):
    old = make_ticket(Status.RESOLVED)
    recent = make_ticket(Status.RESOLVED)
    Ticket.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(days=8))
    assert services.tickets_auto_close(older_than_days=7) == 1
    old.refresh_from_db()
    last = old.history.last()
    assert old.status == Status.CLOSED and last.actor is None and "7 days" in last.note
    assert Ticket.objects.get(pk=recent.pk).status == Status.RESOLVED


def resolved_days_ago(ticket: Ticket, days: int) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=days))


@pytest.mark.parametrize("resolved_again", [False, True])
def test_auto_close_checks_again_under_the_lock(
    make_ticket, agent, customer, monkeypatch, resolved_again
):
    """Selected as due, then reopened by the customer (and perhaps resolved anew) before the
    job locks it: it is not closed."""
    ticket = make_ticket(Status.RESOLVED)
    resolved_days_ago(ticket, 8)
    selected = services.auto_close_candidates
    monkeypatch.setattr(services, "auto_close_candidates", lambda **kw: meanwhile(selected(**kw)))

    def meanwhile(candidates: list[int]) -> list[int]:
        assert candidates == [ticket.pk]
        workflow.transition(
            ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=customer, note="Still broken."
        )
        if resolved_again:
            workflow.transition(
                ticket_id=ticket.pk, to=Status.RESOLVED, actor=agent, note="Now for real."
            )
        return candidates

    assert services.tickets_auto_close(older_than_days=7) == 0
    ticket.refresh_from_db()
    assert ticket.status == (Status.RESOLVED if resolved_again else Status.IN_PROGRESS)
    assert not ticket.history.filter(to_status=Status.CLOSED).exists()


def test_customers_see_only_their_own_tickets(make_ticket, customer, neighbour, agent):
    mine = make_ticket()
    theirs = make_ticket(customer=neighbour)
    assert list(queries.visible_to(customer)) == [mine]
    assert list(queries.visible_to(neighbour)) == [theirs]
    assert set(queries.visible_to(agent)) == {mine, theirs}


def test_customers_never_see_internal_notes(make_ticket, customer, agent):
    ticket = make_ticket(Status.ASSIGNED)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Customer is VIP", internal=True)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Looking into it")
    assert [c.body for c in queries.comments_visible_to(customer, ticket)] == ["Looking into it"]
    assert len(queries.comments_visible_to(agent, ticket)) == 2
