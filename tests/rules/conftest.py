"""Rules for the tests, saved through the services as a manager would."""

import pytest

from tickets.rules import triggers


@pytest.fixture
def make_trigger(manager):
    def make(name="Rule", *, event="created", conditions=(), actions=(), enabled=True):
        return triggers.trigger_save(
            by=manager,
            name=name,
            event=event,
            conditions_=list(conditions),
            actions_=list(actions),
            enabled=enabled,
        )

    return make


@pytest.fixture
def make_automation(manager):
    from tickets.rules import automations

    def make(name="Automation", *, conditions=(), actions=(), enabled=True):
        return automations.automation_save(
            by=manager,
            name=name,
            conditions_=list(conditions),
            actions_=list(actions),
            enabled=enabled,
        )

    return make


def in_status_since(ticket, moment):
    """Pretend `ticket` came to its status at `moment` (the clock of automations)."""
    from tickets.models import Ticket

    Ticket.objects.filter(pk=ticket.pk).update(status_changed_at=moment)


@pytest.fixture
def auto_close_row(db, settings):
    """The built-in auto-close automation, as migration 0035 seeds it (a test that empties
    the database, transaction=True, takes the seeded row with it)."""
    from tickets.models import Automation

    days = settings.AUTO_CLOSE_RESOLVED_AFTER_DAYS
    row, _created = Automation.objects.get_or_create(
        builtin=Automation.Builtin.AUTO_CLOSE,
        defaults={
            "name": "Close resolved tickets",
            "conditions": [
                {"field": "status", "op": "is", "value": "resolved"},
                {"field": "time_in_status", "op": "at_least", "value": f"{days}d"},
            ],
            "actions": [{"type": "transition", "to": "closed", "note": ""}],
        },
    )
    return row
