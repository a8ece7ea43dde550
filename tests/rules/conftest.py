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
