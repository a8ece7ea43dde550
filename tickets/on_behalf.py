"""Tickets staff report for a customer who phoned or walked in: the customer is found by
address, or given an account (no password; a reset sets one), and told the ticket arrived."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.identity import normalize_email
from accounts.models import Role, User
from accounts.services import user_create

from . import services
from .errors import NotPermitted
from .models import Channel
from .status import Priority

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from .models import Category, Ticket

STAFF_ADDRESS = _("This address belongs to a member of staff, not a customer.")
INACTIVE_CUSTOMER = _("This customer's account is deactivated; a manager can reactivate it.")


def customer_for(*, email: str, name: str) -> User:
    """The customer whose address is `email`, or a new customer account named `name` (the
    address's local part when no name is given). ValidationError keyed "customer_email"."""
    try:
        email = normalize_email(email)
    except ValidationError as error:
        raise ValidationError({"customer_email": error.messages}) from error
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        if not existing.is_customer:
            raise ValidationError({"customer_email": STAFF_ADDRESS})
        if not existing.is_active:
            raise ValidationError({"customer_email": INACTIVE_CUSTOMER})
        return existing
    try:
        return user_create(
            email=email,
            display_name=(name.strip() or email.partition("@")[0])[:150],
            role=Role.CUSTOMER,
            password=None,
        )
    except ValidationError as error:
        raise ValidationError(
            {
                "customer_email" if key == "email" else "customer_name": value
                for key, value in error.message_dict.items()
            }
        ) from error


@transaction.atomic
def ticket_create_on_behalf(
    *,
    agent: User,
    customer_email: str,
    customer_name: str,
    subject: str,
    description: str,
    category: Category | None = None,
    priority: Priority | str = Priority.NORMAL,
    attachments: Sequence[UploadedFile] = (),
) -> Ticket:
    """Report a problem for a customer; the history says who reported it. Nothing is written
    (no account either) if the ticket is refused."""
    if not agent.is_agent:
        raise NotPermitted()
    customer = customer_for(email=customer_email, name=customer_name)
    return services.ticket_create(
        customer=customer,
        created_by=agent,
        subject=subject,
        description=description,
        category=category,
        priority=priority,
        attachments=attachments,
        channel=Channel.STAFF,
    )
