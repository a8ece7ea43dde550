"""Mail as real programs send it, and as attackers and broken programs do: each message of
the corpus gets its stated result, none raises, and nothing is half-written.

Small messages are files in tests/inbound/corpus/ ({ticket}, {token} and {message_id} stand
for a ticket in progress, its reply-address token and the Message-ID of the mail we sent
about it); big ones are made here, when the test runs.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from accounts.models import User
from tickets import delivery
from tickets.inbound import addresses, receive
from tickets.models import Attachment, InboundMessage, Notification, Ticket
from tickets.status import Status

from .conftest import mail

CORPUS = Path(__file__).parent / "corpus"
State = InboundMessage.State
Event = Notification.Event
MB = 1024 * 1024


@dataclass(frozen=True)
class Sent:
    """What the corpus messages refer to: a ticket in progress and the mail we sent about it."""

    ticket: Ticket
    notification: Notification


def from_file(name: str) -> Callable[[Sent], bytes]:
    def load(sent: Sent) -> bytes:
        raw = (CORPUS / name).read_bytes()
        for placeholder, value in {
            b"{ticket}": str(sent.ticket.pk),
            b"{token}": addresses.token(sent.ticket.pk),
            b"{message_id}": sent.notification.message_id,
        }.items():
            raw = raw.replace(placeholder, value.encode())
        return raw

    return load


def thousand_recipients(sent: Sent) -> bytes:
    recipients = ", ".join(f"user{number}@example.net" for number in range(1000))
    return mail(to=f"support@helpdesk.example, {recipients}", headers={"Cc": recipients})


def thirty_mb_attachment(sent: Sent) -> bytes:
    scan = b"%PDF-1.7\n" + bytes(range(256)) * (30 * MB // 256)
    return mail(subject="The scan", files=[("scan.pdf", "application/pdf", scan)])


def zip_bomb(sent: Sent) -> bytes:
    """A small zip that would expand to 200 MB: we never expand it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("data.bin", bytes(200 * MB))
    return mail(subject="Logs", files=[("logs.zip", "application/zip", buffer.getvalue())])


def two_mb_single_line(sent: Sent) -> bytes:
    message = EmailMessage()
    message["From"] = "carla@example.com"
    message["To"] = "support@helpdesk.example"
    message["Subject"] = "One long line"
    message["Message-ID"] = "<one-line@mail.example.com>"
    message.set_content("x" * (2 * MB), cte="quoted-printable")
    return bytes(message)


# --- What each message must come to -------------------------------------------------------


def reply(text: str) -> Callable[[InboundMessage, Sent], None]:
    def check(record: InboundMessage, sent: Sent) -> None:
        assert record.ticket == sent.ticket
        assert record.comment.body == text
        assert record.comment.author.email == "carla@example.com"

    return check


def made_nothing(record: InboundMessage, sent: Sent) -> None:
    assert record.reason
    assert Ticket.objects.count() == 1
    assert sent.ticket.comments.count() == 0


def new_ticket(**expected) -> Callable[[InboundMessage, Sent], None]:
    def check(record: InboundMessage, sent: Sent) -> None:
        ticket = record.ticket
        assert ticket != sent.ticket and record.comment is None
        for name, value in expected.items():
            assert getattr(ticket, name) == value, name

    return check


def files_kept(*names: str) -> Callable[[InboundMessage, Sent], None]:
    def check(record: InboundMessage, sent: Sent) -> None:
        assert sorted(a.original_name for a in record.ticket.attachments.all()) == sorted(names)

    return check


def refused_and_said(name: str) -> Callable[[InboundMessage, Sent], None]:
    """The file is left out, and both the ticket and the acknowledgement say so."""

    def check(record: InboundMessage, sent: Sent) -> None:
        ticket = record.ticket
        assert ticket.attachments.count() == 0
        assert "Attachments not taken:" in ticket.description and name in ticket.description
        ack = Notification.objects.get(ticket=ticket, event=Event.RECEIVED)
        assert name in delivery.compose(ack).body

    return check


def all_of(*checks):
    def check(record: InboundMessage, sent: Sent) -> None:
        for one in checks:
            one(record, sent)

    return check


def bounced(record: InboundMessage, sent: Sent) -> None:
    sent.notification.refresh_from_db()
    assert sent.notification.state == Notification.State.FAILED
    assert "5.1.1" in sent.notification.last_error
    assert "User unknown" in sent.notification.last_error
    assert f"notification {sent.notification.pk}" in record.reason


def html_read_as_text(record: InboundMessage, sent: Sent) -> None:
    assert record.ticket.description == "Hello,\n\nthe printer & scanner fail."
    assert User.objects.get(email="hana@example.com").display_name == "Hana Html"


def forwarded_text(record: InboundMessage, sent: Sent) -> None:
    assert "Error 49: paper jam in tray 2." in record.ticket.description


def one_line_subject(record: InboundMessage, sent: Sent) -> None:
    assert record.ticket.subject == "Help Bcc: victim@example.com"


def eight_bit(record: InboundMessage, sent: Sent) -> None:
    # Undeclared 8-bit is not guessed at: it is read with replacement characters.
    assert record.ticket.subject.startswith("Dr") and record.ticket.subject.endswith("kaputt")
    assert record.ticket.description.startswith("Gr")
    assert record.ticket.description.endswith("aus M\ufffdnchen")


def latin1(record: InboundMessage, sent: Sent) -> None:
    assert record.ticket.subject == "Drucker fällt aus"
    assert record.ticket.description == "Der Drucker fällt ständig aus."
    assert User.objects.get(email="joerg@example.de").display_name == "Jörg Müller"


def shortened(record: InboundMessage, sent: Sent) -> None:
    assert len(record.ticket.description) <= 20_000
    assert "shortened" in record.ticket.description
    assert record.size > 2 * MB


def zip_stored_unexpanded(record: InboundMessage, sent: Sent) -> None:
    [attachment] = record.ticket.attachments.all()
    assert attachment.original_name == "logs.zip"
    assert attachment.size < MB  # as it came: nothing was expanded
    assert attachment.file.size == attachment.size


def big_message_kept(record: InboundMessage, sent: Sent) -> None:
    assert record.size > 30 * MB
    assert record.raw.size == record.size


@dataclass(frozen=True)
class Case:
    raw: Callable[[Sent], bytes]
    state: str
    check: Callable[[InboundMessage, Sent], None]


CASES = {
    "outlook-reply.eml": Case(
        from_file("outlook-reply.eml"),
        State.PROCESSED,
        reply("The new certificate works, thank you!\n\nCarla"),
    ),
    "outlook-html-reply.eml": Case(
        from_file("outlook-html-reply.eml"),
        State.PROCESSED,
        reply("It works from home now, but not from the hotel Wi-Fi.\n\nCarla"),
    ),
    "gmail-reply.eml": Case(
        from_file("gmail-reply.eml"), State.PROCESSED, reply("Still broken after the update.")
    ),
    "apple-reply.eml": Case(
        from_file("apple-reply.eml"),
        State.PROCESSED,
        reply("Works on the Mac now, not on the iPad."),
    ),
    "vacation.eml": Case(from_file("vacation.eml"), State.IGNORED, made_nothing),
    "auto-reply.eml": Case(from_file("auto-reply.eml"), State.IGNORED, made_nothing),
    "mailing-list.eml": Case(from_file("mailing-list.eml"), State.IGNORED, made_nothing),
    "dsn-bounce.eml": Case(
        from_file("dsn-bounce.eml"), State.IGNORED, all_of(made_nothing, bounced)
    ),
    "forwarded.eml": Case(
        from_file("forwarded.eml"),
        State.PROCESSED,
        all_of(new_ticket(subject="Fwd: Printer error report"), forwarded_text),
    ),
    "html-only.eml": Case(from_file("html-only.eml"), State.PROCESSED, html_read_as_text),
    "alternative-with-attachments.eml": Case(
        from_file("alternative-with-attachments.eml"),
        State.PROCESSED,
        all_of(
            new_ticket(
                description="The error appears when I open the report. Screenshots attached."
            ),
            files_kept("error.png", "steps.txt"),
        ),
    ),
    "inline-image.eml": Case(
        from_file("inline-image.eml"),
        State.PROCESSED,
        all_of(
            new_ticket(description="This is what the screen shows:"),
            files_kept("image001.png"),
        ),
    ),
    "header-injection.eml": Case(
        from_file("header-injection.eml"), State.PROCESSED, one_line_subject
    ),
    "latin1.eml": Case(from_file("latin1.eml"), State.PROCESSED, latin1),
    "eight-bit-subject.eml": Case(from_file("eight-bit-subject.eml"), State.PROCESSED, eight_bit),
    "malformed-mime.eml": Case(
        from_file("malformed-mime.eml"),
        State.PROCESSED,
        new_ticket(subject="Broken", description="Just text, no parts."),
    ),
    "exe-as-pdf.eml": Case(
        from_file("exe-as-pdf.eml"),
        State.PROCESSED,
        all_of(new_ticket(), refused_and_said("invoice.pdf")),
    ),
    "1,000 recipients": Case(
        thousand_recipients, State.PROCESSED, all_of(new_ticket(), files_kept())
    ),
    "30 MB attachment": Case(
        thirty_mb_attachment,
        State.PROCESSED,
        all_of(refused_and_said("scan.pdf"), big_message_kept),
    ),
    "zip bomb": Case(zip_bomb, State.PROCESSED, zip_stored_unexpanded),
    "2 MB single line": Case(two_mb_single_line, State.PROCESSED, shortened),
}


@pytest.fixture
def sent(make_ticket) -> Sent:
    ticket = make_ticket(Status.IN_PROGRESS)
    notification = Notification.objects.get(ticket=ticket, event=Event.RECEIVED)
    Notification.objects.filter(pk=notification.pk).update(state=Notification.State.SENT)
    return Sent(ticket=ticket, notification=notification)


def stored_files() -> set[str]:
    root = Path(django_settings.MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


@pytest.mark.parametrize("name", CASES)
def test_each_message_gets_its_stated_result_once(sent, name):
    case = CASES[name]
    raw = case.raw(sent)

    record = receive(raw)

    assert record.state == case.state, record.reason
    case.check(record, sent)
    # Nothing half-written: every stored file is the message or an attachment of a row.
    rows = {a.file.name for a in Attachment.objects.all()} | {record.raw.name}
    assert stored_files() == rows
    # The same message again acts no more.
    counts = (Ticket.objects.count(), InboundMessage.objects.count(), Attachment.objects.count())
    assert receive(raw).pk == record.pk
    assert counts == (
        Ticket.objects.count(),
        InboundMessage.objects.count(),
        Attachment.objects.count(),
    )
