"""The automatic answers we send to e-mail, and the cap that keeps them from looping.

An automatic answer is the acknowledgement of a ticket made from an e-mail (the RECEIVED
mail, which then also says what the e-mail brought: the attachments left out, how a person
whose account the e-mail made sets a password) or the polite refusal of an e-mail from an
address with no account (INBOUND_UNKNOWN_SENDERS=reject). Both are outbox rows that carry
the Message-ID they answer as detail[Notification.ANSWERS].

Two help desks that each acknowledge every mail would write to each other forever, and the
other one's acknowledgements can look like a person's mail (no Auto-Submitted, no
Precedence). So one address gets at most INBOUND_AUTO_ANSWERS_PER_HOUR automatic answers in
any hour, counted from those outbox rows; beyond that its mail is still acted on (a ticket
is made), but not answered. Two fetchers answering the same address at once take turns
(helpdesk.locks), so the cap holds under concurrency too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import locks
from helpdesk.http import absolute_url

from .. import notifications
from ..delivery import builds
from ..models import Notification
from .parsing import ParsedMessage, one_line

if TYPE_CHECKING:
    from accounts.models import User

Event = Notification.Event
ANSWERS = Notification.ANSWERS
WINDOW = timedelta(hours=1)


def may_answer(*, address: str, user: User | None) -> bool:
    """Whether `address` (normalised; `user` when it has an account) may get one more
    automatic answer now. Call it in the transaction that adds the answer: it holds the
    address's turn until that commits."""
    locks.serialised(f"automatic-answers:{address}")
    to = Q(address=address)
    if user is not None:
        to |= Q(recipient=user)
    sent = Notification.objects.filter(
        to, detail__has_key=ANSWERS, created_at__gte=timezone.now() - WINDOW
    )
    return sent.count() < settings.INBOUND_AUTO_ANSWERS_PER_HOUR


def over_the_cap() -> str:
    """What the inbound record says of a message left unanswered by the cap."""
    return _("Not answered: too many automatic answers this hour.")


def acknowledgement(
    message: ParsedMessage, *, new_account: bool, refused: list[str]
) -> dict[str, object]:
    """What the acknowledgement of a ticket made from `message` adds (its row's detail)."""
    detail: dict[str, object] = {ANSWERS: message.message_id}
    if refused:
        detail["refused"] = refused
    if new_account:
        # Where the person whose account this e-mail made chooses a password (not a
        # set-password link itself: anyone can write "From:" any address).
        detail["choose_password_at"] = absolute_url(reverse("password_reset"))
    return detail


def refuse(message: ParsedMessage, *, address: str) -> Notification | None:
    """Tell an address with no account, politely and once per message, that its e-mail was
    not taken; nothing when the cap is reached."""
    if not may_answer(address=address, user=None):
        return None
    detail = {ANSWERS: message.message_id, "subject": message.subject[:200]}
    return notifications.address_event(Event.MAIL_REFUSED, address=address, detail=detail)


@builds(Event.MAIL_REFUSED)
def render_refusal(notification: Notification) -> EmailMultiAlternatives:
    detail = notification.detail
    context = {
        "signup_link": absolute_url(reverse("signup")) if settings.SIGNUP_ENABLED else "",
        "site_link": absolute_url("/"),
    }
    subject = one_line(detail.get("subject", ""))
    subject = _("Re: %(subject)s") % {"subject": subject} if subject else _("Your e-mail")
    message = EmailMultiAlternatives(
        subject=subject[:250],
        body=render_to_string("emails/mail_refused.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.address],
        headers={"Auto-Submitted": "auto-replied"},
    )
    if answered := detail.get(ANSWERS):
        message.extra_headers["In-Reply-To"] = f"<{answered}>"
        message.extra_headers["References"] = f"<{answered}>"
    return message
