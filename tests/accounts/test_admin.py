"""The admin stores users as the services do (e-mail addresses canonical), and a manager
revokes every API token of chosen users in one action."""

import logging

import pytest
from django.contrib.auth import authenticate
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken, Role, User
from accounts.tokens import api_token_create

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


def api_status(secret: str) -> int:
    return APIClient().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {secret}").status_code


def test_a_manager_revokes_every_api_token_of_the_chosen_users(
    client, manager, agent, other_agent, customer, caplog
):
    alexs = [api_token_create(user=agent, name=name)[1] for name in ("laptop", "ci")]
    bos = api_token_create(user=other_agent, name="laptop")[1]
    carlas = api_token_create(user=customer, name="cli")[1]
    assert api_status(alexs[0]) == 200
    client.force_login(manager)
    with caplog.at_level(logging.INFO, logger="helpdesk.security"):
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "revoke_api_tokens", "_selected_action": [agent.pk, other_agent.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert "3 API tokens revoked" in response.content.decode()
    assert [api_status(secret) for secret in [*alexs, bos]] == [401, 401, 401]
    assert api_status(carlas) == 200  # not chosen: untouched
    assert list(ApiToken.objects.values_list("user", flat=True)) == [customer.pk]
    logged = [r.security for r in caplog.records if r.getMessage() == "api_tokens_revoked"]
    assert {(e["user_id"], e["count"], e["actor_id"], e["reason"]) for e in logged} == {
        (agent.pk, 2, manager.pk, "revoked_by_manager"),
        (other_agent.pk, 1, manager.pk, "revoked_by_manager"),
    }


def test_the_revoke_action_is_offered_on_the_user_list(client, manager):
    client.force_login(manager)
    page = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert 'value="revoke_api_tokens"' in page and "Revoke all API tokens" in page
