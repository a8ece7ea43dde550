"""The admin stores users as the services do: e-mail addresses lower-cased."""

import pytest
from django.contrib.auth import authenticate
from django.urls import reverse

from accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_editing_a_user_normalises_the_email(client, manager, agent):
    client.force_login(manager)
    response = client.post(
        reverse("admin:accounts_user_change", args=[agent.pk]),
        {
            "email": "  Alex.NEW@Example.COM ",
            "display_name": agent.display_name,
            "role": Role.AGENT,
            "is_active": "on",
            "notify_by_email": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    agent.refresh_from_db()
    assert agent.email == "alex.new@example.com"


def test_an_address_differing_only_in_case_is_taken(client, manager, agent, customer):
    client.force_login(manager)
    response = client.post(
        reverse("admin:accounts_user_change", args=[agent.pk]),
        {
            "email": customer.email.upper(),
            "display_name": agent.display_name,
            "role": Role.AGENT,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.get(pk=agent.pk).email == agent.email


def test_adding_a_user_normalises_the_email(client, manager):
    client.force_login(manager)
    password = "a-long-admin-password-9"
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Nova@Example.COM",
            "display_name": "Nova",
            "role": Role.CUSTOMER,
            "password1": password,
            "password2": password,
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.filter(email="nova@example.com").exists()
    assert authenticate(username="NOVA@example.com", password=password) is not None
