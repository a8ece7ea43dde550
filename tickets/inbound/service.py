"""`receive()`: one e-mail in, at most one ticket or reply out, recorded once."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from mailparser_reply import EmailReplyParser

from accounts.identity import normalize_email
from accounts.models import Role, User
from accounts.services import user_create

from .. import followers, mail_thread, services, uploads
from ..errors import TicketError
from ..limits import MESSAGE_MAX_LENGTH, SUBJECT_MAX_LENGTH
from ..models import Channel, Comment, InboundMessage, Notification, Ticket
from ..status import Status
from . import addresses, answers, bounces, noise
from .parsing import ParsedMessage, Part, parse

log = logging.getLogger(__name__)
State = InboundMessage.State
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]
NO_SUBJECT = "(no subject)"
NO_TEXT = "(The message had no text.)"
# A message copied to many people makes at most this many followers (and accounts).
CC_FOLLOWERS_MAX = 10


class Refused(Exception):
    """The message is understood and refused by a rule; its text is the recorded reason."""

    def __init__(self, state: str, reason: str, *, answer_to: str = "") -> None:
        super().__init__(reason)
        self.state = state
        self.reason = reason
        self.answer_to = answer_to  # an address owed a polite automatic answer


@dataclass(frozen=True)
class Files:
    accepted: list[SimpleUploadedFile]
    refused: list[str]  # one sentence per file left out, saying why


def receive(raw: bytes, *, source: str = InboundMessage.Source.PIPE) -> InboundMessage:
    """Act on one raw e-mail: a new ticket, a reply to one, or a recorded refusal.

    Idempotent: a message already received (same Message-ID, or the same bytes) returns the
    first record and does nothing else. A message that cannot be processed for a reason we
    did not foresee is quarantined with that reason, never dropped. Database failures are
    raised, so that the caller leaves the message where it was and tries again later.
    """
    digest = hashlib.sha256(raw).hexdigest()
    message = parse(raw)
    key = hashlib.sha256(message.message_id.encode()).hexdigest() if message.message_id else None
    if (seen := _already_received(digest=digest, key=key)) is not None:
        return seen
    try:
        return _record(raw, message, digest=digest, key=key, source=source)
    except IntegrityError:
        # Another fetcher recorded the same message first and has committed by now.
        if (seen := _already_received(digest=digest, key=key)) is not None:
            return seen
        raise


def _already_received(*, digest: str, key: str | None) -> InboundMessage | None:
    same = Q(digest=digest) | Q(message_key=key) if key is not None else Q(digest=digest)
    return InboundMessage.objects.filter(same).first()


@uploads.removed_on_failure()
@transaction.atomic
def _record(
    raw: bytes, message: ParsedMessage, *, digest: str, key: str | None, source: str
) -> InboundMessage:
    record = InboundMessage.objects.create(
        message_key=key,
        digest=digest,
        message_id=message.message_id,
        source=source,
        state=State.QUARANTINED,
        reason=_("Being processed."),
        sender=message.sender[:320],
        subject=message.subject[:SUBJECT_MAX_LENGTH],
        size=len(raw),
    )  # the unique keys make a second fetcher of this message wait here, then fail
    record.raw.save("message.eml", ContentFile(raw), save=False)
    uploads.remember_stored(record.raw.storage, record.raw.name)
    try:
        with transaction.atomic():
            ticket, comment, note = _act(message, size=len(raw))
    except Refused as refusal:
        record.state, record.reason = refusal.state, _refused(refusal, message, raw)
    except DatabaseError:
        raise
    except Exception as error:
        log.exception("inbound message %s quarantined", record.pk)
        record.state = State.QUARANTINED
        record.reason = f"{type(error).__name__}: {error}"[:2000]
    else:
        record.state, record.reason = State.PROCESSED, note
        record.ticket, record.comment = ticket, comment
    record.save()
    return record


def _refused(refusal: Refused, message: ParsedMessage, raw: bytes) -> str:
    """What a refused message still does, now that its attempt is rolled back; the reason
    recorded."""
    if noise.is_bounce(message):
        return bounces.record(raw)
    if refusal.answer_to:
        if answers.refuse(message, address=refusal.answer_to) is None:
            return f"{refusal.reason} {answers.over_the_cap()}"
        return refusal.reason + " " + _("The sender was told so.")
    return refusal.reason


def _act(message: ParsedMessage, *, size: int) -> tuple[Ticket, Comment | None, str]:
    """The ticket made or answered, the reply made (if it was one), and what the record
    should note about a message acted on (e.g. that it was not acknowledged)."""
    if reason := noise.noise_reason(message):
        raise Refused(State.IGNORED, reason)
    if size > settings.INBOUND_MAX_BYTES:
        raise Refused(
            State.QUARANTINED,
            _("The message is larger than %(mb)s MB.") % {"mb": settings.INBOUND_MAX_BYTES >> 20},
        )
    try:
        email = normalize_email(message.sender)
    except ValidationError:
        raise Refused(State.QUARANTINED, _("The message has no usable sender address.")) from None
    sender = User.objects.filter(email=email).first()
    ticket = _thread(message, sender)
    if ticket is not None and sender is not None:
        if ticket.status != Status.CLOSED:
            comment = _reply(ticket, sender, message)
            _add_followers(ticket, message)
            return ticket, comment, ""
        ticket, acknowledged = _new_ticket(message, sender, follow_up_to=ticket)
    elif sender is None:
        customer = _unknown_sender(message, email)
        ticket, acknowledged = _new_ticket(message, customer, new_account=True)
    else:
        ticket, acknowledged = _new_ticket(message, sender)
    _add_followers(ticket, message)
    return ticket, None, "" if acknowledged else answers.over_the_cap()


def _thread(message: ParsedMessage, sender: User | None) -> Ticket | None:
    """The ticket this message answers, if its sender may write on it.

    Looked for in this order: our token in a recipient address; a Message-ID of ours among
    those the message answers; the `[HD-1042]` subject tag. The first ticket found that the
    sender may write on by mail (may_write_by_mail) is the one; an agent writes on a ticket
    only where the message proves they had our mail about it (the token, or one of our
    notifications' random Message-IDs), never by a tag or a thread id anyone can type.
    """
    if sender is None or not sender.is_active:
        return None
    for ticket_id, proven in _candidates(message):
        ticket = Ticket.objects.filter(pk=ticket_id).first()
        if ticket is None:
            continue
        if may_write_by_mail(sender, ticket) or (proven and sender.is_agent):
            return ticket
    return None


def may_write_by_mail(user: User, ticket: Ticket) -> bool:
    """Whether a message from `user` may join `ticket` as their reply: its customer's or a
    follower's (tickets.followers)."""
    return followers.speaks_for_customer(user=user, ticket=ticket)


# A References header may list a whole thread; the newest ids are the ones that count.
MAX_REFERENCES = 50


def _candidates(message: ParsedMessage) -> Iterator[tuple[int, bool]]:
    """(ticket id, whether the message proves its sender had our mail about it), in the
    order they are tried."""
    if (ticket_id := addresses.ticket_id_from(message.to + message.cc)) is not None:
        yield ticket_id, True
    ids = message.refers_to[:MAX_REFERENCES]
    if ids:
        ours = dict(
            Notification.objects.filter(
                message_id__in=[f"<{id_}>" for id_ in ids], ticket__isnull=False
            ).values_list("message_id", "ticket_id")
        )
        for id_ in ids:
            if (ticket_id := ours.get(f"<{id_}>")) is not None:
                yield ticket_id, True
            elif (ticket_id := mail_thread.ticket_id_of_root(id_)) is not None:
                yield ticket_id, False
    if (ticket_id := _subject_tag(message.subject)) is not None:
        yield ticket_id, False


def _subject_tag(subject: str) -> int | None:
    prefix = re.escape(settings.TICKET_REFERENCE_PREFIX)
    match = re.search(rf"\[{prefix}-([0-9]{{1,18}})\]", subject, flags=re.IGNORECASE)
    return int(match[1]) if match else None


def _unknown_sender(message: ParsedMessage, email: str) -> User:
    if settings.INBOUND_UNKNOWN_SENDERS != "create":
        raise Refused(
            State.REJECTED,
            _("The sender has no account and sign-up by e-mail is off."),
            answer_to=email,
        )
    return _new_customer(email, message.sender_name)


def _new_customer(email: str, name: str = "") -> User:
    """An account for an address that wrote to us (or was copied): no usable password."""
    name = name or email.partition("@")[0]
    return user_create(email=email, display_name=name[:150], role=Role.CUSTOMER, password=None)


def _add_followers(ticket: Ticket, message: ParsedMessage) -> None:
    """People in Cc follow the ticket: known customers, and unknown addresses when unknown
    senders get an account (INBOUND_UNKNOWN_SENDERS). Staff, our own addresses, the sender
    and the customer are left out; so is anyone past the first CC_FOLLOWERS_MAX."""
    wanted: dict[str, None] = {}
    for address in message.cc:
        if noise.is_our_address(address):
            continue
        try:
            wanted[normalize_email(address)] = None
        except ValidationError:
            continue
    wanted.pop(normalize_email(message.sender), None)
    addresses = list(wanted)[:CC_FOLLOWERS_MAX]
    known = {user.email: user for user in User.objects.filter(email__in=addresses)}
    for address in addresses:
        user = known.get(address)
        if user is None:
            if settings.INBOUND_UNKNOWN_SENDERS != "create":
                continue
            try:
                user = _new_customer(address)
            except ValidationError:  # e.g. an address that looks like someone else's
                continue
        if followers.refusal(user=user, ticket=ticket):
            continue  # staff, a deactivated account, the customer
        followers.follower_add(ticket_id=ticket.pk, user=user, added_by=None)


def _new_ticket(
    message: ParsedMessage,
    customer: User,
    follow_up_to: Ticket | None = None,
    *,
    new_account: bool = False,
) -> tuple[Ticket, bool]:
    """The ticket made, and whether its acknowledgement goes out (the cap may hold it back)."""
    if not customer.is_active:
        raise Refused(State.REJECTED, _("The sender's account is deactivated."))
    if not customer.is_customer:
        raise Refused(
            State.QUARANTINED,
            _("A staff address wrote a new message; staff open tickets in the help desk."),
        )
    files = _files(message.attachments)
    acknowledge = answers.may_answer(address=customer.email, user=customer)
    ticket = services.ticket_create(
        customer=customer,
        created_by=customer,
        subject=_shorten(message.subject or NO_SUBJECT, SUBJECT_MAX_LENGTH),
        description=_body(message.text, files),
        attachments=files.accepted,
        follow_up_to=follow_up_to,
        acknowledge=acknowledge,
        acknowledgement=answers.acknowledgement(
            message, new_account=new_account, refused=files.refused
        ),
        channel=Channel.EMAIL,
    )
    return ticket, acknowledge


def _reply(ticket: Ticket, author: User, message: ParsedMessage) -> Comment:
    files = _files(message.attachments)
    try:
        return services.comment_add(
            ticket_id=ticket.pk,
            author=author,
            body=_body(reply_text(message.text), files),
            attachments=files.accepted,
        )
    except TicketError as error:
        raise Refused(State.QUARANTINED, str(error)) from error


def reply_text(text: str) -> str:
    """What the writer of a reply wrote: the text above our reply marker, without the quoted
    history and the signature that mail clients add (mail-parser-reply). Never empty when
    the message had text: a reply that is all quote is kept whole."""
    above = mail_thread.above_marker(text)
    if not above.strip():
        above = text  # written below the marker, or nothing but the quote
    cut = EmailReplyParser(languages=REPLY_LANGUAGES).parse_reply(text=above)
    return cut if cut.strip() else above


def _files(parts: tuple[Part, ...]) -> Files:
    accepted: list[SimpleUploadedFile] = []
    refused: list[str] = []
    for part in parts:
        upload = SimpleUploadedFile(part.name, part.payload, content_type=part.content_type)
        if len(accepted) >= uploads.max_files():
            refused.append(
                _("“%(name)s”: at most %(count)s files are taken from one message.")
                % {"name": part.name, "count": uploads.max_files()}
            )
            continue
        try:
            uploads.check_files([upload])
        except ValidationError as error:
            refused.append(" ".join(error.messages))
            continue
        accepted.append(upload)
    return Files(accepted=accepted, refused=refused)


def _body(text: str, files: Files) -> str:
    text = text.strip() or NO_TEXT
    note = ""
    if files.refused:
        note = (
            "\n\n"
            + _("Attachments not taken:")
            + "\n"
            + "\n".join(f"- {line}" for line in files.refused)
        )
    return _shorten(text, MESSAGE_MAX_LENGTH - len(note)) + note


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    marker = " " + _("[… shortened; the full message is kept with the ticket]")
    return text[: max(0, limit - len(marker))].rstrip() + marker
