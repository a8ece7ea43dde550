"""/api/v1/triggers/: staff read, managers write (others 403), bad rules are 400s that name
each bad condition or action, the test on a ticket writes nothing."""

import pytest
from rest_framework.test import APIClient

from tickets.models import FieldChange, Trigger

pytestmark = pytest.mark.django_db

URGENT = {"type": "set_priority", "value": "urgent"}


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _body(**overrides):
    body = {
        "name": "Outages are urgent",
        "event": "created",
        "conditions": [{"field": "subject", "op": "contains_any", "value": "outage"}],
        "actions": [URGENT],
        "enabled": True,
    }
    body.update(overrides)
    return body


def test_a_manager_creates_reads_and_switches_off_a_trigger(manager, agent):
    created = api(manager).post("/api/v1/triggers/", _body(), format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["conditions"][0]["value"] == "outage"
    listed = api(agent).get("/api/v1/triggers/")
    assert [t["name"] for t in listed.json()] == ["Outages are urgent"]
    off = api(manager).patch(f"/api/v1/triggers/{pk}/", {"enabled": False}, format="json")
    assert off.status_code == 200
    assert off.json()["enabled"] is False
    assert off.json()["actions"] == [URGENT]


def test_an_agent_may_not_write_rules(agent, manager):
    assert api(agent).post("/api/v1/triggers/", _body(), format="json").status_code == 403
    trigger = api(manager).post("/api/v1/triggers/", _body(), format="json").json()
    refused = api(agent).patch(
        f"/api/v1/triggers/{trigger['id']}/", {"enabled": False}, format="json"
    )
    assert refused.status_code == 403
    assert Trigger.objects.get().enabled


def test_a_customer_is_not_told_rules_exist(customer):
    assert api(customer).get("/api/v1/triggers/").status_code == 404


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {"conditions": [{"field": "colour", "op": "is", "value": "red"}]},
            "conditions",
            "Unknown condition",
        ),
        (
            {"conditions": [{"field": "priority", "op": "is", "value": "asap"}]},
            "conditions",
            "cannot be",
        ),
        (
            {"conditions": [{"field": "time_in_status", "op": "at_least", "value": "3d"}]},
            "conditions",
            "for automations",
        ),
        ({"conditions": "priority=high"}, "conditions", "list"),
        ({"actions": []}, "actions", "empty"),
        ({"actions": [{"type": "explode"}]}, "actions", "Unknown action"),
        ({"actions": [{"type": "assign_agent", "value": 999999}]}, "actions", "no active agent"),
        (
            {"actions": [{"type": "notify", "to": "everyone", "subject": "x", "body": "y"}]},
            "actions",
            "Send it to",
        ),
        ({"actions": [{"type": "add_note", "body": "a\u0000b"}]}, "actions", "NUL"),
        ({"event": "deleted"}, "event", ""),
        ({"unknown": 1}, "unknown", ""),
    ],
)
def test_bad_rules_are_400_naming_what_is_wrong(manager, change, field, words):
    response = api(manager).post("/api/v1/triggers/", _body(**change), format="json")
    assert response.status_code == 400, response.json()
    assert words in str(response.json())
    assert field in str(response.json())
    assert not Trigger.objects.exists()


def test_the_test_on_a_ticket_answers_and_writes_nothing(manager, make_ticket):
    ticket = make_ticket(subject="Total outage")
    response = api(manager).post(
        "/api/v1/triggers/test/",
        {"ticket": ticket.pk, "conditions": _body()["conditions"], "actions": [URGENT]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["matches"] is True
    assert response.json()["would_do"] == ["Set the priority: urgent"]
    assert not FieldChange.objects.exists()


def test_the_test_on_a_missing_ticket_is_400(manager):
    response = api(manager).post(
        "/api/v1/triggers/test/",
        {"ticket": 999999, "conditions": [], "actions": [URGENT]},
        format="json",
    )
    assert response.status_code == 400


def test_the_list_costs_the_same_queries_for_many(manager, make_trigger, django_assert_num_queries):
    for n in range(4):
        make_trigger(f"r{n}", actions=[URGENT])
    client = api(manager)
    # the triggers (authentication is forced: no session or token query)
    with django_assert_num_queries(1):
        assert len(client.get("/api/v1/triggers/").json()) == 4


def test_a_manager_creates_an_automation_and_an_agent_may_not(manager, agent):
    body = {
        "name": "Urgent waits",
        "conditions": [
            {"field": "priority", "op": "is", "value": "urgent"},
            {"field": "time_since_creation", "op": "at_least", "value": "15m"},
        ],
        "actions": [{"type": "notify", "to": "managers", "subject": "Urgent", "body": "Look"}],
        "enabled": True,
    }
    assert api(agent).post("/api/v1/automations/", body, format="json").status_code == 403
    created = api(manager).post("/api/v1/automations/", body, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert api(agent).get(f"/api/v1/automations/{pk}/").json()["name"] == "Urgent waits"
    bad = api(manager).patch(
        f"/api/v1/automations/{pk}/",
        {"conditions": [{"field": "priority", "op": "is", "value": "urgent"}]},
        format="json",
    )
    assert bad.status_code == 400
    assert "elapsed-time" in str(bad.json())


def test_the_automation_test_on_a_ticket_reads_elapsed_time(manager, make_ticket):
    ticket = make_ticket()
    response = api(manager).post(
        "/api/v1/automations/test/",
        {
            "ticket": ticket.pk,
            "conditions": [{"field": "time_since_creation", "op": "at_least", "value": "1d"}],
            "actions": [URGENT],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["matches"] is False
