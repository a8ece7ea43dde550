"""Followers: a customer besides the ticket's own who reads its public side, replies on it and
hears about it — and sees that ticket only, never an internal note, never a step that is the
customer's to take."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tickets import followers, notifications, queries, services, workflow
from tickets.errors import NotPermitted, TicketClosed
from tickets.models import Comment, Notification, Rating, TicketFollower
from tickets.status import Status

Event = Notification.Event
SECRET = "INTERNAL-7731"
STAFF_NOTE = "STAFF-ONLY-4410"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def follow(agent):
    def add(ticket, user):
        return followers.follower_add(ticket_id=ticket.pk, user=user, added_by=agent)[0]

    return add


@pytest.fixture
def fran(follower):
    client = Client()
    client.force_login(follower)
    return client


@pytest.fixture
def alex(agent):
    client = Client()
    client.force_login(agent)
    return client


def portal(ticket, part=""):
    return reverse(f"portal:ticket_{part or 'detail'}", args=[ticket.pk])


# --- Who may follow -------------------------------------------------------------------------


def test_staff_add_a_customer_once(make_ticket, follower, agent):
    ticket = make_ticket()
    row, created = followers.follower_add(ticket_id=ticket.pk, user=follower, added_by=agent)
    again, created_again = followers.follower_add(
        ticket_id=ticket.pk, user=follower, added_by=agent
    )
    assert created and not created_again and again == row
    assert row.added_by == agent and TicketFollower.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("agent", followers.STAFF_SEE_ALL),
        ("customer", followers.IS_THE_CUSTOMER),
    ],
)
def test_staff_and_the_customer_are_not_followers(who, message, request, make_ticket, manager):
    ticket = make_ticket()
    with pytest.raises(ValidationError) as refused:
        followers.follower_add(
            ticket_id=ticket.pk, user=request.getfixturevalue(who), added_by=manager
        )
    assert refused.value.message_dict == {"email": [str(message)]}
    assert not TicketFollower.objects.exists()


def test_a_deactivated_account_is_not_added(make_ticket, follower, agent):
    follower.is_active = False
    follower.save()
    with pytest.raises(ValidationError):
        followers.follower_add(ticket_id=make_ticket().pk, user=follower, added_by=agent)


def test_a_customer_cannot_add_followers(make_ticket, follower, customer):
    with pytest.raises(NotPermitted):
        followers.follower_add(ticket_id=make_ticket().pk, user=follower, added_by=customer)


def test_nobody_is_added_to_a_closed_ticket(make_ticket, follower, agent):
    with pytest.raises(TicketClosed):
        followers.follower_add(
            ticket_id=make_ticket(Status.CLOSED).pk, user=follower, added_by=agent
        )


def test_staff_add_by_any_spelling_of_the_address(make_ticket, follower, agent):
    ticket = make_ticket()
    row, _created = followers.follower_add_by_email(
        ticket_id=ticket.pk, email="  FRAN@Example.COM ", added_by=agent
    )
    assert row.user == follower


@pytest.mark.parametrize("email", ["nobody@example.com", "not an address"])
def test_an_address_without_a_customer_is_refused_with_a_reason(email, make_ticket, agent):
    with pytest.raises(ValidationError) as refused:
        followers.follower_add_by_email(ticket_id=make_ticket().pk, email=email, added_by=agent)
    assert refused.value.message_dict == {"email": [str(followers.NO_SUCH_CUSTOMER)]}


def test_removing_someone_who_does_not_follow_says_so(make_ticket, follower, agent):
    with pytest.raises(TicketFollower.DoesNotExist):
        followers.follower_remove(ticket_id=make_ticket().pk, user_id=follower.pk, removed_by=agent)


def test_only_staff_remove_followers(make_ticket, follower, follow, customer):
    ticket = make_ticket()
    follow(ticket, follower)
    for who in (customer, follower):
        with pytest.raises(NotPermitted):
            followers.follower_remove(ticket_id=ticket.pk, user_id=follower.pk, removed_by=who)
    assert TicketFollower.objects.count() == 1


# --- What a follower sees -------------------------------------------------------------------


def test_a_follower_sees_exactly_the_ticket_they_follow(make_ticket, follower, follow, neighbour):
    followed = make_ticket()
    make_ticket(subject="Carla's other ticket")
    make_ticket(customer=neighbour)
    own = make_ticket(customer=follower)
    follow(followed, follower)
    assert set(queries.visible_to(follower)) == {followed, own}


def test_a_ticket_with_many_followers_is_listed_once(make_ticket, follower, neighbour, follow):
    ticket = make_ticket()
    follow(ticket, follower)
    follow(ticket, neighbour)
    assert list(queries.customer_tickets(ticket.customer, show="all")) == [ticket]
    assert list(queries.followed_tickets(follower, show="all")) == [ticket]


def test_a_removed_follower_no_longer_sees_it(make_ticket, follower, follow, agent, fran):
    ticket = make_ticket()
    follow(ticket, follower)
    assert fran.get(portal(ticket)).status_code == 200
    followers.follower_remove(ticket_id=ticket.pk, user_id=follower.pk, removed_by=agent)
    assert fran.get(portal(ticket)).status_code == 404


def test_a_deactivated_follower_sees_nothing(make_ticket, follower, follow):
    ticket = make_ticket()
    follow(ticket, follower)
    follower.is_active = False
    follower.save()
    assert not queries.visible_to(follower).exists()


def test_my_tickets_lists_followed_tickets_apart(make_ticket, follower, follow, fran):
    followed = make_ticket(subject="Carla's VPN")
    own = make_ticket(customer=follower, subject="Fran's printer")
    follow(followed, follower)
    page = fran.get(reverse("portal:ticket_list")).content.decode()
    mine, _, following = page.partition("Tickets you follow")
    assert own.reference in mine and followed.reference not in mine
    assert followed.reference in following and own.reference not in following


def test_my_tickets_shows_no_followed_section_to_who_follows_nothing(carla_client, make_ticket):
    make_ticket()
    assert (
        "Tickets you follow" not in carla_client.get(reverse("portal:ticket_list")).content.decode()
    )


@pytest.fixture
def carla_client(customer):
    client = Client()
    client.force_login(customer)
    return client


@pytest.mark.parametrize("count", [1, 12])
def test_my_tickets_takes_the_same_queries_however_many_are_followed(
    count, make_ticket, follower, follow, fran, django_assert_num_queries
):
    for _ in range(count):
        follow(make_ticket(Status.ASSIGNED), follower)
    make_ticket(Status.ASSIGNED, customer=follower)
    # session, user, count for the paginator, her tickets (+assignees), followed (+assignees)
    with django_assert_num_queries(5):
        page = fran.get(reverse("portal:ticket_list"))
    assert page.content.decode().count("Alex Agent") == count + 1


@pytest.fixture
def worked(make_ticket, agent, customer, follower, follow):
    """Carla's ticket in progress, followed by Fran: a reply with a file from Carla, an
    internal note with a file, and a staff-only note on a status change."""
    ticket = make_ticket(Status.ASSIGNED)
    workflow.transition(ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=agent, note=STAFF_NOTE)
    services.comment_add(
        ticket_id=ticket.pk,
        author=customer,
        body="Here is the log.",
        attachments=[SimpleUploadedFile("vpn.log", b"timeout", "text/plain")],
    )
    services.comment_add(
        ticket_id=ticket.pk,
        author=agent,
        body=SECRET,
        internal=True,
        attachments=[SimpleUploadedFile("secret.txt", b"secret", "text/plain")],
    )
    follow(ticket, follower)
    ticket.refresh_from_db()
    return ticket


def test_a_follower_reads_the_public_side_only(worked, fran):
    page = fran.get(portal(worked)).content.decode()
    assert "Here is the log." in page and "vpn.log" in page
    assert SECRET not in page and "secret.txt" not in page and STAFF_NOTE not in page
    assert "You follow this ticket" in page and "Carla Customer" in page


def test_a_follower_downloads_public_files_only(worked, fran):
    public = worked.attachments.get(original_name="vpn.log")
    internal = worked.attachments.get(original_name="secret.txt")
    assert fran.get(reverse("attachment_download", args=[public.pk])).status_code == 200
    assert fran.get(reverse("attachment_download", args=[internal.pk])).status_code == 404


def test_a_follower_gets_no_workflow_buttons_and_no_rating(make_ticket, follower, follow, fran):
    ticket = make_ticket(Status.RESOLVED)
    follow(ticket, follower)
    page = fran.get(portal(ticket)).content.decode()
    assert 'name="action"' not in page and "Rate our help" not in page
    assert "Send reply" in page


@pytest.mark.parametrize("comments", [1, 15])
def test_the_ticket_page_costs_a_follower_the_same_queries(
    comments, worked, customer, agent, fran, django_assert_num_queries
):
    for i in range(comments):
        services.comment_add(
            ticket_id=worked.pk, author=agent if i % 2 else customer, body=f"message {i}"
        )
    # session, user, ticket (+customer, category, assignee), comments (+authors), their files,
    # the opening files, the history (+actors, assignees)
    with django_assert_num_queries(7):
        fran.get(portal(worked))


# --- What a follower does -------------------------------------------------------------------


def test_a_followers_reply_is_a_public_comment_by_them_and_moves_no_status(
    make_ticket, follower, follow, fran
):
    ticket = make_ticket(Status.ON_HOLD)
    follow(ticket, follower)
    response = fran.post(portal(ticket, "reply"), {"body": "Carla is away; it is v2.3."})
    assert response.status_code == 302
    comment = Comment.objects.get(body="Carla is away; it is v2.3.")
    assert comment.author == follower and not comment.is_internal
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD and ticket.customer_replied_at is None


@pytest.mark.parametrize(
    ("status", "action"),
    [(Status.RESOLVED, "confirm"), (Status.RESOLVED, "reopen"), (Status.IN_PROGRESS, "withdraw")],
)
def test_confirm_reopen_and_withdraw_stay_the_customers(
    status, action, make_ticket, follower, follow, fran
):
    ticket = make_ticket(status)
    follow(ticket, follower)
    response = fran.post(
        portal(ticket, "action"),
        {"action": action, "note": "Because.", "version": ticket.public_version},
    )
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == status


def test_a_follower_cannot_rate(make_ticket, follower, follow, fran):
    ticket = make_ticket(Status.RESOLVED)
    follow(ticket, follower)
    assert fran.post(portal(ticket, "rate"), {"score": 5}).status_code == 403
    assert not Rating.objects.exists()


def test_a_follower_never_writes_an_internal_note(make_ticket, follower, follow):
    ticket = make_ticket()
    follow(ticket, follower)
    with pytest.raises(NotPermitted):
        services.comment_add(ticket_id=ticket.pk, author=follower, body="x", internal=True)


# --- What a follower hears ------------------------------------------------------------------


def recipients(event, **filters):
    return sorted(n.recipient.email for n in Notification.objects.filter(event=event, **filters))


def test_staff_replies_reach_the_customer_and_followers_internal_notes_nobody(
    make_ticket, follower, follow, agent, neighbour
):
    ticket = make_ticket(Status.IN_PROGRESS)
    follow(ticket, follower)
    follow(ticket, neighbour)
    note = services.comment_add(ticket_id=ticket.pk, author=agent, body=SECRET, internal=True)
    reply = services.comment_add(ticket_id=ticket.pk, author=agent, body="Fixed?")
    assert not Notification.objects.filter(comment=note).exists()
    assert recipients(Event.REPLY, comment=reply) == [
        "carla@example.com",
        "fran@example.com",
        "nick@example.com",
    ]


def test_a_followers_reply_reaches_the_assignee_and_the_customer_not_themselves(
    make_ticket, follower, follow
):
    ticket = make_ticket(Status.IN_PROGRESS)
    follow(ticket, follower)
    reply = services.comment_add(ticket_id=ticket.pk, author=follower, body="Same here.")
    assert recipients(Event.REPLY, comment=reply) == ["alex@example.com", "carla@example.com"]


def test_a_removed_or_deactivated_follower_hears_nothing_more(
    make_ticket, follower, neighbour, follow, agent
):
    ticket = make_ticket(Status.IN_PROGRESS)
    follow(ticket, follower)
    follow(ticket, neighbour)
    followers.follower_remove(ticket_id=ticket.pk, user_id=follower.pk, removed_by=agent)
    neighbour.is_active = False
    neighbour.save()
    reply = services.comment_add(ticket_id=ticket.pk, author=agent, body="Fixed?")
    assert recipients(Event.REPLY, comment=reply) == ["carla@example.com"]


def test_followers_hear_the_customers_status_mails_as_followers(
    make_ticket, follower, follow, agent
):
    ticket = make_ticket(Status.IN_PROGRESS)
    follow(ticket, follower)
    workflow.transition(ticket_id=ticket.pk, to=Status.RESOLVED, actor=agent, note="New cert.")
    assert recipients(Event.RESOLVED) == ["carla@example.com", "fran@example.com"]
    mails = {
        n.recipient.email: notifications.render(n)
        for n in Notification.objects.filter(event=Event.RESOLVED)
    }
    to_fran, to_carla = mails["fran@example.com"], mails["carla@example.com"]
    assert "which you follow, has been resolved" in to_fran.body and "New cert." in to_fran.body
    assert "#confirm" not in to_fran.body and "#confirm" not in to_fran.alternatives[0][0]
    assert "#confirm" in to_carla.body and "Your ticket" in to_carla.body
    assert f"/tickets/{ticket.pk}/" in to_fran.body and "/agent/" not in to_fran.body


def test_a_follower_who_opted_out_gets_not_even_the_essential_mails(
    make_ticket, follower, follow, agent
):
    follower.notify_by_email = False
    follower.save()
    ticket = make_ticket(Status.IN_PROGRESS)
    follow(ticket, follower)
    workflow.transition(ticket_id=ticket.pk, to=Status.RESOLVED, actor=agent, note="Done.")
    assert recipients(Event.RESOLVED) == ["carla@example.com"]


def test_staff_only_notes_never_reach_a_follower(make_ticket, follower, follow, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    follow(ticket, follower)
    workflow.transition(
        ticket_id=ticket.pk, to=Status.ON_HOLD, actor=agent, note="Which client version?"
    )
    services.comment_add(ticket_id=ticket.pk, author=agent, body=SECRET, internal=True)
    sent = [notifications.render(n) for n in Notification.objects.filter(recipient=follower)]
    assert [m.subject.split("]")[1].split(":")[0].strip() for m in sent] == ["We need your reply"]
    assert all(SECRET not in m.body and SECRET not in m.alternatives[0][0] for m in sent)
    assert "Which client version?" in sent[0].body


# --- The agent's page -----------------------------------------------------------------------


def test_an_agent_adds_and_removes_a_follower_on_the_ticket_page(make_ticket, follower, alex):
    ticket = make_ticket()
    added = alex.post(
        reverse("agent:follower_add", args=[ticket.pk]), {"email": "Fran@example.com"}
    )
    assert added.status_code == 302
    page = alex.get(reverse("agent:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Fran Follower" in page and "added by Alex Agent" in page
    removed = alex.post(reverse("agent:follower_remove", args=[ticket.pk, follower.pk]))
    assert removed.status_code == 302
    assert not TicketFollower.objects.exists()


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("nobody@example.com", followers.NO_SUCH_CUSTOMER),
        ("bo@example.com", followers.STAFF_SEE_ALL),
        ("carla@example.com", followers.IS_THE_CUSTOMER),
        ("not an address", "Enter a valid email address."),
    ],
)
def test_the_ticket_page_says_why_a_follower_was_not_added(
    email, reason, make_ticket, other_agent, alex
):
    ticket = make_ticket()
    response = alex.post(reverse("agent:follower_add", args=[ticket.pk]), {"email": email})
    assert response.status_code == 400
    assert str(reason) in response.content.decode().replace("&#x27;", "'")
    assert not TicketFollower.objects.exists()


def test_removing_who_does_not_follow_any_more_says_so(make_ticket, follower, alex):
    ticket = make_ticket()
    url = reverse("agent:follower_remove", args=[ticket.pk, follower.pk])
    page = alex.post(url, follow=True).content.decode()
    assert str(followers.NOT_A_FOLLOWER) in page
