"""Followers: customers besides a ticket's own who follow it.

People in Cc of the mail that made or answered a ticket, or added by staff, follow it: they
see the ticket (and nothing else of the customer's) on the portal and in the API, read its
public side, reply on it, and receive its public replies and the status mails the customer
gets. Internal notes and staff-only notes stay hidden from them as from the customer. The
workflow's steps (confirm, reopen, withdraw, rate) stay the customer's own: the workflow
grants them to the ticket's customer only (workflow.actors_for).

Who sees a followed ticket is decided with everything else in tickets.queries.visible_to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.identity import normalize_email

from .errors import NotPermitted, TicketClosed
from .models import Ticket, TicketFollower
from .status import Status

if TYPE_CHECKING:
    from accounts.models import User

NO_SUCH_CUSTOMER = _("No customer has this address; they need an account first.")
STAFF_SEE_ALL = _("Staff see every ticket already; only customers are added as followers.")
IS_THE_CUSTOMER = _("This is the ticket's own customer.")
DEACTIVATED = _("This account is deactivated.")
NOT_A_FOLLOWER = _("This person does not follow the ticket.")


def is_follower(*, user: User, ticket: Ticket) -> bool:
    return TicketFollower.objects.filter(ticket=ticket, user=user).exists()


def speaks_for_customer(*, user: User, ticket: Ticket) -> bool:
    """Whether `user` writes on `ticket`'s public side: its active customer or a follower.
    (Staff write on every ticket, by other rules.)"""
    if not (user.is_active and user.is_customer):
        return False
    return ticket.customer_id == user.pk or is_follower(user=user, ticket=ticket)


def refusal(*, user: User, ticket: Ticket) -> str:
    """Why `user` cannot follow `ticket`, or "" when they can."""
    if not user.is_customer:
        return str(STAFF_SEE_ALL)
    if not user.is_active:
        return str(DEACTIVATED)
    if user.pk == ticket.customer_id:
        return str(IS_THE_CUSTOMER)
    return ""


def followers_of(*, ticket: Ticket, viewer: User) -> QuerySet[TicketFollower]:
    """Who follows `ticket`, first added first: for staff only (NotPermitted otherwise)."""
    if not viewer.is_agent:
        raise NotPermitted()
    return ticket.followers.select_related("user", "added_by")


def recipients(ticket: Ticket) -> list[User]:
    """The people on the customer's side who hear about `ticket`: the customer, then its
    active followers."""
    followers = [row.user for row in ticket.followers.select_related("user") if row.user.is_active]
    return [ticket.customer, *followers]


@transaction.atomic
def follower_add(
    *, ticket_id: int, user: User, added_by: User | None
) -> tuple[TicketFollower, bool]:
    """Make `user` follow the ticket; `added_by` is staff, or None for the help desk itself
    (a Cc on the ticket's mail). Returns the row and whether it is new: adding someone who
    already follows changes nothing."""
    if added_by is not None and not added_by.is_agent:
        raise NotPermitted()
    ticket = Ticket.objects.get(pk=ticket_id)
    if reason := refusal(user=user, ticket=ticket):
        raise ValidationError({"email": reason})
    if ticket.status == Status.CLOSED:
        raise TicketClosed()
    return TicketFollower.objects.get_or_create(
        ticket=ticket, user=user, defaults={"added_by": added_by}
    )


def follower_add_by_email(
    *, ticket_id: int, email: str, added_by: User
) -> tuple[TicketFollower, bool]:
    """Staff add an existing customer by their address (any spelling of it). Whether an
    address has an account is told to staff only."""
    from accounts.models import User

    if not added_by.is_agent:
        raise NotPermitted()
    try:
        user = User.objects.get(email=normalize_email(email))
    except (ValidationError, User.DoesNotExist):
        raise ValidationError({"email": NO_SUCH_CUSTOMER}) from None
    return follower_add(ticket_id=ticket_id, user=user, added_by=added_by)


@transaction.atomic
def follower_remove(*, ticket_id: int, user_id: int, removed_by: User) -> None:
    """Staff stop someone following the ticket. TicketFollower.DoesNotExist if they did not."""
    if not removed_by.is_agent:
        raise NotPermitted()
    deleted, _rows = TicketFollower.objects.filter(ticket_id=ticket_id, user_id=user_id).delete()
    if not deleted:
        raise TicketFollower.DoesNotExist(NOT_A_FOLLOWER)
