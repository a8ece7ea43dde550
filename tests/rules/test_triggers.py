"""Triggers: each condition and each action on a real ticket, a refused transition that
leaves the rest standing, the loop guard, and the order."""

import itertools

import pytest

from tickets import services, workflow
from tickets.models import (
    Channel,
    Comment,
    FieldChange,
    Notification,
    RuleLog,
    StatusHistory,
    Team,
    Ticket,
    TicketFollower,
)
from tickets.rules import triggers
from tickets.status import HoldKind, Priority, Status

pytestmark = pytest.mark.django_db

URGENT = {"type": "set_priority", "value": "urgent"}


def _report(customer, category=None, subject="The VPN drops", **kwargs):
    return services.ticket_create(
        customer=customer,
        subject=subject,
        description="Every ten minutes.",
        created_by=kwargs.pop("created_by", customer),
        category=category,
        **kwargs,
    )


def _priority(ticket):
    return Ticket.objects.get(pk=ticket.pk).priority


# --- One trigger per condition -------------------------------------------------------------


def test_channel_condition_matches_only_that_channel(make_trigger, customer):
    make_trigger(conditions=[{"field": "channel", "op": "is", "value": "api"}], actions=[URGENT])
    by_portal = _report(customer)
    by_api = _report(customer, channel=Channel.API)
    assert (_priority(by_portal), _priority(by_api)) == ("normal", "urgent")


def test_service_condition(make_trigger, customer, category):
    make_trigger(
        conditions=[{"field": "service", "op": "is", "value": category.pk}], actions=[URGENT]
    )
    assert _priority(_report(customer, category)) == "urgent"
    assert _priority(_report(customer)) == "normal"


def test_priority_condition(make_trigger, customer, agent):
    make_trigger(
        conditions=[{"field": "priority", "op": "is", "value": "high"}],
        actions=[{"type": "add_note", "body": "High: look today."}],
    )
    high = _report(customer, priority=Priority.HIGH)
    normal = _report(customer)
    notes = Comment.objects.filter(is_internal=True)
    assert [c.ticket_id for c in notes] == [high.pk]
    assert normal.pk not in {c.ticket_id for c in notes}


def test_customer_domain_condition(make_trigger, customer, neighbour):
    make_trigger(
        conditions=[{"field": "customer_domain", "op": "is", "value": "EXAMPLE.com"}],
        actions=[URGENT],
    )
    assert _priority(_report(customer)) == "urgent"


def test_customer_domain_is_not(make_trigger, customer):
    make_trigger(
        conditions=[{"field": "customer_domain", "op": "is_not", "value": "example.com"}],
        actions=[URGENT],
    )
    assert _priority(_report(customer)) == "normal"


def test_subject_words_condition_matches_whole_words(make_trigger, customer):
    make_trigger(
        conditions=[{"field": "subject", "op": "contains_any", "value": "outage, down"}],
        actions=[URGENT],
    )
    assert _priority(_report(customer, subject="Total OUTAGE in Paris")) == "urgent"
    assert _priority(_report(customer, subject="Download is slow")) == "normal"


def test_status_and_hold_kind_conditions_on_update(make_trigger, make_ticket, agent, manager):
    make_trigger(
        event="updated",
        conditions=[
            {"field": "status", "op": "is", "value": "on_hold"},
            {"field": "hold_kind", "op": "is", "value": "third_party"},
        ],
        actions=[{"type": "add_note", "body": "Chase the vendor on Friday."}],
    )
    ticket = make_ticket(Status.IN_PROGRESS)
    workflow.transition(
        ticket_id=ticket.pk,
        to=Status.ON_HOLD,
        actor=agent,
        note="Waiting for the ISP",
        hold_kind=HoldKind.THIRD_PARTY,
    )
    assert Comment.objects.filter(ticket=ticket, is_internal=True, author=manager).exists()


def test_customer_hold_does_not_match_a_third_party_condition(make_trigger, make_ticket, agent):
    make_trigger(
        event="updated",
        conditions=[{"field": "hold_kind", "op": "is", "value": "third_party"}],
        actions=[{"type": "add_note", "body": "x"}],
    )
    ticket = make_ticket(Status.IN_PROGRESS)
    workflow.transition(ticket_id=ticket.pk, to=Status.ON_HOLD, actor=agent, note="Which OS?")
    assert not Comment.objects.filter(ticket=ticket, is_internal=True).exists()


def test_assignee_and_team_conditions(make_trigger, customer, category, manager, agent):
    team = Team.objects.create(name="Network")
    category.default_team = team
    category.save()
    make_trigger(
        conditions=[
            {"field": "team", "op": "is", "value": team.pk},
            {"field": "assignee", "op": "not_set"},
        ],
        actions=[URGENT],
    )
    assert _priority(_report(customer, category)) == "urgent"
    assert _priority(_report(customer)) == "normal"


# --- One trigger per action ----------------------------------------------------------------


def test_set_priority_is_recorded_with_the_rule_and_no_person(make_trigger, customer):
    trigger = make_trigger(actions=[URGENT])
    ticket = _report(customer)
    change = FieldChange.objects.get(ticket=ticket)
    assert (change.field, change.new_value, change.actor, change.rule) == (
        "priority",
        "urgent",
        None,
        f"trigger:{trigger.pk}",
    )


def test_assign_to_team_offers_the_ticket_to_its_members(make_trigger, customer, agent):
    team = Team.objects.create(name="Network", strategy=Team.Strategy.LEAST_LOADED)
    team.members.add(agent)
    make_trigger(actions=[{"type": "assign_team", "value": team.pk}])
    ticket = Ticket.objects.get(pk=_report(customer).pk)
    assert (ticket.team, ticket.status, ticket.assignee) == (team, Status.ASSIGNED, agent)


def test_assign_to_agent_goes_through_the_workflow_as_the_system(make_trigger, customer, agent):
    trigger = make_trigger(actions=[{"type": "assign_agent", "value": agent.pk}])
    ticket = Ticket.objects.get(pk=_report(customer).pk)
    entry = ticket.history.last()
    assert (ticket.status, ticket.assignee) == (Status.ASSIGNED, agent)
    assert (entry.actor, entry.rule) == (None, f"trigger:{trigger.pk}")


def test_add_follower(make_trigger, customer, follower):
    make_trigger(actions=[{"type": "add_follower", "value": "FRAN@example.com"}])
    ticket = _report(customer)
    row = TicketFollower.objects.get(ticket=ticket)
    assert (row.user, row.added_by) == (follower, None)


def test_notify_renders_placeholders_safely_into_the_outbox(make_trigger, customer, manager):
    make_trigger(
        actions=[
            {
                "type": "notify",
                "to": "managers",
                "subject": "New: {{ ticket_reference }}",
                "body": "{{ customer_name }} wrote. {{ settings.SECRET_KEY }} {% load x %}",
            }
        ]
    )
    ticket = _report(customer)
    row = Notification.objects.get(event=Notification.Event.RULE_MESSAGE)
    assert row.recipient == manager
    assert row.detail["subject"] == f"New: {ticket.reference}"
    assert row.detail["body"] == "Carla Customer wrote. {{ settings.SECRET_KEY }} {% load x %}"


def test_the_rule_message_is_an_email_with_its_own_subject(make_trigger, customer):
    from tickets.delivery import compose

    make_trigger(
        actions=[{"type": "notify", "to": "customer", "subject": "Hi", "body": "We are on it."}]
    )
    ticket = _report(customer)
    row = Notification.objects.get(event=Notification.Event.RULE_MESSAGE)
    message = compose(row)
    assert message.subject == f"[{ticket.reference}] Hi: The VPN drops"
    assert "We are on it." in message.body


def test_add_note_is_internal_and_never_mailed(make_trigger, customer, manager):
    make_trigger(actions=[{"type": "add_note", "body": "VIP: {{ customer_first_name }}"}])
    ticket = _report(customer)
    note = Comment.objects.get(ticket=ticket)
    assert (note.is_internal, note.body, note.author) == (True, "VIP: Carla", manager)
    assert not Notification.objects.filter(comment=note).exists()


# --- Refusals, order, the loop guard ---------------------------------------------------------


def test_a_forbidden_transition_is_refused_and_logged_and_the_rest_stands(make_trigger, customer):
    trigger = make_trigger(
        actions=[
            URGENT,
            {"type": "transition", "to": "closed", "note": "spam"},
            {"type": "add_note", "body": "Seen."},
        ]
    )
    ticket = Ticket.objects.get(pk=_report(customer).pk)
    assert (ticket.status, ticket.priority) == (Status.OPEN, "urgent")
    assert Comment.objects.filter(ticket=ticket, body="Seen.").exists()
    refused = RuleLog.objects.get(rule=trigger.rule, outcome=RuleLog.Outcome.REFUSED)
    assert "Move the ticket: closed" in refused.detail
    assert "not allowed" in refused.detail.lower() or refused.detail
    assert not StatusHistory.objects.filter(ticket=ticket, to_status=Status.CLOSED).exists()


def test_firing_counts_and_remembers_when(make_trigger, customer):
    trigger = make_trigger(actions=[URGENT])
    _report(customer)
    _report(customer)
    trigger.refresh_from_db()
    assert trigger.fire_count == 2
    assert trigger.last_fired_at is not None


def test_a_switched_off_trigger_does_nothing(make_trigger, customer, manager):
    trigger = make_trigger(actions=[URGENT])
    triggers.trigger_switch(by=manager, trigger=trigger, enabled=False)
    assert _priority(_report(customer)) == "normal"


def test_triggers_run_in_order_and_later_ones_see_earlier_changes(make_trigger, customer):
    make_trigger("first", actions=[{"type": "set_priority", "value": "high"}])
    make_trigger(
        "second",
        conditions=[{"field": "priority", "op": "is", "value": "high"}],
        actions=[URGENT],
    )
    assert _priority(_report(customer)) == "urgent"


def test_a_change_makes_an_earlier_trigger_match_on_the_next_pass(make_trigger, customer):
    make_trigger(
        "needs urgent",
        conditions=[{"field": "priority", "op": "is", "value": "urgent"}],
        actions=[{"type": "add_note", "body": "Urgent!"}],
    )
    make_trigger("makes urgent", actions=[URGENT])
    ticket = _report(customer)
    assert Comment.objects.filter(ticket=ticket, body="Urgent!").count() == 1


def test_two_triggers_undoing_each_other_stop_and_say_so(make_trigger, customer, manager):
    """Ping-pong: each makes the other match. Each fires at most once per update, and the
    passes are bounded; the log says where it stopped."""
    make_trigger(
        "to high",
        event="updated",
        conditions=[{"field": "priority", "op": "is", "value": "low"}],
        actions=[{"type": "set_priority", "value": "high"}],
    )
    make_trigger(
        "to low",
        event="updated",
        conditions=[{"field": "priority", "op": "is", "value": "high"}],
        actions=[{"type": "set_priority", "value": "low"}],
    )
    ticket = _report(customer)
    services.ticket_update(ticket_id=ticket.pk, actor=manager, priority="low")
    changes = FieldChange.objects.filter(ticket=ticket).exclude(rule="")
    assert changes.count() == 2  # each trigger once: low → high → low
    assert _priority(ticket) == "low"
    assert not RuleLog.objects.filter(outcome=RuleLog.Outcome.STOPPED).exists()


def test_the_loop_guard_stops_a_chain_longer_than_the_fixed_depth(make_trigger, customer, manager):
    chain = ["low", "normal", "high", "urgent", "low"]
    for a, b in itertools.pairwise(chain):
        make_trigger(
            f"{a} to {b}",
            event="updated",
            conditions=[{"field": "priority", "op": "is", "value": a}],
            actions=[{"type": "set_priority", "value": b}],
        )
    # Listed in reverse order, so that each pass fires one: the chain needs 4 passes.
    from tickets.models import Trigger

    for position, trigger in enumerate(Trigger.objects.order_by("-id")):
        Trigger.objects.filter(pk=trigger.pk).update(position=position)
    ticket = _report(customer)
    services.ticket_update(ticket_id=ticket.pk, actor=manager, priority="low")
    stopped = RuleLog.objects.get(outcome=RuleLog.Outcome.STOPPED)
    assert "cannot loop" in stopped.detail
    assert FieldChange.objects.filter(ticket=ticket).exclude(rule="").count() == triggers.MAX_PASSES


def test_a_reply_is_an_update(make_trigger, make_ticket, customer):
    make_trigger(event="updated", actions=[URGENT])
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Any news?")
    assert _priority(ticket) == "urgent"


# --- Dry run ---------------------------------------------------------------------------------


def test_the_dry_run_says_what_matches_and_writes_nothing(make_trigger, customer, category):
    ticket = _report(customer, category)
    before = (FieldChange.objects.count(), RuleLog.objects.count(), Comment.objects.count())
    result = triggers.dry_run(
        conditions_=[
            {"field": "service", "op": "is", "value": category.pk},
            {"field": "priority", "op": "is", "value": "urgent"},
        ],
        actions_=[URGENT],
        ticket=ticket,
    )
    assert [c.matched for c in result.checked] == [True, False]
    assert not result.matches
    assert result.would_do == ["Set the priority: urgent"]
    assert (FieldChange.objects.count(), RuleLog.objects.count(), Comment.objects.count()) == before
