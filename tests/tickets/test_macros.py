"""Macros: canned replies with placeholders, inserted from the composer, previewed, then sent
with the composer's own buttons; managers keep the shared ones, agents their own."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tickets import macros
from tickets.models import Comment, Macro, Ticket
from tickets.status import HoldKind, Priority, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def alex(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def shared(manager):
    return macros.macro_save(
        actor=manager,
        title="VPN certificate re-issued",
        body="Hello {{ customer_first_name }}, about {{ ticket_reference }} ({{ service }}): "
        "we re-issued your certificate.\n{{ agent_name }}",
        shared=True,
        set_priority=Priority.HIGH,
        target_status=Status.RESOLVED,
    )


@pytest.fixture
def bos_own(other_agent):
    return macros.macro_save(actor=other_agent, title="Bo greeting", body="Hi from Bo")


def detail(ticket: Ticket, query: str = "") -> str:
    return reverse("agent:ticket_detail", args=[ticket.pk]) + query


# --- Placeholders ---------------------------------------------------------------------------


def test_placeholders_are_filled_from_the_ticket_and_the_agent(make_ticket, agent, shared):
    ticket = make_ticket()

    text = macros.macro_render(body=shared.body, ticket=ticket, agent=agent)

    assert text == (
        f"Hello Carla, about {ticket.reference} (VPN): we re-issued your certificate.\nAlex Agent"
    )


@pytest.mark.parametrize(
    "body",
    [
        "{% load static %}{% debug %}",
        "{{ settings.SECRET_KEY }}",
        "{{ customer_first_name|upper }}",
        "{{ ticket.customer.password }}",
        "{{ request.user }}",
        "{# comment #}",
        "{{customer_first_name }",
    ],
)
def test_anything_but_a_known_placeholder_stays_as_written(make_ticket, agent, body):
    assert macros.macro_render(body=body, ticket=make_ticket(), agent=agent) == body


@given(text=st.text(alphabet=st.characters(blacklist_characters="{"), max_size=200))
def test_a_text_without_braces_is_never_changed(text):
    # No ticket is read when nothing is to be filled.
    assert macros.macro_render(body=text, ticket=None, agent=None) == text


def test_a_filled_value_is_not_filled_again(make_ticket, agent, customer):
    customer.display_name = "{{ agent_name }} {% debug %}"
    customer.save()
    ticket = make_ticket()

    text = macros.macro_render(body="{{ customer_name }}", ticket=ticket, agent=agent)

    assert text == "{{ agent_name }} {% debug %}"


# --- Using one on a ticket ------------------------------------------------------------------


def test_the_picker_lists_shared_and_own_macros_never_another_agents(
    alex, make_ticket, shared, bos_own, agent
):
    mine = macros.macro_save(actor=agent, title="Alex sign-off", body="Cheers")

    page = alex.get(detail(make_ticket())).content.decode()

    assert shared.title in page and mine.title in page
    assert bos_own.title not in page


def test_the_picker_searches_title_and_text(alex, make_ticket, shared, agent):
    macros.macro_save(actor=agent, title="Printer toner", body="A new cartridge is on its way")

    page = alex.get(detail(make_ticket(), "?macro_q=cartridge")).content.decode()

    assert "Printer toner" in page and shared.title not in page


def test_choosing_a_macro_without_scripts_fills_the_composer_and_shows_what_it_will_do(
    alex, make_ticket, shared
):
    ticket = make_ticket(Status.IN_PROGRESS)

    response = alex.get(detail(ticket, f"?macro={shared.pk}"))

    form = response.context["reply_form"]
    assert form.initial["body"].startswith(f"Hello Carla, about {ticket.reference}")
    page = response.content.decode()
    assert "Set the priority to High." in page
    assert "then move the ticket to Resolved" in page
    assert f'name="macro" form="composer-form" value="{shared.pk}"' in page
    assert 'form="composer-form" name="then" value="resolved"' in page
    # Previewed, never sent blind.
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_another_agents_macro_cannot_be_chosen(alex, make_ticket, bos_own):
    response = alex.get(detail(make_ticket(), f"?macro={bos_own.pk}"))

    assert "Hi from Bo" not in response.content.decode()
    preview = reverse("agent:macro_preview", args=[make_ticket().pk, bos_own.pk])
    assert alex.get(preview).status_code == 404


def test_the_preview_for_scripts_is_json(alex, make_ticket, shared):
    ticket = make_ticket(Status.IN_PROGRESS)

    data = alex.get(reverse("agent:macro_preview", args=[ticket.pk, shared.pk])).json()

    assert data["body"].startswith("Hello Carla")
    assert data["then"] == "resolved" and data["then_label"] == "Send and resolve"
    assert data["effects"][0] == "Set the priority to High."


def test_a_move_the_agent_cannot_make_is_named_not_offered(alex, make_ticket, manager):
    closing = macros.macro_save(
        actor=manager, title="Close", body="Closing.", shared=True, target_status=Status.CLOSED
    )

    page = alex.get(detail(make_ticket(Status.IN_PROGRESS), f"?macro={closing.pk}"))

    assert "which you cannot do now" in page.content.decode()
    assert 'form="composer-form" name="then" value="closed"' not in page.content.decode()


def test_sending_from_a_macro_counts_it_and_does_what_it_says(alex, make_ticket, shared, agent):
    ticket = make_ticket(Status.IN_PROGRESS)

    response = alex.post(
        reverse("agent:ticket_reply", args=[ticket.pk]),
        {"version": ticket.version, "body": "Edited text", "macro": shared.pk, "then": "resolved"},
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.RESOLVED, Priority.HIGH)
    assert Comment.objects.get(ticket=ticket).body == "Edited text"
    shared.refresh_from_db()
    assert shared.usage_count == 1


def test_a_refused_reply_from_a_macro_writes_nothing_and_counts_nothing(alex, make_ticket, shared):
    ticket = make_ticket(Status.IN_PROGRESS)

    response = alex.post(
        reverse("agent:ticket_reply", args=[ticket.pk]),
        {"version": ticket.version - 1, "body": "Stale", "macro": shared.pk, "then": "resolved"},
    )

    assert response.status_code == 409
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.IN_PROGRESS, Priority.NORMAL)
    shared.refresh_from_db()
    assert shared.usage_count == 0
    # The composer keeps the text and the macro.
    assert f'value="{shared.pk}"' in response.content.decode()


def test_a_macro_that_sets_a_priority_and_closes_does_both(client, manager, make_ticket):
    client.force_login(manager)
    closing = macros.macro_save(
        actor=manager,
        title="Duplicate",
        body="A duplicate.",
        shared=True,
        set_priority=Priority.LOW,
        target_status=Status.CLOSED,
    )
    ticket = make_ticket(Status.IN_PROGRESS)

    client.post(
        reverse("agent:ticket_reply", args=[ticket.pk]),
        {"version": ticket.version, "body": "A duplicate.", "macro": closing.pk, "then": "closed"},
    )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.CLOSED, Priority.LOW)


def test_another_agents_macro_id_sent_with_a_reply_is_not_counted(alex, make_ticket, bos_own):
    ticket = make_ticket(Status.IN_PROGRESS)

    alex.post(
        reverse("agent:ticket_reply", args=[ticket.pk]),
        {"version": ticket.version, "body": "Hi", "visibility": "public", "macro": bos_own.pk},
    )

    bos_own.refresh_from_db()
    assert bos_own.usage_count == 0
    assert Comment.objects.filter(ticket=ticket, body="Hi").exists()


# --- Keeping them ---------------------------------------------------------------------------


def test_an_agent_keeps_their_own_macros_on_a_page(alex, agent):
    response = alex.post(
        reverse("agent:macro_new"),
        {"title": "Reboot", "body": "Please restart, {{ customer_first_name }}."},
    )

    assert response.status_code == 302
    macro = Macro.objects.get(title="Reboot")
    assert macro.owner == agent
    assert "Reboot" in alex.get(reverse("agent:macro_list")).content.decode()


def test_an_agent_cannot_make_a_shared_macro(alex):
    response = alex.post(
        reverse("agent:macro_new"), {"title": "For all", "body": "x", "shared": "on"}
    )

    assert response.status_code == 400
    assert "Only managers keep shared macros." in response.content.decode()
    assert not Macro.objects.exists()


def test_an_agent_can_neither_edit_a_shared_macro_nor_another_agents(alex, shared, bos_own):
    for macro in (shared, bos_own):
        assert alex.get(reverse("agent:macro_edit", args=[macro.pk])).status_code == 404
        assert alex.post(reverse("agent:macro_delete", args=[macro.pk])).status_code == 404
    assert Macro.objects.count() == 2


def test_a_manager_edits_and_deletes_shared_macros(client, manager, shared):
    client.force_login(manager)
    edit = reverse("agent:macro_edit", args=[shared.pk])

    response = client.post(
        edit,
        {
            "title": "Wait for the vendor",
            "body": "x",
            "shared": "on",
            "target_status": "on_hold",
            "hold_kind": "third_party",
        },
    )

    assert response.status_code == 302
    shared.refresh_from_db()
    assert (shared.title, shared.owner, shared.then) == (
        "Wait for the vendor",
        None,
        f"on_hold:{HoldKind.THIRD_PARTY}",
    )
    client.post(reverse("agent:macro_delete", args=[shared.pk]))
    assert not Macro.objects.exists()


def test_a_hold_kind_without_a_hold_is_refused_on_the_form(alex):
    response = alex.post(
        reverse("agent:macro_new"), {"title": "Odd", "body": "x", "hold_kind": "customer"}
    )

    assert response.status_code == 400
    assert "A kind of hold goes with" in response.content.decode()


@pytest.mark.parametrize("count", [2, 30])
def test_the_macro_list_takes_the_same_queries_however_many_macros(
    count, alex, agent, django_assert_num_queries
):
    for i in range(count):
        macros.macro_save(actor=agent, title=f"Macro {i}", body="x")
    # session, user, the macros (+owners)
    with django_assert_num_queries(3):
        alex.get(reverse("agent:macro_list"))
