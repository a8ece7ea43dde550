"""seed_demo: demo data the workflow itself could have written.

The command writes with bulk_create, past every service and Ticket.save(); these tests hold
its output to the same rules: every history is a chain along workflow.RULES made by people
the rules allow, and the ticket's own fields agree with its history and conversation.
"""

import io
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from accounts.models import Role, User
from tickets import metrics, workflow
from tickets.models import Comment, Notification, Rating, StatusHistory, Ticket, TicketMetrics
from tickets.status import STATUSES_WITH_ASSIGNEE, Priority, Status

pytestmark = pytest.mark.django_db

TICKETS = 60


def seed(*options: str) -> str:
    out = io.StringIO()
    call_command(
        "seed_demo",
        "--tickets",
        str(TICKETS),
        "--no-progress",
        *options,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


@dataclass
class Seeded:
    output: str
    tickets: list[Ticket]
    history: dict[int, list[StatusHistory]]
    comments: dict[int, list[Comment]]
    users: dict[int, User]


@pytest.fixture
def seeded() -> Seeded:
    output = seed()
    history: dict[int, list[StatusHistory]] = defaultdict(list)
    for row in StatusHistory.objects.order_by("created_at", "id"):
        history[row.ticket_id].append(row)
    comments: dict[int, list[Comment]] = defaultdict(list)
    for comment in Comment.objects.order_by("created_at", "id"):
        comments[comment.ticket_id].append(comment)
    return Seeded(
        output=output,
        tickets=list(Ticket.objects.order_by("pk")),
        history=history,
        comments=comments,
        users={user.pk: user for user in User.objects.all()},
    )


def test_it_creates_the_tickets_asked_for_and_says_so(seeded):
    assert len(seeded.tickets) == TICKETS
    assert f"Created {TICKETS} tickets" in seeded.output


def test_every_history_is_a_valid_chain_ending_in_the_ticket_status(seeded):
    for ticket in seeded.tickets:
        rows = seeded.history[ticket.pk]
        assert rows, ticket.reference
        assert (rows[0].from_status, rows[0].to_status) == (None, Status.OPEN), ticket.reference
        for before, after in itertools.pairwise(rows):
            assert after.from_status == before.to_status, ticket.reference
            assert (after.from_status, after.to_status) in workflow.RULES, ticket.reference
        assert rows[-1].to_status == ticket.status, ticket.reference


def test_every_change_is_made_by_someone_the_rules_allow(seeded):
    """Replay each row through workflow.check(), the test transition() itself applies."""
    for ticket in seeded.tickets:
        rows = seeded.history[ticket.pk]
        reporter = seeded.users[rows[0].actor_id]
        # The customer reports; urgent tickets come in through an agent (customers can't pick it).
        if ticket.priority == Priority.URGENT:
            assert reporter.is_agent
        else:
            assert reporter.pk == ticket.customer_id
        assert rows[0].assignee_id is None
        for before, after in itertools.pairwise(rows):
            as_it_was = Ticket(
                pk=ticket.pk,
                status=before.to_status,
                customer_id=ticket.customer_id,
                assignee_id=before.assignee_id,
            )
            actor = seeded.users.get(after.actor_id)
            assignee = seeded.users.get(after.assignee_id)
            workflow.check(
                ticket=as_it_was,
                target=after.to_status,
                user=actor,
                note=after.note,
                assignee=assignee,
            )
            # The history's assignee column says who is on the ticket after the change.
            if after.to_status == Status.OPEN:
                assert after.assignee_id is None
            elif after.from_status != Status.OPEN:
                assert after.assignee_id == before.assignee_id


def test_history_and_conversation_run_forward_in_time(seeded):
    now = timezone.now()
    for ticket in seeded.tickets:
        rows = seeded.history[ticket.pk]
        assert rows[0].created_at == ticket.created_at
        times = [row.created_at for row in rows]
        assert times == sorted(times) and len(set(times)) == len(times), ticket.reference
        assert times[-1] <= now
        for comment in seeded.comments[ticket.pk]:
            assert ticket.created_at < comment.created_at <= now
            if ticket.closed_at:
                assert comment.created_at < ticket.closed_at, "no comments on a closed ticket"
        last = max(times + [c.created_at for c in seeded.comments[ticket.pk]])
        assert ticket.updated_at == last, ticket.reference
        public = [c.created_at for c in seeded.comments[ticket.pk] if not c.is_internal]
        assert ticket.public_updated_at == max(times + public), ticket.reference


def test_all_six_statuses_appear(seeded):
    assert {ticket.status for ticket in seeded.tickets} == set(Status)


def test_ticket_fields_agree_with_the_database_rules_and_the_history(seeded):
    for ticket in seeded.tickets:
        rows = seeded.history[ticket.pk]
        if ticket.status in STATUSES_WITH_ASSIGNEE:
            assert ticket.assignee_id is not None, ticket.reference
            assert seeded.users[ticket.assignee_id].is_agent
        if ticket.status == Status.OPEN:
            assert ticket.assignee_id is None, ticket.reference
        assert ticket.assignee_id == rows[-1].assignee_id, ticket.reference
        if ticket.status == Status.RESOLVED:
            last_resolve = [r for r in rows if r.to_status == Status.RESOLVED][-1]
            assert ticket.resolved_at == last_resolve.created_at, ticket.reference
        if ticket.status == Status.CLOSED:
            assert ticket.closed_at == rows[-1].created_at, ticket.reference
        else:
            assert ticket.closed_at is None, ticket.reference
        if ticket.status in (Status.OPEN, Status.ASSIGNED):
            assert ticket.resolved_at is None, ticket.reference
        assert ticket.version == len(rows) + len(seeded.comments[ticket.pk])
        public = [c for c in seeded.comments[ticket.pk] if not c.is_internal]
        assert ticket.public_version == len(rows) + len(public), ticket.reference


def test_notes_have_the_audience_their_action_has(seeded):
    """The customer reads the notes of hold, resolve, close and their own steps; staff's
    others are staff-only, as transition() would have recorded them."""
    for ticket in seeded.tickets:
        for row in seeded.history[ticket.pk][1:]:
            by_customer = row.actor_id == ticket.customer_id
            told = row.to_status in (Status.ON_HOLD, Status.RESOLVED, Status.CLOSED)
            auto_closed = row.actor_id is None and row.to_status == Status.CLOSED
            assert row.note_public == (by_customer or told or auto_closed), row


def test_first_response_is_the_first_public_staff_comment(seeded):
    responded = 0
    for ticket in seeded.tickets:
        staff_replies = [
            c
            for c in seeded.comments[ticket.pk]
            if not c.is_internal and seeded.users[c.author_id].is_agent
        ]
        expected = staff_replies[0].created_at if staff_replies else None
        assert ticket.first_response_at == expected, ticket.reference
        responded += expected is not None
    assert responded > TICKETS // 2, "most demo tickets should have had an answer"


def test_customers_write_only_public_replies_on_their_own_tickets(seeded):
    for ticket in seeded.tickets:
        for comment in seeded.comments[ticket.pk]:
            author = seeded.users[comment.author_id]
            if author.is_customer:
                assert not comment.is_internal, ticket.reference
                assert comment.author_id == ticket.customer_id, ticket.reference


def test_some_resolved_tickets_are_rated_by_their_customer_after_the_resolution(seeded):
    ratings = list(Rating.objects.select_related("ticket"))
    assert ratings, "the report's satisfaction section would be empty in the demo"
    for rating in ratings:
        assert rating.ticket.status in (Status.RESOLVED, Status.CLOSED)
        assert rating.customer_id == rating.ticket.customer_id
        assert rating.ticket.resolved_at <= rating.created_at <= timezone.now()
    rated = dict(TicketMetrics.objects.filter(rating__isnull=False).values_list("ticket", "rating"))
    assert rated == {r.ticket_id: r.score for r in ratings}


def test_every_ticket_has_a_short_conversation(seeded):
    for ticket in seeded.tickets:
        assert 1 <= len(seeded.comments[ticket.pk]) <= 6, ticket.reference
    assert any(c.is_internal for rows in seeded.comments.values() for c in rows)


def test_a_customer_reply_comes_right_before_the_system_resumes_a_ticket_on_hold(seeded):
    for ticket in seeded.tickets:
        for row in seeded.history[ticket.pk]:
            if row.actor_id is None and row.from_status == Status.ON_HOLD:
                before = [c for c in seeded.comments[ticket.pk] if c.created_at < row.created_at]
                assert before and before[-1].author_id == ticket.customer_id, ticket.reference


def test_system_changes_carry_the_notes_the_services_write(seeded, settings):
    days = settings.AUTO_CLOSE_RESOLVED_AFTER_DAYS
    expected = {
        Status.IN_PROGRESS: str(workflow.CUSTOMER_REPLIED),
        Status.CLOSED: str(workflow.auto_close_note(days)),
    }
    system_rows = [
        row for rows in seeded.history.values() for row in rows[1:] if row.actor_id is None
    ]
    assert system_rows, "the demo should show the system resuming or closing tickets"
    for row in system_rows:
        assert row.note == expected[row.to_status]


def test_it_writes_no_notifications_and_sends_no_mail(seeded, mailoutbox):
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_if_empty_creates_nothing_when_tickets_exist(seeded):
    counts = (Ticket.objects.count(), StatusHistory.objects.count(), User.objects.count())
    output = seed("--if-empty")
    assert "nothing" in output.lower()
    assert (Ticket.objects.count(), StatusHistory.objects.count(), User.objects.count()) == counts


def test_if_empty_seeds_an_empty_database():
    seed("--if-empty")
    assert Ticket.objects.count() == TICKETS


def test_running_twice_reuses_the_demo_users():
    seed()
    users = User.objects.count()
    output = seed()
    assert User.objects.count() == users
    assert "0 new demo accounts" in output
    duplicates = User.objects.values("email").annotate(n=Count("pk")).filter(n__gt=1)
    assert not duplicates.exists()
    assert Ticket.objects.count() == 2 * TICKETS
    assert User.objects.filter(role=Role.MANAGER, email="manager@example.com").count() == 1
    assert User.objects.filter(role=Role.AGENT).count() == 5


def test_the_same_seed_tells_the_same_stories():
    seed("--seed", "7")
    seed("--seed", "7")
    stories = list(Ticket.objects.order_by("pk").values_list("subject", "status", "priority"))
    assert stories[:TICKETS] == stories[TICKETS:]


def test_the_demo_manager_signs_in_with_the_printed_password(seeded):
    password = re.search(r"[Pp]assword[^:]*:\s*(\S+)", seeded.output).group(1)
    assert "manager@example.com" in seeded.output
    user = authenticate(username="manager@example.com", password=password)
    assert user is not None and user.role == Role.MANAGER
    assert authenticate(username="agent1@example.com", password=password).is_agent


def test_the_last_customer_reply_is_the_customers_latest_comment(seeded):
    for ticket in seeded.tickets:
        replies = [
            c.created_at for c in seeded.comments[ticket.pk] if c.author_id == ticket.customer_id
        ]
        assert ticket.customer_replied_at == (max(replies) if replies else None), ticket.reference


def test_bench_shape_many_agents_and_three_to_ten_comments():
    seed("--agents", "12", "--comments", "3-10")
    assert User.objects.filter(role=Role.AGENT).count() == 12
    per_ticket = Ticket.objects.annotate(n=Count("comments")).values_list("n", flat=True)
    assert all(3 <= n <= 10 for n in per_ticket)
    assert max(per_ticket) > 6
    assigned_to = set(Ticket.objects.exclude(assignee=None).values_list("assignee", flat=True))
    assert len(assigned_to) > 5


@pytest.mark.parametrize("value", ["ten", "5-3", "1-2-3", "3-x"])
def test_a_bad_comment_range_is_refused_with_a_reason(value):
    with pytest.raises(CommandError, match=r"range|at least"):
        seed("--comments", value)
    assert not Ticket.objects.exists()


def test_stored_metrics_and_due_times_are_what_the_services_would_store(seeded):
    """On PostgreSQL the seeder works the metrics out in memory and COPYs them in."""
    stored = {row.pk: row for row in TicketMetrics.objects.all()}
    due = dict(Ticket.objects.values_list("pk", "sla_due_at"))
    assert len(stored) == TICKETS
    now = max(row.computed_at for row in stored.values())
    metrics.refresh(ticket_ids=list(stored), now=now)
    fields = [f.attname for f in TicketMetrics._meta.fields]
    for row in TicketMetrics.objects.all():
        assert [getattr(row, f) for f in fields] == [getattr(stored[row.pk], f) for f in fields]
    assert dict(Ticket.objects.values_list("pk", "sla_due_at")) == due


@pytest.mark.django_db(transaction=True)
def test_worker_processes_write_the_same_tickets_as_one_process(postgres):
    seed("--seed", "3", "--workers", "1", "--batch-size", "7")
    seed("--seed", "3", "--workers", "2", "--batch-size", "7")
    stories = list(Ticket.objects.order_by("pk").values_list("subject", "status", "priority"))
    assert len(stories) == 2 * TICKETS
    assert stories[:TICKETS] == stories[TICKETS:]
    per_ticket = Ticket.objects.annotate(n=Count("comments")).values_list("n", flat=True)
    assert all(n >= 1 for n in per_ticket)
    assert TicketMetrics.objects.count() == 2 * TICKETS
