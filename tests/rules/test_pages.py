"""The trigger pages: list, create, edit, reorder, switch off, and the test on a ticket."""

import pytest
from django.urls import reverse

from tickets import services
from tickets.models import FieldChange, Trigger

pytestmark = pytest.mark.django_db

URGENT = {"type": "set_priority", "value": "urgent"}


@pytest.fixture
def mia(client, manager):
    client.force_login(manager)
    return client


def _form(**overrides):
    data = {
        "name": "VPN is urgent",
        "event": "created",
        "enabled": "on",
        "c1_field": "service",
        "c1_op": "is",
        "c1_value": "vpn",
        "a1_type": "set_priority",
        "a1_priority": "urgent",
    }
    data.update(overrides)
    return data


def test_a_manager_creates_a_trigger_from_the_page(mia, category, customer):
    response = mia.post(reverse("agent:trigger_new"), _form())
    trigger = Trigger.objects.get()
    assert response.status_code == 302
    assert trigger.conditions == [{"field": "service", "op": "is", "value": category.pk}]
    assert trigger.actions == [{"type": "set_priority", "value": "urgent"}]
    ticket = services.ticket_create(
        customer=customer, subject="x", description="y", created_by=customer, category=category
    )
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"


def test_bad_conditions_and_actions_are_form_errors_that_keep_what_was_typed(mia):
    response = mia.post(
        reverse("agent:trigger_new"),
        _form(
            c1_value="No such service",
            c2_field="customer_domain",
            c2_op="is",
            c2_value="@@",
            a1_priority="",
        ),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Condition 1: There is no service" in page
    assert "Condition 2: Give a domain" in page
    assert "Action 1: Choose a priority" in page
    assert 'value="No such service"' in page
    assert not Trigger.objects.exists()


def test_an_operator_that_does_not_fit_the_condition_is_refused(mia):
    response = mia.post(reverse("agent:trigger_new"), _form(c1_op="contains_any"))
    assert response.status_code == 400
    assert "does not go with" in response.content.decode()


def test_no_action_is_refused(mia):
    response = mia.post(reverse("agent:trigger_new"), _form(a1_type=""))
    assert response.status_code == 400
    assert "give at least one" in response.content.decode()


def test_testing_on_a_ticket_shows_the_outcome_and_saves_nothing(mia, make_ticket):
    ticket = make_ticket()
    response = mia.post(reverse("agent:trigger_new"), _form(sample=ticket.reference, **{"try": ""}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "✔ holds" in page
    assert "It would:" in page and "Set the priority: urgent" in page
    assert not Trigger.objects.exists()
    assert not FieldChange.objects.exists()


def test_testing_needs_a_real_ticket(mia):
    response = mia.post(reverse("agent:trigger_new"), _form(sample="HD-999999", **{"try": ""}))
    assert response.status_code == 400
    assert "No ticket has this reference" in response.content.decode()


def test_edit_shows_the_saved_rule_and_its_log(mia, make_trigger, customer, category):
    trigger = make_trigger(
        "VPN", conditions=[{"field": "service", "op": "is", "value": category.pk}], actions=[URGENT]
    )
    services.ticket_create(
        customer=customer, subject="x", description="y", created_by=customer, category=category
    )
    page = mia.get(reverse("agent:trigger_edit", args=[trigger.pk])).content.decode()
    assert "Priority set to Urgent." in page
    assert 'value="VPN"' in page


def test_reorder_and_switch_off(mia, make_trigger):
    first, second = (
        make_trigger("first", actions=[URGENT]),
        make_trigger("second", actions=[URGENT]),
    )
    mia.post(reverse("agent:trigger_move", args=[second.pk]), {"direction": "up"})
    assert list(Trigger.objects.order_by("position").values_list("name", flat=True)) == [
        "second",
        "first",
    ]
    mia.post(reverse("agent:trigger_switch", args=[first.pk]), {"enabled": "off"})
    first.refresh_from_db()
    assert not first.enabled


def test_a_bad_direction_is_refused_without_change(mia, make_trigger):
    trigger = make_trigger(actions=[URGENT])
    response = mia.post(reverse("agent:trigger_move", args=[trigger.pk]), {"direction": "sideways"})
    assert response.status_code == 302
    trigger.refresh_from_db()
    assert trigger.position == 0


def test_the_list_costs_the_same_queries_for_many_triggers(
    mia, make_trigger, django_assert_num_queries
):
    for n in range(5):
        make_trigger(f"rule {n}", actions=[URGENT])
    # session, user, the triggers
    with django_assert_num_queries(3):
        response = mia.get(reverse("agent:triggers"))
    assert response.content.decode().count("switch off") == 5


def test_the_edit_page_queries(mia, make_trigger, django_assert_num_queries):
    trigger = make_trigger(actions=[URGENT])
    # session, user, the trigger, the teams and the agents the form offers, the log
    with django_assert_num_queries(6):
        mia.get(reverse("agent:trigger_edit", args=[trigger.pk]))


# --- Automations ------------------------------------------------------------------------------


def _automation_form(**overrides):
    data = {
        "name": "Remind after 3 days",
        "enabled": "on",
        "c1_field": "status",
        "c1_op": "is",
        "c1_value": "on_hold",
        "c2_field": "time_in_status",
        "c2_op": "at_least",
        "c2_value": "3d",
        "a1_type": "notify",
        "a1_to": "customer",
        "a1_subject": "Still there?",
        "a1_text": "We wait for your answer.",
    }
    data.update(overrides)
    return data


def test_a_manager_creates_an_automation_from_the_page(mia):
    from tickets.models import Automation

    response = mia.post(reverse("agent:automation_new"), _automation_form())
    assert response.status_code == 302
    automation = Automation.objects.get(builtin="", name="Remind after 3 days")
    assert automation.conditions[1] == {"field": "time_in_status", "op": "at_least", "value": "3d"}
    assert automation.actions[0]["to"] == "customer"


def test_an_automation_without_a_time_or_with_a_bad_one_is_refused(mia):
    from tickets.models import Automation

    count = Automation.objects.count()
    response = mia.post(reverse("agent:automation_new"), _automation_form(c2_field=""))
    assert response.status_code == 400
    assert "elapsed-time" in response.content.decode()
    response = mia.post(reverse("agent:automation_new"), _automation_form(c2_value="soon"))
    assert response.status_code == 400
    assert "such as 15m" in response.content.decode()
    assert Automation.objects.count() == count


def test_an_automation_is_switched_off_from_the_list(mia, make_automation):
    automation = make_automation(
        conditions=[{"field": "time_in_status", "op": "at_least", "value": "1d"}],
        actions=[{"type": "add_note", "body": "x"}],
    )
    mia.post(reverse("agent:automation_switch", args=[automation.pk]), {"enabled": "off"})
    automation.refresh_from_db()
    assert not automation.enabled


def test_the_automation_list_queries(mia, make_automation, django_assert_num_queries):
    for n in range(4):
        make_automation(
            f"a{n}",
            conditions=[{"field": "time_in_status", "op": "at_least", "value": "1d"}],
            actions=[{"type": "add_note", "body": "x"}],
        )
    # session, user, the automations
    with django_assert_num_queries(3):
        response = mia.get(reverse("agent:automations"))
    assert response.content.decode().count("switch off") >= 4


def test_the_automation_edit_page_queries(mia, make_automation, django_assert_num_queries):
    automation = make_automation(
        conditions=[{"field": "time_in_status", "op": "at_least", "value": "1d"}],
        actions=[{"type": "add_note", "body": "x"}],
    )
    # session, user, the automation, the teams and the agents the form offers, the log
    with django_assert_num_queries(6):
        mia.get(reverse("agent:automation_edit", args=[automation.pk]))
