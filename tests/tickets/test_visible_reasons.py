"""A required reason must show something: text made only of invisible characters (zero-width
spaces, word joiners, a BOM, spaces of every width) is no reason."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets import workflow
from tickets.errors import ReasonRequired
from tickets.status import Status
from tickets.text import has_visible_text

from ..api.conftest import api_url, client_for

INVISIBLE_REASONS = [
    "\u200b",  # zero-width space
    "\u2060",  # word joiner
    "\ufeff",  # byte order mark
    "\u00a0\u3000\u2003",  # no-break, ideographic and em spaces
    "\u200b \u200c\u200d\n\t",
    "\u00ad",  # soft hyphen
    "\u3164",  # Hangul filler, a "letter" drawn as nothing
    "\u0301",  # a combining accent on nothing
    "\U000e0020",  # tag space
]


@pytest.mark.django_db
@pytest.mark.parametrize("note", INVISIBLE_REASONS)
def test_an_invisible_reason_is_refused_by_the_workflow(note, make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    with pytest.raises(ReasonRequired):
        workflow.transition(ticket_id=ticket.pk, to=Status.ON_HOLD, actor=agent, note=note)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


@pytest.mark.django_db
@pytest.mark.parametrize("note", INVISIBLE_REASONS)
def test_an_invisible_reason_is_refused_by_the_api(note, make_ticket, customer):
    ticket = make_ticket(Status.RESOLVED)
    response = client_for(customer).post(
        api_url("ticket-transitions", ticket.pk), {"action": "reopen", "note": note}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "note" in response.json()["errors"]
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


@pytest.mark.django_db
@pytest.mark.parametrize("note", ["Waiting for the logs.", "\u200bok", "\U0001f44d", "?"])
def test_a_visible_reason_is_enough(note, make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    workflow.transition(ticket_id=ticket.pk, to=Status.ON_HOLD, actor=agent, note=note)
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD


INVISIBLE_CHARS = st.characters(categories=("Cc", "Cf", "Zs", "Zl", "Zp"))


@given(st.text(INVISIBLE_CHARS))
def test_text_of_controls_format_characters_and_spaces_is_not_visible(text):
    assert not has_visible_text(text)


@given(
    st.text(INVISIBLE_CHARS),
    st.characters(categories=("Lu", "Ll", "Nd", "P", "Sm", "So")).filter(
        lambda c: c != "\u2800"  # the blank Braille pattern
    ),
    st.text(),
)
def test_one_letter_digit_mark_or_symbol_is_visible(before, char, after):
    assert has_visible_text(before + char + after)
