"""Times on pages read in the viewer's time zone (chosen on the profile, else the help
desk's); the API keeps speaking UTC."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from tickets.models import Ticket

MOMENT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def choose_zone(client, user, zone):
    client.force_login(user)
    return client.post(
        reverse("profile"),
        {
            "display_name": user.display_name,
            "email": user.email,
            "notify_by_email": "on",
            "time_zone": zone,
        },
    )


@pytest.fixture
def ticket(make_ticket):
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(created_at=MOMENT)
    return ticket


def hover_times(client, ticket):
    page = client.get(reverse("agent:ticket_detail", args=[ticket.pk])).content.decode()
    return page


def test_times_on_hover_are_in_the_help_desks_zone_by_default(client, agent, ticket, settings):
    settings.HELPDESK_TIME_ZONE = "Europe/Berlin"
    client.force_login(agent)
    assert 'title="2026-01-15 13:00 CET"' in hover_times(client, ticket)


def test_a_person_chooses_their_own_zone_and_reads_times_in_it(client, agent, ticket):
    assert choose_zone(client, agent, "America/New_York").status_code == 302
    agent.refresh_from_db()
    assert agent.time_zone == "America/New_York"
    assert 'title="2026-01-15 07:00 EST"' in hover_times(client, ticket)
    # For machines the moment keeps its offset, whatever the zone.
    assert 'datetime="2026-01-15T07:00:00-05:00"' in hover_times(client, ticket)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "EST5EDT", "../../etc/passwd"])
def test_a_zone_that_does_not_exist_is_refused(client, agent, zone):
    response = choose_zone(client, agent, zone)
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    agent.refresh_from_db()
    assert agent.time_zone == ""


def test_the_api_speaks_utc_whatever_the_zone(client, agent, ticket):
    choose_zone(client, agent, "Asia/Tokyo")
    response = client.get(reverse("api:ticket-detail", args=[ticket.pk]))
    assert response.json()["created_at"] == "2026-01-15T12:00:00Z"
