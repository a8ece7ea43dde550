"""Personal API tokens: made and revoked on the profile page, shown once, stored hashed, and
good for exactly the owner's rights until revoked or expired."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from accounts.tokens import (
    MAX_TOKENS_PER_USER,
    api_token_authenticate,
    api_token_create,
)
from tickets.status import Status

from .conftest import api_url, client_for

TOKEN_IN_PAGE = re.compile(r">(hdt_[A-Za-z0-9_-]{43})</textarea>")


@pytest.fixture
def carla_page(customer):
    client = Client()
    client.force_login(customer)
    return client


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_token_made_on_the_profile_page_is_shown_once_and_stored_hashed(carla_page, customer):
    response = carla_page.post(
        reverse("api_token_new"), {"name": "Backup script", "expires_in_days": "30"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = TOKEN_IN_PAGE.search(response.content.decode())[1]
    stored = ApiToken.objects.get(user=customer)
    assert stored.name == "Backup script"
    assert secret not in {stored.digest, stored.prefix} and secret.startswith(stored.prefix)
    assert len(stored.digest) == 64  # SHA-256
    assert timedelta(days=29) < stored.expires_at - timezone.now() <= timedelta(days=30)
    profile = carla_page.get(reverse("profile")).content.decode()
    assert "Backup script" in profile and stored.prefix in profile
    assert secret not in profile


def test_the_token_works_for_the_api_with_the_owners_rights(customer, neighbour, make_ticket):
    mine = make_ticket()
    theirs = make_ticket(customer=neighbour)
    _token, secret = api_token_create(user=customer, name="cli")
    client = client_for()  # no session: only the header
    me = client.get(api_url("me"), **bearer(secret))
    assert me.status_code == 200 and me.json()["email"] == customer.email
    assert client.get(api_url("ticket-detail", mine.pk), **bearer(secret)).status_code == 200
    assert client.get(api_url("ticket-detail", theirs.pk), **bearer(secret)).status_code == 404


def test_a_token_needs_no_csrf_token_to_write_but_a_session_does(customer, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    _token, secret = api_token_create(user=customer, name="cli")
    url = api_url("ticket-comments", ticket.pk)
    by_token = client_for().post(url, {"body": "Via token"}, format="json", **bearer(secret))
    assert by_token.status_code == 201
    strict = client_for(customer)
    strict.handler.enforce_csrf_checks = True
    by_session = strict.post(url, {"body": "Via session"}, format="json")
    assert by_session.status_code == 403 and "CSRF" in by_session.json()["detail"]


def test_using_a_token_records_when_without_writing_on_every_request(customer):
    token, secret = api_token_create(user=customer, name="cli")
    client = client_for()
    client.get(api_url("me"), **bearer(secret))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(api_url("me"), **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == first


def test_a_revoked_token_stops_working_at_once(carla_page, customer):
    token, secret = api_token_create(user=customer, name="laptop")
    client = client_for()
    assert client.get(api_url("me"), **bearer(secret)).status_code == 200
    response = carla_page.post(reverse("api_token_revoke", args=[token.pk]), follow=True)
    assert "is revoked" in response.content.decode()
    refused = client.get(api_url("me"), **bearer(secret))
    assert refused.status_code == 401
    assert refused.json()["code"] == "authentication_failed"
    assert refused["WWW-Authenticate"] == 'Bearer realm="api"'


def test_nobody_revokes_someone_elses_token(neighbour, customer):
    token, _secret = api_token_create(user=customer, name="laptop")
    client = Client()
    client.force_login(neighbour)
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    assert client.get(reverse("api_token_revoke", args=[token.pk])).status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_several_named_tokens_per_user_but_not_two_of_a_name(carla_page, customer):
    for name in ["laptop", "monitoring"]:
        assert carla_page.post(reverse("api_token_new"), {"name": name}).status_code == 200
    again = carla_page.post(reverse("api_token_new"), {"name": "Laptop"})
    assert again.status_code == 400
    assert "already have a token with this name" in again.content.decode()
    assert sorted(ApiToken.objects.values_list("name", flat=True)) == ["laptop", "monitoring"]
    assert ApiToken.objects.get(name="laptop").expires_at is None  # "never" when not chosen


def test_there_is_a_limit_on_tokens_per_user(customer):
    for i in range(MAX_TOKENS_PER_USER):
        api_token_create(user=customer, name=f"t{i}")
    with pytest.raises(Exception, match="most allowed"):
        api_token_create(user=customer, name="one too many")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer hdt_not-a-real-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "Bearer",
        "Bearer two parts",
        "Bearer not-our-format",
        "Bearer " + "hdt_" + "a" * 5000,
    ],
)
def test_bad_tokens_are_401_not_500(header, db):
    response = client_for().get(api_url("me"), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_an_expired_token_or_a_deactivated_user_is_refused(customer):
    token, secret = api_token_create(user=customer, name="old", expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client_for().get(api_url("me"), **bearer(secret)).status_code == 401
    _token, fresh = api_token_create(user=customer, name="new")
    assert api_token_authenticate(fresh) is not None
    customer.is_active = False
    customer.save(update_fields=["is_active"])
    assert client_for().get(api_url("me"), **bearer(fresh)).status_code == 401


def test_anonymous_requests_get_a_bearer_challenge(db):
    response = client_for().get(api_url("ticket-list"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
