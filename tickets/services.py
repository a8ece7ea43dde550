"""Every write to tickets goes through here (status changes through workflow.transition).

Functions take keyword-only arguments, lock what they change, record who did what, and leave
notifications to be sent after the transaction commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from knowledge import services as knowledge_services

from . import (
    changes,
    followers,
    metrics,
    notifications,
    queries,
    routing,
    teams,
    uploads,
    versions,
    workflow,
)
from .errors import (
    AssigneeInvalid,
    NotPermitted,
    TicketChanged,
    TicketClosed,
    TicketError,
    WorkflowError,
)
from .limits import RATING_COMMENT_MAX_LENGTH
from .models import (
    Attachment,
    Category,
    Channel,
    Comment,
    FieldChange,
    Rating,
    Team,
    Ticket,
    TicketMetrics,
    format_reference,
)
from .status import STATUSES_WITH_ASSIGNEE, HoldKind, Priority, Status
from .text import has_visible_text

if TYPE_CHECKING:
    from accounts.models import User

URGENT_IS_FOR_STAFF = _("Urgent priority is set by the help desk; choose high if it is pressing.")
CATEGORY_INACTIVE = _("This service is no longer offered; choose another.")
ALREADY_RATED = _("You have already rated this ticket.")
NOT_YET_RESOLVED = _("You can rate a ticket once it is resolved.")
CANNOT_REASSIGN = _("Only a ticket that is being worked on can be reassigned.")
NOT_A_CUSTOMER = _("Tickets are reported for customers.")
UNKNOWN_ACTION = _("This action does not exist.")
# Not a step of the workflow: the bulk form's "Move to team", done by ticket_team_move.
MOVE_TEAM = "move_team"
NO_SUCH_TICKET = _("No such ticket.")
SELECT_TICKETS = _("Select at least one ticket.")
REASON_NEEDED_IN_BULK = _(
    "Type a reason or note first: it is needed for %(references)s. Nothing was changed."
)
TAKEN_ALREADY = _("This ticket changed: someone else has already taken it. Reload to see it.")
TAKEN_BY = _("This ticket changed, it is already taken: %(change)s Reload to see it.")
TEAM_REASON_NEEDED = _("Say why the ticket moves to another team.")
TEAM_NOT_YOURS = _("You can only move tickets into and out of teams whose tickets you work.")
ASSIGNEE_OUTSIDE_TEAM = _(
    "%(name)s is not in the %(team)s team, whose tickets are for its members: "
    "reassign the ticket first."
)


def _lock(ticket_id: int, expected_version: int | None, user: User) -> Ticket:
    return versions.lock(ticket_id=ticket_id, user=user, expected_version=expected_version)


def _touch(ticket: Ticket, *fields: str, public: bool) -> None:
    """Save `fields` with a new version; the customer's too if they can see the change."""
    ticket.save(update_fields=[*versions.bump(ticket, public=public), *fields])


def _store_attachments(
    *, ticket: Ticket, comment: Comment | None, files: Sequence[UploadedFile], uploader: User
) -> list[Attachment]:
    """Store the files uploads.check_files() accepts, under random names. Call it inside
    uploads.removed_on_failure(), so that the files are deleted again if the transaction does
    not commit."""
    stored = []
    for checked in uploads.check_files(files):
        attachment = Attachment(
            ticket=ticket,
            comment=comment,
            uploaded_by=uploader,
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.upload.size,
        )
        attachment.file.save(checked.name, checked.upload, save=False)
        uploads.remember_stored(attachment.file.storage, attachment.file.name)
        attachment.save()
        stored.append(attachment)
    return stored


@uploads.removed_on_failure()
@transaction.atomic
def ticket_create(
    *,
    customer: User,
    subject: str,
    description: str,
    created_by: User,
    category: Category | None = None,
    priority: Priority | str = Priority.NORMAL,
    attachments: Sequence[UploadedFile] = (),
    follow_up_to: Ticket | None = None,
    acknowledge: bool = True,
    acknowledgement: dict | None = None,
    channel: Channel | str = Channel.PORTAL,
) -> Ticket:
    """Report a problem. A customer reports their own; staff may report for a customer.

    The customer is told it arrived unless `acknowledge` is off; `acknowledgement` is what
    that message adds (notifications.ticket_created)."""
    if not customer.is_customer:
        raise ValidationError({"customer": NOT_A_CUSTOMER})
    if created_by != customer and not created_by.is_agent:
        raise NotPermitted()
    if priority == Priority.URGENT and not created_by.is_agent:
        raise ValidationError({"priority": URGENT_IS_FOR_STAFF})
    if category is not None and not category.is_active:
        raise ValidationError({"category": CATEGORY_INACTIVE})
    ticket = Ticket(
        customer=customer,
        subject=subject.strip(),
        description=description.strip(),
        category=category,
        priority=priority,
        follow_up_to=follow_up_to,
        team_id=category.default_team_id if category is not None else None,
        channel=channel,
    )
    # The constraints hold by construction here (a new ticket is open and unassigned), and the
    # database checks them anyway; validating them in Python costs a query each.
    ticket.status_changed_at = ticket.created_at
    ticket.full_clean(exclude=["customer", "category", "follow_up_to"], validate_constraints=False)
    ticket.save()
    workflow.record_creation(ticket=ticket, actor=created_by)
    _store_attachments(ticket=ticket, comment=None, files=attachments, uploader=created_by)
    notifications.ticket_created(ticket, acknowledge=acknowledge, detail=acknowledgement)
    metrics.refresh_one(ticket.pk)
    from .rules import triggers  # the rules act through these services

    # The triggers first: one may set the team or assign the ticket itself.
    triggers.run_locked(ticket=ticket, event=triggers.CREATED)
    routing.offer_locked(ticket=ticket)  # its team's strategy, if any, assigns it now
    return ticket


@uploads.removed_on_failure()
@transaction.atomic
def comment_add(
    *,
    ticket_id: int,
    author: User,
    body: str,
    internal: bool = False,
    attachments: Sequence[UploadedFile] = (),
    expected_version: int | None = None,
    seen_at: datetime | None = None,
) -> Comment:
    """Add a public reply or (staff only) an internal note. `seen_at`: the last update the
    writer's page showed; comments added since do not make the reply stale (versions.lock).

    The first public reply from staff is the ticket's first response. A customer's reply to a
    ticket waiting for them (on hold for the customer) or resolved puts it back to work: the
    system moves it to in progress; a ticket waiting on a third party stays on hold. A
    follower's reply (tickets.followers) is a public reply by them, with no effect on the
    workflow.
    """
    ticket = versions.lock(
        ticket_id=ticket_id,
        user=author,
        expected_version=expected_version,
        replying_since=seen_at,
    )
    comment = comment_add_locked(
        ticket=ticket, author=author, body=body, internal=internal, attachments=attachments
    )
    rules_after_update(ticket=ticket)
    return comment


def comment_add_locked(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    internal: bool = False,
    attachments: Sequence[UploadedFile] = (),
    notify: bool = True,
) -> Comment:
    """`comment_add()` for a service that has locked the ticket's row and checked its version
    (inside uploads.removed_on_failure() and a transaction). `notify` off: the caller tells
    the customer in the message of a status change made in the same move (tickets.combined).
    """
    is_own_customer = author.is_customer and ticket.customer_id == author.pk
    may_write = author.is_agent or followers.speaks_for_customer(user=author, ticket=ticket)
    if not may_write or (internal and not author.is_agent):
        raise NotPermitted()
    if ticket.status == Status.CLOSED:
        raise TicketClosed()
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})

    comment = Comment.objects.create(ticket=ticket, author=author, body=body, is_internal=internal)
    _store_attachments(ticket=ticket, comment=comment, files=attachments, uploader=author)
    knowledge_services.reply_sent(comment=comment)  # counts the articles a reply links
    touched = []
    if author.is_agent and not internal and ticket.first_response_at is None:
        ticket.first_response_at = comment.created_at
        touched.append("first_response_at")
    if is_own_customer:
        ticket.customer_replied_at = comment.created_at
        touched.append("customer_replied_at")
    # An internal note (and its files) changes nothing the customer can see.
    _touch(ticket, *touched, public=not internal)
    if notify:
        notifications.comment_added(comment)
    if is_own_customer and reply_resumes(ticket):
        workflow.transition_locked(
            ticket=ticket,
            to=Status.IN_PROGRESS,
            actor=None,
            note=REPLY_REOPENS[Status(ticket.status)],
        )
    elif author.is_agent and not internal:
        metrics.refresh_one(ticket.pk)  # a first response may have stopped a clock
    return comment


# A customer's reply (on the portal, by the API or by e-mail) puts a ticket that waits for
# them, or that was resolved, back to work: the system makes the change, with this note.
REPLY_REOPENS = {
    Status.ON_HOLD: workflow.CUSTOMER_REPLIED,
    Status.RESOLVED: workflow.CUSTOMER_REPLIED_AFTER_RESOLUTION,
}


def reply_resumes(ticket: Ticket) -> bool:
    """Whether the customer's reply puts the ticket back to work: resolved, or on hold
    waiting for them (a hold from before there were kinds waited for them too), not on hold
    waiting on a third party."""
    if ticket.status == Status.ON_HOLD:
        return ticket.hold_kind != HoldKind.THIRD_PARTY
    return ticket.status in REPLY_REOPENS


@transaction.atomic
def ticket_assign(
    *,
    ticket_id: int,
    assignee: User,
    actor: User,
    note: str = "",
    note_public: bool | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Put `assignee` on the ticket: take or assign an open one, or reassign a worked one.

    Reassigning keeps the status and is recorded as a FieldChange; only managers reassign.
    Its note stays with staff (workflow.note_audience).
    """
    ticket = _lock(ticket_id, expected_version, actor)
    if ticket.status == Status.OPEN:
        workflow.transition_locked(
            ticket=ticket,
            to=Status.ASSIGNED,
            actor=actor,
            note=note,
            assignee=assignee,
            note_public=note_public,
        )
        rules_after_update(ticket=ticket)
        return ticket
    if ticket.status not in STATUSES_WITH_ASSIGNEE:
        raise WorkflowError(CANNOT_REASSIGN)
    if not workflow.may_reassign(user=actor, ticket=ticket):
        raise NotPermitted()
    if not (assignee.is_active and assignee.is_agent):
        raise AssigneeInvalid()
    if not teams.may_work(ticket=ticket, agent=assignee):
        raise AssigneeInvalid()
    workflow.note_is_public(
        spec=workflow.ACTIONS[workflow.REASSIGN.action],
        actor=workflow.REASSIGN.actor,
        chosen=note_public,
    )
    if assignee.pk == ticket.assignee_id:
        return ticket
    FieldChange.objects.create(
        ticket=ticket,
        field=FieldChange.Field.ASSIGNEE,
        old_value=str(ticket.assignee_id or ""),
        new_value=str(assignee.pk),
        actor=actor,
        note=note.strip(),
    )
    previous_assignee_id = ticket.assignee_id
    ticket.assignee = assignee
    _touch(ticket, "assignee", public=True)  # the customer's page names their agent
    notifications.ticket_reassigned(ticket)
    metrics.refresh_one(ticket.pk)
    if ticket.team_id is not None:
        teams.membership_touch(team_id=ticket.team_id, agent_id=assignee.pk, when=timezone.now())
    if ticket.status in teams.CAPACITY_STATUSES:
        routing.agent_freed(agent_id=previous_assignee_id)
    rules_after_update(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_take(
    *,
    ticket_id: int,
    agent: User,
    note: str = "",
    note_public: bool | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """An agent takes an open ticket for themselves. If someone else got there first, the
    agent is told the ticket changed rather than that the step is not allowed."""
    ticket = _lock(ticket_id, expected_version, agent)
    if ticket.status != Status.OPEN:
        change = changes.latest_of(ticket_id=ticket.pk, viewer=agent)
        if change is None or change.kind != "status":
            raise TicketChanged(TAKEN_ALREADY)
        raise TicketChanged(TAKEN_BY % {"change": changes.sentence(change, viewer=agent)})
    workflow.transition_locked(
        ticket=ticket,
        to=Status.ASSIGNED,
        actor=agent,
        assignee=agent,
        note=note,
        note_public=note_public,
        action="take",
    )
    rules_after_update(ticket=ticket)
    return ticket


def clean_subject(subject: str) -> str:
    """A subject as the Ticket model keeps it (one line, not blank, not too long)."""
    try:
        return Ticket._meta.get_field("subject").clean(subject.strip(), None)
    except ValidationError as error:
        raise ValidationError({"subject": error.messages}) from error


@transaction.atomic
def ticket_update(
    *,
    ticket_id: int,
    actor: User,
    priority: Priority | str | None = None,
    category: Category | None = None,
    subject: str | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Staff change a ticket's priority, affected service or subject; each change is
    recorded."""
    ticket = _lock(ticket_id, expected_version, actor)
    if not actor.is_agent:
        raise NotPermitted()
    if ticket_update_locked(
        ticket=ticket, actor=actor, priority=priority, category=category, subject=subject, note=note
    ):
        rules_after_update(ticket=ticket)
    return ticket


def ticket_update_locked(
    *,
    ticket: Ticket,
    actor: User | None,
    priority: Priority | str | None = None,
    category: Category | None = None,
    subject: str | None = None,
    note: str = "",
    rule: str = "",
) -> bool:
    """`ticket_update()` on a row the caller locked; `actor` None is the system, with the
    `rule` that made the change recorded. Returns whether anything changed."""
    if ticket.status == Status.CLOSED:
        raise TicketClosed()
    changes = []
    if priority is not None and priority != ticket.priority:
        if priority not in Priority.values:
            raise ValidationError({"priority": _("Choose a valid priority.")})
        changes.append((FieldChange.Field.PRIORITY, ticket.priority, priority))
    if category is not None and category.pk != ticket.category_id:
        if not category.is_active:
            raise ValidationError({"category": CATEGORY_INACTIVE})
        changes.append(
            (FieldChange.Field.CATEGORY, str(ticket.category_id or ""), str(category.pk))
        )
    if subject is not None and (subject := clean_subject(subject)) != ticket.subject:
        changes.append((FieldChange.Field.SUBJECT, ticket.subject, subject))
    if not changes:
        return False
    # Checked everything first: a refusal leaves the ticket in memory as it was.
    if priority is not None:
        ticket.priority = priority
    if category is not None:
        ticket.category = category
    if subject is not None:
        ticket.subject = subject
    FieldChange.objects.bulk_create(
        FieldChange(
            ticket=ticket,
            field=f,
            old_value=old,
            new_value=new,
            actor=actor,
            note=note,
            rule=rule,
        )
        for f, old, new in changes
    )
    # All are on the customer's page.
    _touch(ticket, *(field for field, _old, _new in changes), public=True)
    metrics.refresh_one(ticket.pk)  # another priority is another SLA
    return True


def rules_after_update(*, ticket: Ticket) -> None:
    """The triggers on "a ticket is updated", at the end of a service that changed `ticket`
    (its row locked, in the service's transaction)."""
    from .rules import triggers  # the rules act through these services

    triggers.run_locked(ticket=ticket, event=triggers.UPDATED)


@transaction.atomic
def ticket_team_move(
    *,
    ticket_id: int,
    team: Team | None,
    actor: User,
    note: str,
    expected_version: int | None = None,
) -> Ticket:
    """Staff move a ticket to another team (`team` None: to no team), saying why; recorded
    as a FieldChange, for staff only. Nobody moves a ticket into or out of a team whose
    tickets they may not work (tickets.teams.may_work_team), nor into a restricted team
    whose members do not include its assignee. An open ticket is offered to its new team
    at once if that team assigns automatically."""
    ticket = _lock(ticket_id, expected_version, actor)
    if not (actor.is_active and actor.is_agent):
        raise NotPermitted()
    if ticket.status == Status.CLOSED:
        raise TicketClosed()
    new_team_id = team.pk if team is not None else None
    if new_team_id == ticket.team_id:
        return ticket
    if not has_visible_text(note):
        raise ValidationError({"note": TEAM_REASON_NEEDED})
    if not all(
        teams.may_work_team(team_id=team_id, agent=actor)
        for team_id in (ticket.team_id, new_team_id)
    ):
        raise NotPermitted(TEAM_NOT_YOURS)
    assignee = ticket.assignee
    if assignee is not None and not teams.may_work_team(team_id=new_team_id, agent=assignee):
        raise WorkflowError(
            ASSIGNEE_OUTSIDE_TEAM % {"name": assignee.display_name, "team": team.name}
        )
    FieldChange.objects.create(
        ticket=ticket,
        field=FieldChange.Field.TEAM,
        old_value=str(ticket.team_id or ""),
        new_value=str(new_team_id or ""),
        actor=actor,
        note=note.strip(),
    )
    ticket.team = team
    _touch(ticket, "team", public=False)  # teams are staff's; the customer sees no change
    routing.offer_locked(ticket=ticket)
    return ticket


def ticket_act(
    *,
    ticket_id: int,
    action: str,
    actor: User,
    note: str = "",
    note_public: bool | None = None,
    assignee: User | None = None,
    expected_version: int | None = None,
    hold_kind: HoldKind | str | None = None,
    team: Team | None = None,
) -> None:
    """Do what a button names ("take", "assign", "resolve", "move_team", …) to one ticket.
    `note_public`: who reads the note, where the writer may choose (workflow.note_audience);
    None: the action's default. `hold_kind`: what a hold waits for (default: the customer).
    `team`: where "move_team" moves it (None: to no team)."""
    if action == MOVE_TEAM:
        ticket_team_move(
            ticket_id=ticket_id,
            team=team,
            actor=actor,
            note=note,
            expected_version=expected_version,
        )
    elif action == "take":
        ticket_take(
            ticket_id=ticket_id,
            agent=actor,
            note=note,
            note_public=note_public,
            expected_version=expected_version,
        )
    elif action in ("assign", "reassign"):
        if assignee is None:
            raise AssigneeInvalid()
        ticket_assign(
            ticket_id=ticket_id,
            assignee=assignee,
            actor=actor,
            note=note,
            note_public=note_public,
            expected_version=expected_version,
        )
    elif action in workflow.ACTION_TARGETS:
        workflow.transition(
            ticket_id=ticket_id,
            to=workflow.ACTION_TARGETS[action],
            actor=actor,
            note=note,
            note_public=note_public,
            expected_version=expected_version,
            action=action,
            hold_kind=hold_kind,
        )
    else:
        raise WorkflowError(UNKNOWN_ACTION)


@dataclass(frozen=True)
class BulkOutcome:
    ticket_id: int
    error: str = ""

    @property
    def reference(self) -> str:
        return format_reference(self.ticket_id)


def tickets_bulk_act(
    *,
    ticket_ids: Sequence[int],
    action: str,
    actor: User,
    note: str = "",
    note_public: bool | None = None,
    assignee: User | None = None,
    hold_kind: HoldKind | str | None = None,
    team: Team | None = None,
) -> list[BulkOutcome]:
    """The same action on many tickets, each through its own service call and transaction:
    one ticket refusing does not undo the others, and each refusal says why.

    A reason missing where the action needs one is said once, before any ticket is touched
    (ValidationError on `note`): nothing is half done for want of a typed word. "Start work"
    on a ticket on hold resumes it (workflow.bulk_action_for)."""
    if not ticket_ids:
        raise ValidationError({"tickets": SELECT_TICKETS})
    # Only what the actor may see: a restricted team's ticket is no one else's to touch.
    selected = queries.visible_to(actor).in_bulk(list(dict.fromkeys(ticket_ids)))
    actions = {
        pk: workflow.bulk_action_for(action, status=ticket.status)
        for pk, ticket in selected.items()
    }
    if action == MOVE_TEAM and not has_visible_text(note):
        raise ValidationError({"note": TEAM_REASON_NEEDED})
    if not has_visible_text(note):
        needing = [
            ticket.reference
            for pk, ticket in selected.items()
            if workflow.reason_required(user=actor, ticket=ticket, action=actions[pk])
        ]
        if needing:
            raise ValidationError(
                {"note": REASON_NEEDED_IN_BULK % {"references": ", ".join(needing)}}
            )
    outcomes = []
    for ticket_id in dict.fromkeys(ticket_ids):
        if ticket_id not in selected:
            outcomes.append(BulkOutcome(ticket_id, str(NO_SUCH_TICKET)))
            continue
        try:
            ticket_act(
                ticket_id=ticket_id,
                action=actions.get(ticket_id, action),
                actor=actor,
                note=note,
                note_public=note_public,
                assignee=assignee,
                hold_kind=hold_kind,
                team=team,
            )
        except Ticket.DoesNotExist:
            outcomes.append(BulkOutcome(ticket_id, str(NO_SUCH_TICKET)))
        except TicketError as error:
            outcomes.append(BulkOutcome(ticket_id, str(error.message)))
        except ValidationError as error:
            outcomes.append(BulkOutcome(ticket_id, " ".join(error.messages)))
        else:
            outcomes.append(BulkOutcome(ticket_id))
    return outcomes


def tickets_auto_close(*, older_than_days: int | None = None, rule: str = "") -> int:
    """Close, as the system, tickets resolved more than N days ago. Returns how many.
    `rule`: the automation that does it (tickets.rules.automations.auto_close)."""
    days = settings.AUTO_CLOSE_RESOLVED_AFTER_DAYS if older_than_days is None else older_than_days
    due = auto_close_due(cutoff=timezone.now() - timedelta(days=days))
    closed = 0
    for ticket_id in auto_close_candidates(due=due):
        try:
            if _auto_close_one(ticket_id=ticket_id, due=due, days=days, rule=rule):
                closed += 1
        except WorkflowError:
            continue  # refused by the workflow's rules; left for a person
    return closed


def auto_close_due(*, cutoff: datetime) -> Q:
    """A ticket the system closes: resolved, and not since `cutoff`."""
    return Q(status=Status.RESOLVED, resolved_at__lt=cutoff)


def auto_close_candidates(*, due: Q) -> list[int]:
    return list(Ticket.objects.filter(due).order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def _auto_close_one(*, ticket_id: int, due: Q, days: int, rule: str = "") -> bool:
    # The condition again, under the row lock: a ticket reopened (and perhaps resolved anew)
    # since it was selected is no longer due. PostgreSQL re-reads a row it waited for.
    ticket = Ticket.objects.select_for_update().filter(due, pk=ticket_id).first()
    if ticket is None:
        return False
    workflow.transition_locked(
        ticket=ticket,
        to=Status.CLOSED,
        actor=None,
        note=workflow.auto_close_note(days),
        rule=rule,
    )
    return True


def is_ratable(ticket: Ticket) -> bool:
    """A ticket can be rated once it is resolved (or closed)."""
    return ticket.status in (Status.RESOLVED, Status.CLOSED)


@transaction.atomic
def rating_add(*, ticket_id: int, customer: User, score: int, comment: str = "") -> Rating:
    """The customer rates a resolved or closed ticket, once."""
    ticket = _lock(ticket_id, None, customer)
    if not (customer.is_customer and ticket.customer_id == customer.pk):
        raise NotPermitted()
    if not is_ratable(ticket):
        raise WorkflowError(NOT_YET_RESOLVED)
    if Rating.objects.filter(ticket=ticket).exists():
        raise WorkflowError(ALREADY_RATED)
    if not 1 <= score <= 5:
        raise ValidationError({"score": _("Choose from 1 to 5 stars.")})
    rating = Rating.objects.create(
        ticket=ticket,
        customer=customer,
        score=score,
        comment=comment.strip()[:RATING_COMMENT_MAX_LENGTH],
    )
    # The reports count ratings from the ticket's metrics row, without a join.
    TicketMetrics.objects.filter(ticket_id=ticket.pk).update(rating=score)
    return rating
