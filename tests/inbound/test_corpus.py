"""Mail as real programs send it (tests/inbound/corpus/*.eml): each gets its stated result."""

from pathlib import Path

import pytest

from accounts.models import User
from tickets.inbound import addresses, receive
from tickets.models import InboundMessage, Ticket
from tickets.status import Status

CORPUS = Path(__file__).parent / "corpus"
State = InboundMessage.State
# file → the reply text that lands on the ticket (the quoted history cut away)
REPLIES = {
    "outlook-reply.eml": "The new certificate works, thank you!\n\nCarla",
    "gmail-reply.eml": "Still broken after the update.",
    "apple-reply.eml": "Works on the Mac now, not on the iPad.",
}
IGNORED = ["vacation.eml", "auto-reply.eml", "mailing-list.eml"]


def load(name: str, ticket: Ticket | None = None) -> bytes:
    raw = (CORPUS / name).read_bytes()
    if ticket is not None:
        raw = raw.replace(b"{ticket}", str(ticket.pk).encode())
        raw = raw.replace(b"{token}", addresses.token(ticket.pk).encode())
    return raw


@pytest.fixture
def worked(make_ticket):
    return make_ticket(Status.IN_PROGRESS)


@pytest.mark.parametrize(("name", "text"), REPLIES.items())
def test_replies_from_mail_programs_land_on_the_ticket_without_the_quote(
    worked, customer, name, text
):
    record = receive(load(name, worked))

    assert record.state == State.PROCESSED
    assert record.ticket == worked
    assert record.comment.body == text


@pytest.mark.parametrize("name", IGNORED)
def test_automatic_mail_from_the_corpus_makes_nothing(worked, name):
    record = receive(load(name, worked))

    assert record.state == State.IGNORED
    assert Ticket.objects.count() == 1
    assert worked.comments.count() == 0


def test_a_forwarded_message_is_a_new_ticket_with_the_forwarded_text(customer):
    record = receive(load("forwarded.eml"))

    assert record.ticket.subject == "Fwd: Printer error report"
    assert "Error 49: paper jam in tray 2." in record.ticket.description


def test_an_encoded_word_hiding_a_line_break_stays_one_line(customer):
    record = receive(load("header-injection.eml"))

    assert record.ticket.subject == "Help Bcc: victim@example.com"


def test_latin_1_headers_and_body_are_read(db):
    record = receive(load("latin1.eml"))

    assert record.ticket.subject == "Drucker fällt aus"
    assert record.ticket.description == "Der Drucker fällt ständig aus."
    assert User.objects.get(email="joerg@example.de").display_name == "Jörg Müller"
