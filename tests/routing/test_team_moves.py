"""Moving a ticket between teams: on the ticket page, in the bulk form and through the API;
recorded with who and why; offered to the new team when it assigns automatically; never
into or out of a team the mover may not work."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from tickets import services
from tickets.errors import NotPermitted, TicketClosed, WorkflowError
from tickets.models import FieldChange, Team, Ticket
from tickets.status import Status

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def move(ticket, team, actor, note="Belongs to the network people"):
    return services.ticket_team_move(ticket_id=ticket.pk, team=team, actor=actor, note=note)


@pytest.fixture
def two_teams(make_team):
    return make_team("Desk", strategy=Team.Strategy.OFF), make_team(
        "Network", strategy=Team.Strategy.OFF
    )


def test_an_agent_moves_a_ticket_and_the_history_says_who_and_why(agent, make_ticket, two_teams):
    desk, network = two_teams
    ticket = make_ticket(Status.OPEN)
    Ticket.objects.filter(pk=ticket.pk).update(team=desk)
    move(ticket, network, agent, note="A VPN problem")
    ticket.refresh_from_db()
    assert ticket.team == network
    change = FieldChange.objects.get(ticket=ticket, field=FieldChange.Field.TEAM)
    assert (change.old_value, change.new_value) == (str(desk.pk), str(network.pk))
    assert (change.actor, change.note) == (agent, "A VPN problem")


def test_a_move_needs_a_reason_and_changes_nothing_without_one(agent, make_ticket, two_teams):
    ticket = make_ticket(Status.OPEN)
    with pytest.raises(ValidationError) as refused:
        move(ticket, two_teams[1], agent, note="  ")
    assert "note" in refused.value.message_dict
    assert Ticket.objects.get(pk=ticket.pk).team_id is None
    assert not FieldChange.objects.filter(ticket=ticket).exists()


def test_moving_to_the_same_team_records_nothing(agent, make_ticket, two_teams):
    ticket = make_ticket(Status.OPEN)
    move(ticket, None, agent, note="")
    assert not FieldChange.objects.filter(ticket=ticket).exists()


def test_a_closed_ticket_stays_where_it_is(agent, make_ticket, two_teams):
    ticket = make_ticket(Status.CLOSED)
    with pytest.raises(TicketClosed):
        move(ticket, two_teams[0], agent)


def test_a_customer_cannot_move_their_ticket(customer, make_ticket, two_teams):
    ticket = make_ticket(Status.OPEN)
    with pytest.raises(NotPermitted):
        move(ticket, two_teams[0], customer)


def test_an_open_ticket_moved_to_an_automatic_team_is_assigned_at_once(
    agent, other_agent, make_ticket, make_team
):
    routed = make_team("Network", members=[other_agent])
    ticket = make_ticket(Status.OPEN)
    move(ticket, routed, agent)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.ASSIGNED, other_agent)
    assert ticket.history.last().rule == f"routing:least_loaded:team={routed.pk}"


def test_a_worked_ticket_moved_keeps_its_agent(agent, other_agent, make_ticket, make_team):
    routed = make_team("Network", members=[other_agent])
    ticket = make_ticket(Status.IN_PROGRESS)  # Alex works on it
    move(ticket, routed, agent)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.team) == (Status.IN_PROGRESS, agent, routed)


def test_an_agent_cannot_move_a_ticket_into_or_out_of_a_restricted_team_they_are_not_in(
    agent, other_agent, make_ticket, make_team
):
    secret = make_team("Security", members=[other_agent], restricted=True)
    ticket = make_ticket(Status.OPEN)
    with pytest.raises(NotPermitted):
        move(ticket, secret, agent)
    Ticket.objects.filter(pk=ticket.pk).update(team=secret)
    with pytest.raises(NotPermitted):
        move(ticket, None, agent)
    assert not FieldChange.objects.filter(ticket=ticket).exists()


def test_a_restricted_team_refuses_an_assignee_who_is_not_a_member(
    manager, other_agent, make_ticket, make_team
):
    secret = make_team("Security", members=[other_agent], restricted=True)
    ticket = make_ticket(Status.IN_PROGRESS)  # Alex, not in Security, works on it
    with pytest.raises(WorkflowError, match="reassign the ticket first"):
        move(ticket, secret, manager)
    assert Ticket.objects.get(pk=ticket.pk).team_id is None


# --- The ticket page -------------------------------------------------------------------------


def test_the_ticket_page_moves_a_ticket_and_shows_the_move_in_the_history(
    client, agent, make_ticket, two_teams
):
    ticket = make_ticket(Status.OPEN)
    client.force_login(agent)
    response = client.post(
        reverse("agent:ticket_team", args=[ticket.pk]),
        {"team": two_teams[1].pk, "note": "VPN", "version": ticket.version},
    )
    assert response.status_code == 302
    assert response.url == reverse("agent:ticket_detail", args=[ticket.pk])
    page = client.get(response.url).content.decode()
    assert "Moved from team none to Network" in page


def test_the_page_refuses_a_move_without_a_reason_and_keeps_the_choice(
    client, agent, make_ticket, two_teams
):
    ticket = make_ticket(Status.OPEN)
    client.force_login(agent)
    response = client.post(
        reverse("agent:ticket_team", args=[ticket.pk]),
        {"team": two_teams[1].pk, "note": "", "version": ticket.version},
    )
    assert response.status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).team_id is None


@pytest.mark.parametrize(
    "body", [{"team": "abc"}, {"team": "999999"}, {"version": "x"}, {"note": "x" * 10_001}]
)
def test_the_page_answers_bad_input_with_400(client, agent, make_ticket, two_teams, body):
    ticket = make_ticket(Status.OPEN)
    client.force_login(agent)
    form = {"team": two_teams[0].pk, "note": "why", "version": ticket.version, **body}
    response = client.post(reverse("agent:ticket_team", args=[ticket.pk]), form)
    assert response.status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).team_id is None


def test_a_stale_page_is_told_the_ticket_changed(client, agent, make_ticket, two_teams):
    ticket = make_ticket(Status.OPEN)
    client.force_login(agent)
    response = client.post(
        reverse("agent:ticket_team", args=[ticket.pk]),
        {"team": two_teams[0].pk, "note": "why", "version": ticket.version - 1 or 99},
    )
    assert response.status_code == 409


def test_an_agent_who_moves_a_ticket_out_of_their_sight_lands_on_the_queue(
    client, agent, make_ticket, make_team, monkeypatch
):
    vault = make_team("Vault", members=[agent], restricted=True, strategy=Team.Strategy.OFF)
    ticket = make_ticket(Status.OPEN)
    # Alex leaves the team between the check and the answer (a manager's change at that
    # moment): the page cannot show the ticket any more.
    real = services.ticket_team_move

    def then_removed(**kwargs):
        moved = real(**kwargs)
        vault.members.set([])
        return moved

    monkeypatch.setattr(services, "ticket_team_move", then_removed)
    client.force_login(agent)
    response = client.post(
        reverse("agent:ticket_team", args=[ticket.pk]),
        {"team": vault.pk, "note": "Ours", "version": ticket.version},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("agent:queue")
    assert "that team&#x27;s tickets are for its members" in response.content.decode()


# --- The bulk form ---------------------------------------------------------------------------


def test_the_bulk_form_moves_the_selected_tickets(client, agent, make_ticket, two_teams):
    first, second = make_ticket(Status.OPEN), make_ticket(Status.IN_PROGRESS)
    client.force_login(agent)
    response = client.post(
        reverse("agent:bulk"),
        {
            "tickets": [first.pk, second.pk],
            "action": "move_team",
            "team": two_teams[1].pk,
            "note": "Network issues",
        },
    )
    assert response.status_code == 302
    assert set(Ticket.objects.filter(team=two_teams[1]).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert FieldChange.objects.filter(field="team", note="Network issues").count() == 2


@pytest.mark.parametrize(
    ("team", "note"), [("", "why"), ("abc", "why"), ("999999", "why"), ("TEAM", "")]
)
def test_the_bulk_form_refuses_a_move_without_a_team_or_reason(
    client, agent, make_ticket, two_teams, team, note
):
    ticket = make_ticket(Status.OPEN)
    client.force_login(agent)
    team = str(two_teams[0].pk) if team == "TEAM" else team
    response = client.post(
        reverse("agent:bulk"),
        {"tickets": [ticket.pk], "action": "move_team", "team": team, "note": note},
    )
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).team_id is None


def test_the_bulk_form_moves_to_no_team(client, agent, make_ticket, two_teams):
    ticket = make_ticket(Status.OPEN)
    Ticket.objects.filter(pk=ticket.pk).update(team=two_teams[0])
    client.force_login(agent)
    client.post(
        reverse("agent:bulk"),
        {"tickets": [ticket.pk], "action": "move_team", "team": "none", "note": "Anyone"},
    )
    assert Ticket.objects.get(pk=ticket.pk).team_id is None


def test_the_bulk_form_refuses_a_restricted_team_ticket_by_ticket(
    client, agent, other_agent, make_ticket, make_team
):
    secret = make_team("Security", members=[other_agent], restricted=True)
    ticket = make_ticket(Status.OPEN)
    client.force_login(agent)
    client.post(
        reverse("agent:bulk"),
        {"tickets": [ticket.pk], "action": "move_team", "team": secret.pk, "note": "why"},
    )
    assert Ticket.objects.get(pk=ticket.pk).team_id is None


# --- The API ---------------------------------------------------------------------------------


def test_the_api_moves_a_ticket(agent, make_ticket, two_teams):
    ticket = make_ticket(Status.OPEN)
    response = api(agent).post(
        f"/api/v1/tickets/{ticket.pk}/team/",
        {"team": two_teams[1].pk, "note": "VPN"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["team"] == two_teams[1].pk


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"team": 999999, "note": "why"}, 400),
        ({"team": "x", "note": "why"}, 400),
        ({"team": None}, 400),
        ({"team": None, "note": ""}, 400),
        ({"team": None, "note": "why", "version": 99}, 409),
        ({"team": None, "note": "why", "extra": 1}, 400),
    ],
)
def test_the_api_refuses_bad_moves(agent, make_ticket, two_teams, body, code):
    ticket = make_ticket(Status.OPEN)
    Ticket.objects.filter(pk=ticket.pk).update(team=two_teams[0])
    response = api(agent).post(f"/api/v1/tickets/{ticket.pk}/team/", body, format="json")
    assert response.status_code == code, response.json()
    assert Ticket.objects.get(pk=ticket.pk).team_id == two_teams[0].pk


def test_the_api_hides_a_restricted_team_from_an_agent_outside_it(
    agent, other_agent, make_ticket, make_team
):
    secret = make_team("Security", members=[other_agent], restricted=True)
    ticket = make_ticket(Status.OPEN)
    response = api(agent).post(
        f"/api/v1/tickets/{ticket.pk}/team/", {"team": secret.pk, "note": "why"}, format="json"
    )
    assert response.status_code == 400
    assert "No such team." in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).team_id is None
