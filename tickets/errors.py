"""What the ticket services refuse, with messages people can act on.

Every error carries a stable `code` (for the API and tests), a human `message` and the HTTP
`status_code` it is answered with. The statuses are decided here and nowhere else; the API
(tickets.api.exceptions), its OpenAPI schema (tickets.api.schema), the pages and the README's
API section all follow this table:

- 409 Conflict — the ticket's state refuses the request: the step is not in the workflow
  table from the current status (`invalid_transition`), the ticket changed since the caller
  read it (`ticket_changed`), it is closed (`ticket_closed`), or another rule about its state
  (`workflow_error`, e.g. reassigning a ticket nobody works on).
- 403 Forbidden — the step exists, but this person may not take it (`not_allowed`), or may not
  do this at all (`not_permitted`).
- 400 Bad Request — the request lacks what the step needs: a reason (`reason_required`) or an
  active agent to assign (`assignee_invalid`), or asks for a note audience the action does
  not allow (`note_audience_fixed`), or a kind of hold that does not exist or goes with no
  hold (`hold_kind_invalid`).

None of them is ever a 500.
"""

from collections import defaultdict

from django.utils.translation import gettext as _

from .status import Status


def _label(status: str) -> str:
    try:
        return str(Status(status).label).lower()
    except ValueError:
        return repr(status)


class TicketError(Exception):
    code = "ticket_error"
    status_code = 400

    def __init__(self, message: str | None = None):
        self.message = message or self.default_message()
        super().__init__(self.message)

    def default_message(self) -> str:
        return _("This action cannot be done.")


class WorkflowError(TicketError):
    code = "workflow_error"
    status_code = 409


class InvalidTransition(WorkflowError):
    """The table has no such step (e.g. closed → anything)."""

    code = "invalid_transition"

    def __init__(self, *, source: str, target: str):
        self.source, self.target = source, target
        super().__init__(
            _("A ticket that is %(source)s cannot become %(target)s.")
            % {"source": _label(source), "target": _label(target)}
        )


class TransitionNotAllowed(WorkflowError):
    """The step exists, but not for this person."""

    code = "not_allowed"
    status_code = 403

    def __init__(self, *, source: str, target: str):
        self.source, self.target = source, target
        super().__init__(
            _("You are not allowed to move this ticket from %(source)s to %(target)s.")
            % {"source": _label(source), "target": _label(target)}
        )


class ReasonRequired(WorkflowError):
    code = "reason_required"
    status_code = 400

    def __init__(self, *, action: str):
        self.action = action
        super().__init__(
            _("Please give a reason: it is required to %(action)s a ticket.")
            % {"action": action.replace("_", " ")}
        )


class AssigneeInvalid(WorkflowError):
    code = "assignee_invalid"
    status_code = 400

    def default_message(self) -> str:
        return _("Choose an active agent to assign the ticket to.")


class HoldKindInvalid(WorkflowError):
    """A kind of hold that does not exist, or a kind given with a step that is not a hold."""

    code = "hold_kind_invalid"
    status_code = 400

    def default_message(self) -> str:
        return _(
            "Choose what the ticket waits for (the customer, or a third party), and only when "
            "putting it on hold."
        )


class NoteAudienceFixed(WorkflowError):
    """The writer chose who reads a note where the rule does not let them choose."""

    code = "note_audience_fixed"
    status_code = 400

    def __init__(self, *, public: bool):
        self.public = public
        super().__init__(
            _("This note is always read by the customer.")
            if public
            else _("This note is for staff only; it cannot be shown to the customer.")
        )


class TicketChanged(WorkflowError):
    """Optimistic concurrency: the caller acted on a version that is no longer current."""

    code = "ticket_changed"

    def default_message(self) -> str:
        return _("This ticket changed since you loaded it. Reload to see the latest state.")

    @classmethod
    def after(cls, change, *, viewer=None) -> "TicketChanged":
        """Refused, saying who changed what and when (a tickets.changes.Change; None: the
        plain refusal)."""
        if change is None:
            return cls()
        from .changes import sentence

        return cls(
            _("This ticket changed since you loaded it: %(change)s Reload to see the latest state.")
            % {"change": sentence(change, viewer=viewer)}
        )


class TicketClosed(TicketError):
    code = "ticket_closed"
    status_code = 409

    def default_message(self) -> str:
        return _("This ticket is closed. Open a follow-up ticket instead.")


class NotPermitted(TicketError):
    code = "not_permitted"
    status_code = 403

    def default_message(self) -> str:
        return _("You are not allowed to do this.")


def refusals(base: type[TicketError] = TicketError) -> dict[int, list[str]]:
    """The codes that `base` and its subclasses answer with, by HTTP status (the abstract
    TicketError itself left out): what the API schema lists for the workflow's endpoints."""
    codes: dict[int, set[str]] = defaultdict(set)
    pending = [base]
    while pending:
        error = pending.pop()
        pending.extend(error.__subclasses__())
        if error is not TicketError:
            codes[error.status_code].add(error.code)
    return {status: sorted(codes[status]) for status in sorted(codes)}
