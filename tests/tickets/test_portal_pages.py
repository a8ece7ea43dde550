"""The customer portal: the pages a customer uses, and the doors that stay shut to others."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets import services, workflow
from tickets.models import Attachment, Rating, Ticket
from tickets.status import Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def carla(client, customer):
    client.force_login(customer)
    return client


def detail(ticket):
    return reverse("portal:ticket_detail", args=[ticket.pk])


def act(client, ticket, action, note="", version=None):
    return client.post(
        reverse("portal:ticket_action", args=[ticket.pk]),
        {"action": action, "note": note, "version": version or ticket.version},
    )


# --- My tickets -------------------------------------------------------------------------


def test_my_tickets_lists_only_mine(carla, make_ticket, neighbour):
    mine = make_ticket(subject="Printer on floor 3")
    make_ticket(customer=neighbour, subject="Nick's laptop")
    response = carla.get(reverse("portal:ticket_list"))
    assert response.status_code == 200
    assert mine.reference.encode() in response.content
    assert (
        b"Nick&#x27;s laptop" not in response.content and b"Nick's laptop" not in response.content
    )


def test_my_tickets_filters_open_and_closed(carla, make_ticket):
    make_ticket(Status.IN_PROGRESS, subject="Still going")
    make_ticket(Status.CLOSED, subject="Long done")
    open_page = carla.get(reverse("portal:ticket_list")).content
    closed_page = carla.get(reverse("portal:ticket_list") + "?show=closed").content
    assert b"Still going" in open_page and b"Long done" not in open_page
    assert b"Long done" in closed_page and b"Still going" not in closed_page


@pytest.mark.parametrize("count", [2, 25])
def test_my_tickets_takes_the_same_queries_however_many(
    count, carla, make_ticket, django_assert_num_queries
):
    for _ in range(count):
        make_ticket(Status.ASSIGNED)
    # session, user, count for the paginator, the page of tickets with their assignees, the
    # tickets she follows (tests/tickets/test_followers.py)
    with django_assert_num_queries(5):
        carla.get(reverse("portal:ticket_list"))


def test_my_tickets_is_paginated(carla, make_ticket):
    for _ in range(21):
        make_ticket()
    response = carla.get(reverse("portal:ticket_list") + "?page=2")
    assert len(response.context["page"].object_list) == 1
    assert b"Page 2 of 2" in response.content


# --- Reporting --------------------------------------------------------------------------


def test_reporting_a_problem_shows_the_reference_and_what_happens_next(carla, category):
    response = carla.post(
        reverse("portal:ticket_new"),
        {
            "subject": "VPN drops",
            "description": "Every 5 minutes.",
            "category": category.pk,
            "priority": "high",
            "attachments": [SimpleUploadedFile("trace.log", b"timeout", "text/plain")],
        },
        follow=True,
    )
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.priority, ticket.category) == ("VPN drops", "high", category)
    assert ticket.attachments.get().original_name == "trace.log"
    assert ticket.reference.encode() in response.content
    assert b"an agent will pick it up" in response.content


def test_urgent_is_not_offered_to_customers(carla, category):
    page = carla.get(reverse("portal:ticket_new"))
    assert b'value="urgent"' not in page.content
    response = carla.post(
        reverse("portal:ticket_new"),
        {"subject": "Down", "description": "All down", "priority": "urgent"},
    )
    assert response.status_code == 400
    assert "priority" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_a_refused_report_keeps_what_was_typed(carla):
    response = carla.post(
        reverse("portal:ticket_new"),
        {
            "subject": "Scanner",
            "description": "It beeps.",
            "priority": "normal",
            "attachments": [SimpleUploadedFile("setup.exe", b"MZ", "application/octet-stream")],
        },
    )
    assert response.status_code == 400
    assert b"not a file type we accept" in response.content
    assert b'value="Scanner"' in response.content and b"It beeps." in response.content
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


def test_a_report_without_subject_is_explained(carla):
    response = carla.post(reverse("portal:ticket_new"), {"description": "x", "priority": "low"})
    assert response.status_code == 400
    assert response.context["form"].errors["subject"]


# --- The ticket page --------------------------------------------------------------------


def test_the_ticket_page_shows_the_public_conversation_and_never_a_note(carla, make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="We restarted the gateway.")
    services.comment_add(
        ticket_id=ticket.pk, author=agent, body="Customer seems confused", internal=True
    )
    page = carla.get(detail(ticket)).content.decode()
    assert "We restarted the gateway." in page
    assert "Customer seems confused" not in page
    assert "Assigned to Alex Agent" in page and "Alex Agent started working on it" in page


@pytest.mark.parametrize("comments", [1, 20])
def test_the_ticket_page_takes_the_same_queries_however_long_the_conversation(
    comments, carla, make_ticket, agent, customer, django_assert_num_queries
):
    ticket = make_ticket(Status.IN_PROGRESS)
    for i in range(comments):
        services.comment_add(
            ticket_id=ticket.pk,
            author=agent if i % 2 else customer,
            body=f"message {i}",
            attachments=[SimpleUploadedFile(f"f{i}.txt", b"x", "text/plain")],
        )
    # session, user, ticket (+category, assignee, the rating), comments (+authors), their
    # attachments, the opening attachments, the history (+actors, assignees)
    with django_assert_num_queries(7):
        carla.get(detail(ticket))


def test_the_buttons_are_what_the_workflow_offers_the_customer(carla, make_ticket):
    resolved = carla.get(detail(make_ticket(Status.RESOLVED))).content.decode()
    assert "Confirm the fix" in resolved and "Reopen" in resolved and "Withdraw" not in resolved
    working = carla.get(detail(make_ticket(Status.IN_PROGRESS))).content.decode()
    assert "Withdraw" in working and "Confirm the fix" not in working
    closed = carla.get(detail(make_ticket(Status.CLOSED))).content.decode()
    assert 'name="action"' not in closed and "Send reply" not in closed


def test_replying_to_a_ticket_on_hold_resumes_it(carla, make_ticket):
    ticket = make_ticket(Status.ON_HOLD)
    response = carla.post(
        reverse("portal:ticket_reply", args=[ticket.pk]), {"body": "It's 5.1"}, follow=True
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert b"Work resumed after your reply" in response.content


def test_replying_to_a_resolved_ticket_reopens_it_as_the_page_says(carla, make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    page = carla.get(detail(ticket)).content.decode()
    assert "A reply reopens it" in page

    response = carla.post(
        reverse("portal:ticket_reply", args=[ticket.pk]), {"body": "Broken again"}, follow=True
    )

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.resolved_at is None
    assert b"Reopened after your reply" in response.content


def test_an_empty_reply_is_explained(carla, make_ticket):
    ticket = make_ticket(Status.ASSIGNED)
    response = carla.post(reverse("portal:ticket_reply", args=[ticket.pk]), {"body": ""})
    assert response.status_code == 400 and response.context["reply_form"].errors["body"]


def test_confirming_the_fix_closes_the_ticket(carla, make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    response = act(carla, ticket, "confirm")
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


def test_reopening_needs_a_reason_and_keeps_the_form(carla, make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    response = act(carla, ticket, "reopen", note="  ")
    assert response.status_code == 400
    assert b"Please give a reason" in response.content
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED
    act(carla, ticket, "reopen", note="Still drops at 5pm.")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.history.last().note == "Still drops at 5pm."


def test_a_stale_page_is_refused_with_the_fresh_state(carla, make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    seen = ticket.version
    workflow.transition(ticket_id=ticket.pk, to=Status.ON_HOLD, actor=agent, note="?")
    response = act(carla, ticket, "withdraw", note="Never mind", version=seen)
    assert response.status_code == 409
    assert b"changed since you loaded it" in response.content
    assert response.context["ticket"].status == Status.ON_HOLD
    assert Ticket.objects.get(pk=ticket.pk).status == Status.ON_HOLD


def test_an_action_the_workflow_no_longer_offers_is_refused(carla, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    response = act(carla, ticket, "confirm")
    assert response.status_code == 403 and b"not allowed" in response.content
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS


def test_withdrawing_closes_with_the_reason(carla, make_ticket):
    ticket = make_ticket(Status.OPEN)
    act(carla, ticket, "withdraw", note="Found the cable was loose.")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert "You withdrew the ticket" in carla.get(detail(ticket)).content.decode()


def test_a_resolved_ticket_can_be_rated_once(carla, make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    url = reverse("portal:ticket_rate", args=[ticket.pk])
    carla.post(url, {"score": "5", "comment": "Quick and kind."})
    assert Rating.objects.get(ticket=ticket).score == 5
    second = carla.post(url, {"score": "1"})
    assert second.status_code == 409 and b"already rated" in second.content
    assert Rating.objects.get(ticket=ticket).score == 5


def test_an_open_ticket_cannot_be_rated(carla, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    response = carla.post(reverse("portal:ticket_rate", args=[ticket.pk]), {"score": "3"})
    assert response.status_code == 409 and not Rating.objects.exists()


def test_a_rating_outside_one_to_five_is_refused(carla, make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    response = carla.post(reverse("portal:ticket_rate", args=[ticket.pk]), {"score": "9"})
    assert response.status_code == 400 and not Rating.objects.exists()


# --- Isolation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("portal:ticket_detail", "get"),
        ("portal:ticket_reply", "post"),
        ("portal:ticket_action", "post"),
        ("portal:ticket_rate", "post"),
    ],
)
def test_another_customers_ticket_does_not_exist_for_me(
    client, neighbour, make_ticket, name, method
):
    ticket = make_ticket(Status.RESOLVED)
    client.force_login(neighbour)
    response = getattr(client, method)(
        reverse(name, args=[ticket.pk]),
        {"body": "hi", "action": "confirm", "version": ticket.version, "score": 1},
    )
    assert response.status_code == 404
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.status == Status.RESOLVED and fresh.version == ticket.version
    assert not fresh.comments.exists() and not Rating.objects.exists()


def test_a_missing_ticket_and_a_foreign_one_look_the_same(client, neighbour, make_ticket):
    ticket = make_ticket()
    client.force_login(neighbour)
    foreign = client.get(detail(ticket))
    missing = client.get(reverse("portal:ticket_detail", args=[ticket.pk + 1000]))
    assert foreign.status_code == missing.status_code == 404


def test_staff_do_not_use_the_customer_portal(client, agent, manager, make_ticket):
    ticket = make_ticket()
    for user in (agent, manager):
        client.force_login(user)
        assert client.get(reverse("portal:ticket_list")).status_code == 404
        assert client.get(detail(ticket)).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, make_ticket):
    response = client.get(detail(make_ticket()))
    assert response.status_code == 302 and reverse("login") in response.url


def test_attachments_download_only_for_those_who_may_see_them(
    client, customer, neighbour, agent, make_ticket
):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(
        ticket_id=ticket.pk,
        author=customer,
        body="log",
        attachments=[SimpleUploadedFile("<b>x</b>.txt", b"secret log", "text/html")],
    )
    note = services.comment_add(
        ticket_id=ticket.pk,
        author=agent,
        body="internal",
        internal=True,
        attachments=[SimpleUploadedFile("notes.txt", b"internal", "text/plain")],
    )
    public = Attachment.objects.get(comment__is_internal=False)
    internal = Attachment.objects.get(comment=note)
    url = reverse("attachment_download", args=[public.pk])

    client.force_login(customer)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"secret log"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert client.get(reverse("attachment_download", args=[internal.pk])).status_code == 404

    client.force_login(neighbour)
    assert client.get(url).status_code == 404
    client.force_login(agent)
    assert client.get(reverse("attachment_download", args=[internal.pk])).status_code == 200


def test_the_home_page_takes_a_customer_to_their_tickets(carla):
    response = carla.get("/")
    assert response.status_code == 302 and response.url == reverse("portal:ticket_list")


def test_a_file_missing_from_storage_is_not_found_not_a_crash(carla, make_ticket, customer):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(
        ticket_id=ticket.pk,
        author=customer,
        body="log",
        attachments=[SimpleUploadedFile("a.txt", b"x", "text/plain")],
    )
    attachment = Attachment.objects.get()
    attachment.file.delete(save=False)
    response = carla.get(reverse("attachment_download", args=[attachment.pk]))
    assert response.status_code == 404
