"""Threading both ways: what we send leads a reply back to its ticket, and only its people in.

Outbound, every mail about a ticket carries the ticket's reply address, its subject tag, and
References to the ticket's thread; inbound, a message joins a ticket by our token in a
recipient address, then by one of our Message-IDs it answers, then by the subject tag, and
each way only for someone who may write on that ticket.
"""

import pytest
from django.urls import reverse

from tickets import delivery, services, workflow
from tickets.inbound import addresses, receive
from tickets.inbound.service import may_write_by_mail, reply_text
from tickets.mail_thread import REPLY_MARKER
from tickets.models import InboundMessage, Notification, Ticket, TicketMetrics
from tickets.status import Status

from .conftest import mail

State = InboundMessage.State
Event = Notification.Event


def sent(notification: Notification):
    """The message as it goes on the wire: headers and all."""
    message = delivery.compose(notification)
    return message, message.message()


def last_to(user, event=None) -> Notification:
    rows = Notification.objects.filter(recipient=user)
    if event is not None:
        rows = rows.filter(event=event)
    return rows.order_by("-pk").first()


def answer(notification: Notification, body: str, **overrides) -> bytes:
    """A reply to `notification` as a mail client writes it: to its Reply-To, "Re:" its
    subject, In-Reply-To its Message-ID and References its thread."""
    _message, wire = sent(notification)
    fields = {
        "sender": f"{notification.recipient.display_name} <{notification.recipient.email}>",
        "to": wire["Reply-To"],
        "subject": f"Re: {wire['Subject']}",
        "body": body,
        "headers": {
            "In-Reply-To": wire["Message-ID"],
            "References": f"{wire['References']} {wire['Message-ID']}",
        },
    }
    fields.update(overrides)
    return mail(**fields)


def quoted(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines())


# --- Outbound ---------------------------------------------------------------------------


def test_every_mail_about_a_ticket_leads_back_to_it(make_ticket, customer, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Try the new client.")

    for row in Notification.objects.filter(ticket=ticket):
        _message, wire = sent(row)
        assert wire["Reply-To"] == addresses.reply_address(ticket.pk)
        assert addresses.ticket_id_from((wire["Reply-To"],)) == ticket.pk
        assert f"[{ticket.reference}]" in wire["Subject"]
        assert wire["References"].split()[0] == f"<ticket-{ticket.pk}@helpdesk.example>"
        assert wire["In-Reply-To"] == wire["References"].split()[-1]
        assert wire["Auto-Submitted"] == "auto-replied"


def test_a_mail_answers_the_last_one_the_same_person_had_about_the_ticket(
    make_ticket, customer, agent
):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="First answer.")
    first = last_to(customer, Event.REPLY)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Second answer.")
    second = last_to(customer, Event.REPLY)

    _message, wire = sent(second)

    assert wire["In-Reply-To"] == first.message_id
    assert first.message_id in wire["References"]
    # Nothing the agent had is in the customer's thread.
    agents = Notification.objects.filter(recipient=agent).values_list("message_id", flat=True)
    assert not any(message_id in wire["References"] for message_id in agents)


def test_the_acknowledgement_of_a_mailed_ticket_answers_the_customers_message(customer):
    record = receive(mail(message_id="<first.try@mail.example.com>"))

    _message, wire = sent(last_to(customer, Event.RECEIVED))

    assert wire["In-Reply-To"] == "<first.try@mail.example.com>"
    assert wire["References"].split() == [
        f"<ticket-{record.ticket_id}@helpdesk.example>",
        "<first.try@mail.example.com>",
    ]


def test_account_mails_are_automatic_too(customer):
    from tickets import notifications

    notifications.account_event(Event.PASSWORD_CHANGED, recipient=customer)

    _message, wire = sent(last_to(customer, Event.PASSWORD_CHANGED))

    assert wire["Auto-Submitted"] == "auto-replied"
    assert wire["Reply-To"] is None and wire["References"] is None


def test_mail_about_a_ticket_opens_with_the_reply_marker_in_text_and_html(make_ticket, customer):
    ticket = make_ticket(Status.IN_PROGRESS)

    for row in Notification.objects.filter(ticket=ticket):
        message, _wire = sent(row)
        [(html, _kind)] = message.alternatives
        assert message.body.splitlines()[0] == REPLY_MARKER
        assert html.index(REPLY_MARKER) < html.index("Hello")
        assert "write above the line" in message.body


def test_without_an_inbound_address_mail_says_replies_are_not_read(settings, make_ticket):
    settings.INBOUND_ADDRESS = ""
    ticket = make_ticket(Status.IN_PROGRESS)

    message, wire = sent(Notification.objects.filter(ticket=ticket).first())

    assert wire["Reply-To"] is None
    assert REPLY_MARKER not in message.body + message.alternatives[0][0]
    assert "Replies to this e-mail are not read" in message.body


# --- Inbound: which ticket, and who may write on it ---------------------------------------


def test_a_reply_to_our_message_id_joins_the_ticket_without_token_or_tag(make_ticket, customer):
    ticket = make_ticket(Status.IN_PROGRESS)
    ours = last_to(customer)

    record = receive(
        answer(ours, "Thanks.", to="support@helpdesk.example", subject="Re: about my VPN")
    )

    assert record.ticket == ticket and record.comment.body == "Thanks."


def test_a_reply_naming_the_threads_root_joins_for_the_customer(make_ticket, customer):
    ticket = make_ticket(Status.IN_PROGRESS)

    record = receive(
        mail(subject="Re: VPN", headers={"References": f"<ticket-{ticket.pk}@helpdesk.example>"})
    )

    assert record.ticket == ticket and record.comment is not None


def test_a_thread_root_of_another_domain_is_not_ours(make_ticket, customer):
    ticket = make_ticket(Status.IN_PROGRESS)

    record = receive(
        mail(subject="Re: VPN", headers={"In-Reply-To": f"<ticket-{ticket.pk}@elsewhere.example>"})
    )

    assert record.ticket != ticket and record.comment is None


def test_a_thread_root_or_tag_from_a_stranger_makes_their_own_ticket(make_ticket, neighbour):
    ticket = make_ticket(Status.IN_PROGRESS)
    root = f"<ticket-{ticket.pk}@helpdesk.example>"

    record = receive(
        mail(
            sender="nick@example.com",
            subject=f"Re: [{ticket.reference}] VPN",
            headers={"In-Reply-To": root, "References": root},
        )
    )

    assert record.ticket != ticket and record.ticket.customer == neighbour
    assert not ticket.comments.exists()


def test_the_token_comes_first_then_our_message_id_then_the_tag(make_ticket, customer):
    by_token, by_id, by_tag = (make_ticket(Status.IN_PROGRESS) for _ in range(3))
    ours = last_to(customer)  # about the last of them …
    assert ours.ticket == by_tag
    ours.ticket = by_id  # … moved to the middle one, so each way names another ticket
    ours.save()

    headers = {"In-Reply-To": ours.message_id}
    first = receive(
        mail(
            to=addresses.reply_address(by_token.pk),
            subject=f"Re: [{by_tag.reference}]",
            headers=headers,
        )
    )
    second = receive(mail(subject=f"Re: [{by_tag.reference}]", headers=headers))
    third = receive(mail(subject=f"Re: [{by_tag.reference}]"))

    assert (first.ticket, second.ticket, third.ticket) == (by_token, by_id, by_tag)


def test_a_way_the_sender_may_not_use_gives_way_to_the_next(make_ticket, customer, neighbour):
    """Nick answers with a reply address he saw on a mail about Carla's ticket, and the tag
    of his own: his own ticket gets it."""
    carlas = make_ticket(Status.IN_PROGRESS)
    his = services.ticket_create(
        customer=neighbour, created_by=neighbour, subject="Printer", description="Jammed"
    )

    record = receive(
        mail(
            sender="nick@example.com",
            to=addresses.reply_address(carlas.pk),
            subject=f"Re: [{his.reference}] Printer",
        )
    )

    assert record.ticket == his and record.comment.author == neighbour
    assert not carlas.comments.exists()


def test_an_agent_answers_by_our_message_id_but_not_by_a_tag_or_root_anyone_can_type(
    make_ticket, agent
):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=ticket.customer, body="Still broken")
    ours = last_to(agent, Event.REPLY)

    replied = receive(answer(ours, "Restart it.", to="support@helpdesk.example"))
    typed = receive(
        mail(
            sender="alex@example.com",
            subject=f"Re: [{ticket.reference}]",
            headers={"References": f"<ticket-{ticket.pk}@helpdesk.example>"},
        )
    )

    assert replied.comment.author == agent and replied.comment.body == "Restart it."
    assert typed.comment is None and typed.state == State.QUARANTINED


def test_may_write_by_mail_is_the_tickets_customer(make_ticket, customer, neighbour, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    assert may_write_by_mail(customer, ticket)
    assert not may_write_by_mail(neighbour, ticket)
    assert not may_write_by_mail(agent, ticket)
    customer.is_active = False
    assert not may_write_by_mail(customer, ticket)


# --- Inbound: the reply, cut where it ends ----------------------------------------------


def test_a_gmail_style_reply_to_our_mail_is_cut_at_the_marker(make_ticket, customer, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Try the new client.")
    ours = last_to(customer, Event.REPLY)
    message, _wire = sent(ours)
    body = (
        "That worked, thank you!\n\n"
        "On Tue, 1 Dec 2026 at 10:00, Help desk <helpdesk@helpdesk.example> wrote:\n"
        + quoted(message.body)
    )

    record = receive(answer(ours, body))

    assert record.ticket == ticket
    assert record.comment.body == "That worked, thank you!"


def test_an_outlook_style_reply_is_cut_at_the_marker(make_ticket, customer, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Try the new client.")
    ours = last_to(customer, Event.REPLY)
    message, wire = sent(ours)
    body = (
        "That worked.\n\nCarla\n\n"
        "________________________________\n"
        "From: Help desk <helpdesk@helpdesk.example>\n"
        "Sent: Tuesday, December 1, 2026 10:00\n"
        f"Subject: {wire['Subject']}\n\n" + message.body
    )

    record = receive(answer(ours, body))

    assert record.comment.body.startswith("That worked.")
    assert "Try the new client." not in record.comment.body
    assert "Reply above this line" not in record.comment.body


def test_an_html_only_reply_is_cut_at_the_marker(make_ticket, customer, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Try the new client.")
    ours = last_to(customer, Event.REPLY)
    message, _wire = sent(ours)
    [(html, _kind)] = message.alternatives
    body = f"<div>It works <b>now</b>.</div><blockquote>{html}</blockquote>"

    record = receive(answer(ours, None, html=body))

    assert record.comment.body == "It works now."


@pytest.mark.parametrize(
    "marker",
    [
        REPLY_MARKER,
        "> —— Reply above this line ——",
        "-- REPLY ABOVE THIS LINE --",
        ">> ## reply above this line ##",
    ],
)
def test_the_marker_is_honoured_however_a_client_wrote_it_back(marker):
    text = f"Fine now.\n\n{marker}\nHello Carla,\n\nAlex Agent replied on HD-7:\n\nTry again."
    assert reply_text(text) == "Fine now."


def test_a_reply_written_below_the_marker_is_kept():
    text = f"{REPLY_MARKER}\n\nI answer down here."
    assert "I answer down here." in reply_text(text)


def test_words_like_the_marker_inside_a_sentence_cut_nothing():
    text = "Please reply above this line of text, it said.\nSo I did."
    assert reply_text(text) == text


# --- A reply by e-mail is a reply --------------------------------------------------------


def test_a_reply_by_mail_to_a_resolved_ticket_puts_it_back_in_progress(make_ticket, customer):
    ticket = make_ticket(Status.RESOLVED)
    ours = last_to(customer, Event.RESOLVED)

    record = receive(answer(ours, "It broke again this morning."))

    ticket.refresh_from_db()
    assert record.comment.body == "It broke again this morning."
    assert ticket.status == Status.IN_PROGRESS and ticket.resolved_at is None
    entry = ticket.history.order_by("-id").first()
    assert (entry.from_status, entry.to_status, entry.actor) == (
        Status.RESOLVED,
        Status.IN_PROGRESS,
        None,
    )
    assert entry.note == str(workflow.CUSTOMER_REPLIED_AFTER_RESOLUTION)
    assert TicketMetrics.objects.get(ticket=ticket).reopen_count == 1


def test_a_reply_by_mail_to_a_closed_ticket_opens_a_follow_up_the_customer_is_told_of(
    make_ticket, customer
):
    closed = make_ticket(Status.CLOSED)
    ours = last_to(customer)

    record = receive(answer(ours, "It is back."))

    follow_up = record.ticket
    assert follow_up != closed and follow_up.follow_up_to == closed
    assert follow_up.description == "It is back."
    assert Ticket.objects.get(pk=closed.pk).status == Status.CLOSED
    assert not closed.comments.exists()
    ack, _wire = sent(last_to(customer, Event.RECEIVED))
    assert f"It continues {closed.reference}, which was closed." in ack.body
    assert f"<strong>{closed.reference}</strong>, which was closed." in ack.alternatives[0][0]


def test_replies_by_mail_move_the_clocks_as_replies_on_the_page_do(make_ticket, customer, agent):
    """An agent's answer by mail is the first response; the customer's answer by mail to a
    ticket on hold ends the pause, so the SLA is due again."""
    ticket = make_ticket(Status.IN_PROGRESS)
    assert TicketMetrics.objects.get(ticket=ticket).first_response_at is None
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Any news?")

    receive(answer(last_to(agent, Event.REPLY), "Looking into it."))

    metrics = TicketMetrics.objects.get(ticket=ticket)
    first_reply = ticket.comments.get(author=agent)
    assert metrics.first_response_at == first_reply.created_at
    assert Ticket.objects.get(pk=ticket.pk).first_response_at == first_reply.created_at

    workflow.transition(ticket_id=ticket.pk, to=Status.ON_HOLD, actor=agent, note="Log?")
    assert Ticket.objects.get(pk=ticket.pk).sla_due_at is None  # paused on hold
    receive(answer(last_to(customer, Event.ON_HOLD), "Here is the log."))

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.sla_due_at is not None


# --- The original, for staff --------------------------------------------------------------


def test_staff_open_the_original_of_a_mailed_ticket_and_reply_from_its_page(
    client, make_ticket, customer, agent
):
    opening = mail(message_id="<opening@mail.example.com>")
    first = receive(opening)
    services.comment_add(ticket_id=first.ticket_id, author=agent, body="Which version?")
    reply_raw = answer(last_to(customer, Event.REPLY), "Version 5.")
    reply = receive(reply_raw)
    client.force_login(agent)

    page = client.get(reverse("agent:ticket_detail", args=[first.ticket_id])).content.decode()
    for record, raw in [(first, opening), (reply, reply_raw)]:
        url = reverse("agent:original_email", args=[record.pk])
        assert f'href="{url}"' in page
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == raw
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment")
        assert response["Content-Disposition"].endswith('.eml"')
    assert page.count("Original e-mail") == 2


def test_the_customer_never_reaches_the_original(client, customer):
    record = receive(mail())
    client.force_login(customer)

    page = client.get(reverse("portal:ticket_detail", args=[record.ticket_id])).content.decode()

    assert "Original e-mail" not in page
    assert client.get(reverse("agent:original_email", args=[record.pk])).status_code == 404


def test_an_ignored_or_refused_message_is_no_ticket_email(client, agent):
    record = receive(mail(headers={"Auto-Submitted": "auto-replied"}))
    client.force_login(agent)
    assert client.get(reverse("agent:original_email", args=[record.pk])).status_code == 404


@pytest.mark.parametrize("replies", [1, 6])
def test_the_ticket_page_costs_the_same_however_many_replies_came_by_mail(
    replies, client, customer, agent, django_assert_num_queries
):
    record = receive(mail())
    for i in range(replies):
        receive(mail(subject=f"Re: [{record.ticket.reference}]", body=f"More {i}"))
    client.force_login(agent)
    client.get(reverse("agent:ticket_detail", args=[record.ticket_id]))  # warm-up

    with django_assert_num_queries(14):  # as tests/tickets/test_agent_pages.py counts them
        page = client.get(reverse("agent:ticket_detail", args=[record.ticket_id]))

    assert page.content.decode().count("Original e-mail") == replies + 1
