"""Live collision and queue updates: who else is on a ticket, whether the page is stale and
what changed, how many tickets are new; a stale action's refusal says who changed what; a
plain reply after a mere new comment goes through."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.conftest import travelled
from tickets import changes, combined, presence, services, workflow
from tickets.errors import TicketChanged
from tickets.models import Comment, Ticket
from tickets.status import Status

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def own_presence_cache(settings):
    """A presence cache of this test's own (ticket ids repeat between tests on SQLite)."""
    settings.CACHES = {
        **settings.CACHES,
        settings.PRESENCE_CACHE: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"presence-{uuid.uuid4()}",
        },
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def poll(client, ticket, *, version=None, typing=False, leaving=False):
    data = {"version": ticket.version if version is None else version}
    if typing:
        data["typing"] = "on"
    if leaving:
        data["leaving"] = "on"
    return client.post(reverse("agent:ticket_presence", args=[ticket.pk]), data)


def page_form(ticket, **extra) -> dict:
    """What the agent's composer sends, as the page rendered it for `ticket`."""
    return {
        "body": "Could you try the new client?",
        "visibility": "public",
        "version": ticket.version,
        "seen_at": ticket.updated_at.astimezone(UTC).isoformat(),
        **extra,
    }


# --- The ticket page's poll ----------------------------------------------------------------


def test_an_agent_sees_who_else_views_and_types(make_ticket, agent, other_agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    alex, bo = client_for(agent), client_for(other_agent)

    assert poll(alex, ticket).json()["viewers"] == []
    assert poll(bo, ticket, typing=True).json()["viewers"] == [
        {"name": "Alex Agent", "typing": False}
    ]
    answer = poll(alex, ticket).json()

    assert answer["viewers"] == [{"name": "Bo Agent", "typing": True}]
    assert answer["stale"] is False and answer["change"] is None
    assert answer["status"] == "in_progress" and answer["version"] == ticket.version


def test_an_agent_leaving_the_page_is_no_longer_shown(make_ticket, agent, other_agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    alex, bo = client_for(agent), client_for(other_agent)
    poll(bo, ticket)
    assert poll(bo, ticket, leaving=True).json() == {"left": True}

    assert poll(alex, ticket).json()["viewers"] == []


def test_typing_is_forgotten_seconds_after_the_last_key(make_ticket, agent, other_agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    presence.presence_touch(ticket_id=ticket.pk, user=other_agent, typing=True, now=1000.0)

    soon = presence.presence_touch(ticket_id=ticket.pk, user=agent, now=1001.0)
    later = presence.presence_touch(
        ticket_id=ticket.pk, user=agent, now=1000.0 + presence.TYPING_SECONDS + 1
    )

    assert [v.typing for v in soon] == [True]
    assert [v.typing for v in later] == [False]


def test_a_stale_page_is_told_a_new_reply_arrived(make_ticket, agent, customer):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Still broken.")

    answer = poll(client_for(agent), ticket).json()

    assert answer["stale"] is True
    assert answer["change"] == {
        "kind": "comment",
        "reply": True,
        "text": "Carla Customer replied just now.",
    }


def test_a_stale_page_is_told_who_changed_the_status(make_ticket, agent, manager):
    ticket = make_ticket(Status.IN_PROGRESS)
    workflow.transition(ticket_id=ticket.pk, to=Status.RESOLVED, actor=manager, note="Fixed.")

    answer = poll(client_for(agent), ticket).json()

    assert answer["stale"] is True and answer["status"] == "resolved"
    assert answer["change"]["text"] == "Mia Manager resolved it just now."


def test_the_poll_costs_three_queries_however_long_the_ticket(
    make_ticket, agent, customer, django_assert_max_num_queries
):
    ticket = make_ticket(Status.IN_PROGRESS)
    for number in range(5):
        services.comment_add(ticket_id=ticket.pk, author=customer, body=f"Message {number}")
    alex = client_for(agent)
    # The session, the user, the ticket with its newest changes.
    with travelled(MOMENT, alex), django_assert_max_num_queries(3):
        response = poll(alex, ticket, version=1, typing=True)
    assert response.status_code == 200 and response.json()["stale"] is True


def test_the_poll_is_refused_to_customers_and_for_unknown_tickets(
    make_ticket, agent, customer, neighbour
):
    ticket = make_ticket(Status.IN_PROGRESS)
    assert poll(client_for(customer), ticket).status_code == 404
    assert poll(client_for(neighbour), ticket).status_code == 404
    missing = reverse("agent:ticket_presence", args=[ticket.pk + 1000])
    assert client_for(agent).post(missing, {"version": 1}).status_code == 404
    signed_out = poll(Client(), ticket)
    assert signed_out.status_code == 302 and "/accounts/login/" in signed_out["Location"]


def test_a_poll_that_cannot_be_read_is_a_400_not_a_500(make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    url = reverse("agent:ticket_presence", args=[ticket.pk])
    alex = client_for(agent)

    assert alex.post(url, {"version": "x"}).status_code == 400
    assert alex.post(url, {}).json()["code"] == "invalid"
    assert alex.get(url).status_code == 405


# --- The queue's poll ----------------------------------------------------------------------


def test_the_queue_is_told_how_many_tickets_arrived_since_it_was_rendered(
    make_ticket, agent, django_assert_max_num_queries
):
    make_ticket(Status.OPEN)
    rendered = timezone.now()
    make_ticket(Status.OPEN)
    make_ticket(Status.OPEN)
    alex = client_for(agent)
    url = reverse("agent:queue_news")
    alex.get(url, {"since": rendered.isoformat()})

    with django_assert_max_num_queries(3):  # the session, the user, the count
        answer = alex.get(url, {"since": rendered.isoformat()}).json()

    assert answer["new"] == 2 and answer["more"] is False


def test_the_queue_poll_wants_a_time_with_its_offset(agent, customer):
    url = reverse("agent:queue_news")
    alex = client_for(agent)
    assert alex.get(url).status_code == 400
    assert alex.get(url, {"since": "yesterday"}).status_code == 400
    assert alex.get(url, {"since": "2026-12-01T10:00:00"}).status_code == 400
    assert alex.get(url, {"since": "2026-13-01T10:00:00+00:00"}).status_code == 400
    assert client_for(customer).get(url, {"since": MOMENT.isoformat()}).status_code == 404


# --- What a refusal says -------------------------------------------------------------------


def test_a_stale_action_is_refused_saying_who_changed_what(make_ticket, agent, manager):
    ticket = make_ticket(Status.IN_PROGRESS)
    workflow.transition(ticket_id=ticket.pk, to=Status.RESOLVED, actor=manager, note="Fixed.")

    response = client_for(agent).post(
        reverse("agent:ticket_action", args=[ticket.pk]),
        {"action": "hold", "version": ticket.version, "note": "Which client?"},
    )

    assert response.status_code == 409
    assert "changed since you loaded it: Mia Manager resolved it just now." in (
        response.content.decode()
    )


def test_the_api_refusal_says_who_changed_what(make_ticket, agent, other_agent, manager):
    ticket = make_ticket(Status.ASSIGNED)
    services.ticket_assign(ticket_id=ticket.pk, assignee=other_agent, actor=manager)

    response = client_for(agent).post(
        f"/api/v1/tickets/{ticket.pk}/transitions/",
        {"to": "in_progress", "version": ticket.version},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_changed"
    assert "Mia Manager reassigned it just now." in response.json()["detail"]


def test_a_refusal_names_the_system_and_the_time(make_ticket, agent):
    ticket = make_ticket(Status.RESOLVED)
    later = timezone.now() + timedelta(days=1)
    with travelled(later):
        workflow.transition(ticket_id=ticket.pk, to=Status.CLOSED, actor=None, note="Auto.")
    change = changes.latest_of(ticket_id=ticket.pk, viewer=agent)

    assert change.kind == "status" and change.at == later
    with travelled(later + timedelta(minutes=2)):
        assert changes.sentence(change) == "The help desk closed it 2\xa0minutes ago."


def test_a_customer_is_never_told_of_an_internal_note(make_ticket, agent, customer):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Secret.", internal=True)

    assert changes.latest_of(ticket_id=ticket.pk, viewer=agent).internal is True
    for_customer = changes.latest_of(ticket_id=ticket.pk, viewer=customer)
    assert for_customer.kind == "status" and for_customer.to_status == Status.IN_PROGRESS


# --- A reply that cannot conflict ----------------------------------------------------------


def test_a_reply_after_the_customers_new_comment_is_accepted(make_ticket, agent, customer):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Any news?")

    response = client_for(agent).post(
        reverse("agent:ticket_reply", args=[ticket.pk]), page_form(ticket)
    )

    assert response.status_code == 302
    assert Comment.objects.filter(ticket=ticket, author=agent).count() == 1


def test_a_reply_after_a_status_change_is_still_refused(make_ticket, agent, manager, customer):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Any news?")
    workflow.transition(ticket_id=ticket.pk, to=Status.RESOLVED, actor=manager, note="Fixed.")

    response = client_for(agent).post(
        reverse("agent:ticket_reply", args=[ticket.pk]), page_form(ticket)
    )

    assert response.status_code == 409
    assert "Mia Manager resolved it just now." in response.content.decode()
    assert not Comment.objects.filter(ticket=ticket, author=agent).exists()


def test_a_reply_after_a_field_change_is_still_refused(make_ticket, agent, manager):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.ticket_update(ticket_id=ticket.pk, actor=manager, priority="urgent")

    response = client_for(agent).post(
        reverse("agent:ticket_reply", args=[ticket.pk]), page_form(ticket)
    )

    assert response.status_code == 409
    assert "Mia Manager changed its priority just now." in response.content.decode()


def test_send_and_resolve_after_a_new_comment_is_still_refused(make_ticket, agent, customer):
    """A move depends on the state the page showed; the comment may change the decision."""
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=customer, body="It works again!")

    response = client_for(agent).post(
        reverse("agent:ticket_reply", args=[ticket.pk]), page_form(ticket, then="resolved")
    )

    assert response.status_code == 409
    assert "Carla Customer replied just now." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_a_stale_reply_without_the_time_it_was_written_on_is_refused(make_ticket, agent, customer):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Any news?")

    with pytest.raises(TicketChanged):
        services.comment_add(
            ticket_id=ticket.pk, author=agent, body="On it.", expected_version=ticket.version
        )
    comment = services.comment_add(
        ticket_id=ticket.pk,
        author=agent,
        body="On it.",
        expected_version=ticket.version,
        seen_at=ticket.updated_at,
    )
    assert comment.author == agent


def test_a_status_change_that_came_back_still_refuses_a_reply(make_ticket, agent, manager):
    """Resolved and reopened since: the status is the same, but not what the page showed."""
    ticket = make_ticket(Status.IN_PROGRESS)
    workflow.transition(ticket_id=ticket.pk, to=Status.RESOLVED, actor=manager, note="Fixed.")
    workflow.transition(ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=manager)

    with pytest.raises(TicketChanged, match="Mia Manager reopened it"):
        services.comment_add(
            ticket_id=ticket.pk,
            author=agent,
            body="On it.",
            expected_version=ticket.version,
            seen_at=ticket.updated_at,
        )


# --- The shared cache ----------------------------------------------------------------------


def test_presence_is_shared_through_redis_when_there_is_one(
    make_ticket, agent, other_agent, settings
):
    """Two cache clients (as two web processes have) agree on who is there."""
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set")
    from django.core.cache.backends.redis import RedisCache

    prefix = f"presence-test-{uuid.uuid4()}"
    options = {"KEY_PREFIX": prefix}
    settings.CACHES = {
        **settings.CACHES,
        settings.PRESENCE_CACHE: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            **options,
        },
    }
    ticket = make_ticket(Status.IN_PROGRESS)
    presence.presence_touch(ticket_id=ticket.pk, user=other_agent, typing=True)
    # A second process's own client to the same Redis.
    other_process = RedisCache(settings.REDIS_URL, options)
    assert list(other_process.get(f"ticket:{ticket.pk}:presence")) == [other_agent.pk]

    seen = presence.presence_touch(ticket_id=ticket.pk, user=agent)
    assert [(v.name, v.typing) for v in seen] == [("Bo Agent", True)]


def test_the_settings_keep_presence_in_a_shared_cache():
    from helpdesk import settings as configured  # as loaded, before this file's fixture

    backend = configured.CACHES[configured.PRESENCE_CACHE]["BACKEND"]
    if configured.REDIS_URL:
        assert backend == "django.core.cache.backends.redis.RedisCache"
    else:  # one development process
        assert backend == "django.core.cache.backends.locmem.LocMemCache"


def test_taking_a_ticket_someone_took_names_them(make_ticket, agent, other_agent):
    ticket = make_ticket(Status.OPEN)
    services.ticket_take(ticket_id=ticket.pk, agent=other_agent)

    with pytest.raises(TicketChanged, match=r"already taken: Bo Agent took it just now\."):
        services.ticket_take(ticket_id=ticket.pk, agent=agent)


# What may happen to a ticket between loading its page and sending from it, each through the
# services: a customer's reply, a colleague's internal note (neither moves the status or a
# field), a priority change, and a hold and resume (the status moves, and comes back).
EVENTS = ("customer_reply", "internal_note", "priority", "hold_and_resume")


def happen(event: str, ticket, *, customer, other_agent, manager) -> None:
    if event == "customer_reply":
        services.comment_add(ticket_id=ticket.pk, author=customer, body="Any news?")
    elif event == "internal_note":
        services.comment_add(ticket_id=ticket.pk, author=other_agent, body="FYI", internal=True)
    elif event == "priority":
        current = Ticket.objects.get(pk=ticket.pk).priority
        services.ticket_update(
            ticket_id=ticket.pk, actor=manager, priority="high" if current != "high" else "low"
        )
    else:
        workflow.transition(ticket_id=ticket.pk, to=Status.ON_HOLD, actor=manager, note="Wait.")
        workflow.transition(ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=manager)


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=st.lists(st.sampled_from(EVENTS), max_size=3),
    then=st.sampled_from(["", "resolved", "on_hold"]),
)
def test_only_a_plain_reply_after_mere_comments_survives_a_stale_page(
    events, then, make_ticket, agent, other_agent, manager, customer
):
    ticket = make_ticket(Status.IN_PROGRESS)  # the page Alex loaded
    for event in events:
        happen(event, ticket, customer=customer, other_agent=other_agent, manager=manager)
    moved = bool(set(events) & {"priority", "hold_and_resume"})

    try:
        combined.reply_and_move(
            ticket_id=ticket.pk,
            actor=agent,
            body="Try the new client.",
            target=then or None,
            note="Done." if then else "",
            expected_version=ticket.version,
            seen_at=ticket.updated_at,
        )
    except TicketChanged:
        accepted = False
    else:
        accepted = True

    assert accepted == (not events or (not then and not moved)), (events, then)


def test_an_api_reply_sent_with_the_time_it_saw_survives_a_customers_comment(
    make_ticket, agent, customer
):
    ticket = make_ticket(Status.IN_PROGRESS)
    alex = client_for(agent)
    seen = alex.get(f"/api/v1/tickets/{ticket.pk}/").json()
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Any news?")
    url = f"/api/v1/tickets/{ticket.pk}/comments/"

    stale = alex.post(url, {"body": "On it.", "version": seen["version"]}, "application/json")
    accepted = alex.post(
        url,
        {"body": "On it.", "version": seen["version"], "seen_at": seen["updated_at"]},
        "application/json",
    )

    assert stale.status_code == 409
    assert "Carla Customer replied just now." in stale.json()["detail"]
    assert accepted.status_code == 201
