"""Finding a ticket: by its customer, by what was said and noted on it, by a word's start, by a
spelling without accents — and never, for a customer, through text only staff may read."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.services import user_create
from tickets import queries, services, workflow
from tickets.models import Ticket, TicketSearch
from tickets.status import Status


def found(user, text, *, view="all"):
    filters = queries.QueueFilters(view=view, q=text)
    return sorted(t.subject for t in queries.queue_tickets(user, filters))


@pytest.fixture
def tickets(make_ticket, customer, agent):
    other = user_create(
        email="bruno.keller@zuerich.example", display_name="Bruno Keller", password=None
    )
    printer = make_ticket(subject="Printer jams", description="Floor 3, tray 2.")
    mailbox = make_ticket(
        Status.IN_PROGRESS, customer=other, subject="Mail full", description="Nothing arrives."
    )
    workflow.transition(
        ticket_id=mailbox.pk,
        to=Status.RESOLVED,
        actor=agent,
        note="Raised the mailbox quota; DHCP lease renewed too.",
    )
    services.comment_add(
        ticket_id=printer.pk, author=agent, body="Swapped the fuser unit.", internal=True
    )
    return {"printer": printer, "mailbox": mailbox}


def test_an_agent_finds_a_ticket_by_the_customers_name_or_address(agent, tickets):
    assert found(agent, "Bruno Keller") == ["Mail full"]
    assert found(agent, "bruno.keller@zuerich.example") == ["Mail full"]
    assert found(agent, "carla@example.com") == ["Printer jams"]


def test_an_agent_finds_a_ticket_by_its_resolution_note_and_internal_notes(agent, tickets):
    assert found(agent, "DHCP") == ["Mail full"]
    assert found(agent, "fuser") == ["Printer jams"]


def test_a_customer_never_finds_a_ticket_through_staff_only_text(customer, tickets):
    assert found(customer, "fuser") == []
    assert found(customer, "Printer") == ["Printer jams"]
    # Bruno's ticket is not Carla's, whatever she types.
    assert found(customer, "mailbox") == []


@pytest.mark.postgres
def test_words_match_by_their_start_stem_and_without_accents(postgres, agent, make_ticket):
    make_ticket(subject="Meeting room in Zürich", description="The projector flickers.")
    make_ticket(subject="Shared mailbox", description="Printers keep printing blank pages.")
    assert found(agent, "Zurich") == ["Meeting room in Zürich"]
    assert found(agent, "zürich projector") == ["Meeting room in Zürich"]
    assert found(agent, "mailb") == ["Shared mailbox"]
    assert found(agent, "printer") == ["Shared mailbox"]
    # Every word must match, wherever it is.
    assert found(agent, "mailbox projector") == []
    assert found(agent, "   ") == ["Meeting room in Zürich", "Shared mailbox"]


@pytest.mark.postgres
def test_the_search_document_follows_every_change(postgres, agent, customer, tickets):
    printer = tickets["printer"]
    services.comment_add(ticket_id=printer.pk, author=customer, body="Now it smokes.")
    assert found(agent, "smokes") == ["Printer jams"]
    customer.display_name = "Carla Nüssli"
    customer.save(update_fields=["display_name"])
    assert found(agent, "Nussli") == ["Printer jams"]
    Ticket.objects.filter(pk=printer.pk).update(subject="Toner empty")
    assert found(agent, "toner") == ["Toner empty"]
    # One document per ticket, the customer's without the internal note.
    document = TicketSearch.objects.get(ticket=printer)
    assert "fuser" in str(document.staff)
    assert "fuser" not in str(document.customer)


@pytest.mark.postgres
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=40).filter(lambda t: "\x00" not in t))
def test_any_text_is_a_search_never_an_error(postgres, agent, customer, tickets, text):
    for who in (agent, customer):
        assert isinstance(found(who, text), list)
