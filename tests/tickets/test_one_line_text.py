"""Subjects and display names are one clean line, whichever way they come in: the portal form,
the API, sign-up, the profile, the admin, the create_user command, a plain save; and the rows
stored before the rule are cleaned by the migrations."""

import importlib
import io
import unicodedata

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.services import user_create
from tickets.models import Ticket
from tickets.text import BIDI_CONTROLS, one_line

# A subject as a mail client, a copy from a spreadsheet or an attacker would send it.
TYPED = " \u202eVPN\r\n drops\tagain\x00\x1b[31m \u2028 since\x85Monday\x7f "
CLEAN = "VPN drops again[31m since Monday"


def is_unwanted(char: str) -> bool:
    return unicodedata.category(char) in {"Cc", "Cs", "Zl", "Zp"} or char in BIDI_CONTROLS


@given(st.text(alphabet=st.characters(codec=None)))
@example(TYPED)
@example("\ud800 lone surrogate")
def test_one_line_leaves_one_line_of_the_visible_text_in_order(text):
    line = one_line(text)
    assert not any(is_unwanted(char) for char in line)
    assert line == line.strip() and "  " not in line
    assert all(not char.isspace() or char == " " for char in line)
    # Nothing is invented or reordered: the characters that are neither white space nor
    # unwanted are exactly the ones kept.
    assert [c for c in line if c != " "] == [
        c for c in text if not c.isspace() and not is_unwanted(c)
    ]
    assert one_line(line) == line


@given(st.lists(st.text(alphabet=st.characters(categories=["L", "N", "P", "S"]), min_size=1)))
def test_a_clean_line_is_left_as_it_is(words):
    line = " ".join(words)
    assert one_line(line) == line


def test_one_line_examples():
    assert one_line(TYPED) == CLEAN
    assert one_line("Anna\u00a0Maria") == "Anna Maria"
    assert one_line("\r\n\t\x00") == ""


def test_the_portal_form_stores_the_subject_clean(client, customer, category):
    client.force_login(customer)
    response = client.post(
        reverse("portal:ticket_new"),
        {"subject": TYPED, "description": "Line one\r\nline two", "priority": "normal"},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.subject == CLEAN
    assert ticket.description == "Line one\r\nline two"  # only one-line texts are folded


def test_a_subject_of_only_control_characters_is_refused_on_the_form(client, customer):
    client.force_login(customer)
    response = client.post(
        reverse("portal:ticket_new"),
        {"subject": "\r\n\x07\u202e", "description": "Broken", "priority": "normal"},
    )
    assert response.status_code == 400
    assert response.context["form"].has_error("subject", "required")
    assert not Ticket.objects.exists()


def test_the_api_stores_the_subject_clean_and_refuses_an_empty_one(customer):
    client = APIClient()
    client.force_login(customer)
    # A NUL is refused by every text field of the API, this one included (its schema says so).
    with_nul = client.post(
        "/api/v1/tickets/", {"subject": "VPN\x00 down", "description": "Broken"}, format="json"
    )
    assert with_nul.status_code == 400
    assert "subject" in with_nul.json()["errors"]
    created = client.post(
        "/api/v1/tickets/",
        {"subject": TYPED.replace("\x00", ""), "description": "Broken"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["subject"] == CLEAN
    assert Ticket.objects.get().subject == CLEAN

    refused = client.post(
        "/api/v1/tickets/", {"subject": "\x00\x1b\u2029", "description": "Broken"}, format="json"
    )
    assert refused.status_code == 400
    assert "subject" in refused.json()["errors"]
    assert Ticket.objects.count() == 1


def test_sign_up_and_the_profile_store_the_display_name_clean(client, db):
    password = "a-long-signup-password-9"
    client.post(
        reverse("signup"),
        {
            "email": "nova@example.com",
            "display_name": "Nova\r\nBcc: everyone@example.com",
            "password1": password,
            "password2": password,
        },
    )
    user = User.objects.get(email="nova@example.com")
    assert user.display_name == "Nova Bcc: everyone@example.com"

    client.force_login(user)
    client.post(
        reverse("profile"),
        {"display_name": "\u202eNova\tNilsen\n", "email": user.email, "notify_by_email": "on"},
    )
    user.refresh_from_db()
    assert user.display_name == "Nova Nilsen"


def test_the_admin_stores_the_display_name_clean(client, manager, agent):
    client.force_login(manager)
    password = "a-long-admin-password-9"
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "ops@example.com",
            "display_name": "Ops\r\nTeam",
            "role": Role.AGENT,
            "password1": password,
            "password2": password,
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(email="ops@example.com").display_name == "Ops Team"

    response = client.post(
        reverse("admin:accounts_user_change", args=[agent.pk]),
        {
            "email": agent.email,
            "display_name": "Alex\x1b[2J Agent",
            "role": Role.AGENT,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    agent.refresh_from_db()
    assert agent.display_name == "Alex[2J Agent"


def test_the_create_user_command_and_a_plain_save_store_clean_names(db):
    call_command("create_user", "cli@example.com", "--name", "Cli\r\nUser", stdout=io.StringIO())
    assert User.objects.get(email="cli@example.com").display_name == "Cli User"

    user = user_create(email="svc@example.com", display_name="Svc", role=Role.AGENT)
    user.display_name = "Svc\nBot"
    user.save()
    user.refresh_from_db()
    assert user.display_name == "Svc Bot"


def migration(app: str, name: str):
    return importlib.import_module(f"{app}.migrations.{name}")


def test_the_migrations_clean_what_was_stored_before(make_ticket, customer, agent):
    dirty = make_ticket()
    tidy = make_ticket(subject="Printer jams")
    # Rows from before the rule, written around the model as an old release would have.
    Ticket.objects.filter(pk=dirty.pk).update(subject=TYPED)
    User.objects.filter(pk=customer.pk).update(display_name="Carla\r\nCustomer\x00")

    migration("tickets", "0016_clean_subjects").clean_subjects(apps, None)
    migration("accounts", "0005_clean_display_names").clean_display_names(apps, None)

    subjects = dict(Ticket.objects.values_list("pk", "subject"))
    assert subjects == {dirty.pk: CLEAN, tidy.pk: "Printer jams"}
    names = dict(User.objects.values_list("pk", "display_name"))
    assert names == {customer.pk: "Carla Customer", agent.pk: "Alex Agent"}


@pytest.mark.parametrize("path", ["subject", "display_name"])
def test_the_columns_say_one_line(path):
    model = Ticket if path == "subject" else User
    field = model._meta.get_field(path)
    assert field.clean("a\r\nb", None) == "a b"
