"""Random people trying random things: the ticket never leaves the workflow's rails.

Whatever sequence of attempted transitions, takes, reassignments and replies, by whoever,
succeeds or is refused: the ticket's status equals the last history row's `to`, the history is
a chain from `open` along the table, and the ticket's fields agree with its status.
"""

import itertools
import uuid

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from accounts.models import Role
from accounts.services import user_create
from tickets import combined, services, workflow
from tickets.errors import TicketError
from tickets.models import Notification, Ticket
from tickets.status import STATUSES_WITH_ASSIGNEE, HoldKind, Status

FORWARD = [
    Status.IN_PROGRESS,
    Status.ASSIGNED,
    Status.ON_HOLD,
    Status.RESOLVED,
    Status.OPEN,
    Status.CLOSED,
]
ROLES = ["agent", "manager", "other_agent", "customer", "neighbour", "system"]


def make_people() -> dict:
    """A fresh cast for one walk (addresses unique, as every walk shares the test's database)."""
    run = uuid.uuid4().hex[:8]

    def make(name, role):
        return user_create(email=f"{name}-{run}@example.com", display_name=name, role=role)

    return {
        "customer": make("c", Role.CUSTOMER),
        "neighbour": make("n", Role.CUSTOMER),
        "agent": make("a", Role.AGENT),
        "other_agent": make("b", Role.AGENT),
        "manager": make("m", Role.MANAGER),
        "system": None,
    }


class TicketLife(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.people = make_people()
        self.reached: set[Status] = set()

    @initialize()
    def report(self):
        self.ticket = services.ticket_create(
            customer=self.people["customer"],
            created_by=self.people["customer"],
            subject="Printer jams",
            description="Every second page jams on floor 3.",
        )
        self.attempts = self.successes = 0

    def _try(self, action) -> None:
        self.attempts += 1
        try:
            action()
        except TicketError:
            return
        self.successes += 1

    @rule(
        role=st.sampled_from(ROLES),
        to=st.sampled_from(list(Status)),
        note=st.sampled_from(["", "  ", "Waiting for the part."]),
        expected_stale=st.booleans(),
    )
    def attempt_transition(self, role, to, note, expected_stale):
        version = Ticket.objects.get(pk=self.ticket.pk).version - (1 if expected_stale else 0)
        self._try(
            lambda: workflow.transition(
                ticket_id=self.ticket.pk,
                to=to,
                actor=self.people[role],
                note=note,
                expected_version=version,
            )
        )

    @rule(role=st.sampled_from(ROLES), pick=st.integers(0, 3), note=st.sampled_from(["Why.", ""]))
    def attempt_an_offered_action(self, role, pick, note):
        """What a person would click: one of the buttons the workflow offers them now."""
        ticket = Ticket.objects.get(pk=self.ticket.pk)
        offered = workflow.available_actions(user=self.people[role], ticket=ticket)
        # Hypothesis favours small picks; put the steps forward first and closing (which ends
        # the walk) last, so that the walks reach every status.
        offered.sort(key=lambda action: FORWARD.index(action.target))
        if offered:
            action = offered[pick % len(offered)]
            self._try(
                lambda: workflow.transition(
                    ticket_id=ticket.pk, to=action.target, actor=self.people[role], note=note
                )
            )

    @rule(hold=st.booleans())
    def the_assignee_works_it(self, hold):
        """The usual road: take, start, put on hold or resolve, resume."""
        ticket = Ticket.objects.get(pk=self.ticket.pk)
        worker = ticket.assignee or self.people["agent"]
        if ticket.status == Status.OPEN:
            self._try(lambda: services.ticket_take(ticket_id=ticket.pk, agent=worker))
            return
        to = {
            Status.ASSIGNED: Status.IN_PROGRESS,
            Status.IN_PROGRESS: Status.ON_HOLD if hold else Status.RESOLVED,
            Status.ON_HOLD: Status.IN_PROGRESS if hold else Status.RESOLVED,
        }.get(ticket.status)
        if to is not None:
            self._try(
                lambda: workflow.transition(
                    ticket_id=ticket.pk, to=to, actor=worker, note="Done what we could."
                )
            )

    @rule(role=st.sampled_from(ROLES[:-1]), assignee=st.sampled_from(ROLES[:-1]))
    def attempt_assign(self, role, assignee):
        self._try(
            lambda: services.ticket_assign(
                ticket_id=self.ticket.pk, assignee=self.people[assignee], actor=self.people[role]
            )
        )

    @rule(role=st.sampled_from(["agent", "other_agent", "manager"]))
    def attempt_take(self, role):
        self._try(lambda: services.ticket_take(ticket_id=self.ticket.pk, agent=self.people[role]))

    @rule(role=st.sampled_from(ROLES[:-1]), internal=st.booleans())
    def attempt_reply(self, role, internal):
        self._try(
            lambda: services.comment_add(
                ticket_id=self.ticket.pk,
                author=self.people[role],
                body="Any news?",
                internal=internal,
            )
        )

    @rule(
        role=st.sampled_from(ROLES[:-1]),
        then=st.sampled_from([None, *Status]),
        public=st.booleans(),
        kind=st.sampled_from([None, *HoldKind]),
        body=st.sampled_from(["Fixed, please check.", "\u200b"]),
    )
    def attempt_reply_and_move(self, role, then, public, kind, body):
        """The composer's "Send and …": all of its steps, or none of them."""
        before = self._written()
        try:
            combined.reply_and_move(
                ticket_id=self.ticket.pk,
                actor=self.people[role],
                body=body,
                public=public,
                target=then,
                hold_kind=kind if then == Status.ON_HOLD else None,
            )
        except (TicketError, ValidationError):
            assert self._written() == before  # nothing half-written
            return
        ticket = Ticket.objects.get(pk=self.ticket.pk)
        if then is not None:
            assert ticket.status == then
        if ticket.status == Status.ON_HOLD and then == Status.ON_HOLD:
            assert ticket.hold_kind == (kind or HoldKind.CUSTOMER)

    def _written(self) -> tuple:
        ticket = Ticket.objects.get(pk=self.ticket.pk)
        return (
            ticket.status,
            ticket.version,
            ticket.history.count(),
            ticket.comments.count(),
            Notification.objects.filter(ticket=ticket).count(),
        )

    @invariant()
    def history_is_a_chain_ending_in_the_status(self):
        ticket = Ticket.objects.get(pk=self.ticket.pk)
        rows = list(ticket.history.order_by("created_at", "id"))
        assert (rows[0].from_status, rows[0].to_status) == (None, Status.OPEN)
        for before, after in itertools.pairwise(rows):
            assert after.from_status == before.to_status
            assert (Status(after.from_status), Status(after.to_status)) in workflow.RULES
        assert rows[-1].to_status == ticket.status
        self.reached.add(ticket.status)

    @invariant()
    def fields_agree_with_the_status(self):
        ticket = Ticket.objects.get(pk=self.ticket.pk)
        if ticket.status in STATUSES_WITH_ASSIGNEE:
            assert ticket.assignee is not None and ticket.assignee.is_agent
        if ticket.status == Status.OPEN:
            assert ticket.assignee is None
        assert (ticket.status == Status.RESOLVED) <= (ticket.resolved_at is not None)
        assert (ticket.status == Status.CLOSED) == (ticket.closed_at is not None)
        assert (ticket.hold_kind is not None) <= (ticket.status == Status.ON_HOLD)
        holds = ticket.history.filter(to_status=Status.ON_HOLD)
        assert not ticket.history.exclude(to_status=Status.ON_HOLD).filter(hold_kind__isnull=False)
        assert all(row.hold_kind in HoldKind.values for row in holds)


@pytest.mark.slow
@pytest.mark.django_db
def test_random_actions_keep_the_history_a_valid_chain():
    reached: set[Status] = set()  # over all walks: proves the random walks went somewhere

    class Walk(TicketLife):
        def teardown(self):
            reached.update(self.reached)

    # The same walks on every run (a fixed seed): the "every status reached" check below must
    # not depend on luck.
    Walk.TestCase.settings = settings(
        derandomize=True,
        max_examples=60,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    Walk.TestCase().runTest()
    assert reached == set(Status)
