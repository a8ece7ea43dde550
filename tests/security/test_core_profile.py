"""The credentials on the profile: changing the e-mail address (the login, and where resets go)
needs the current password; a new password, changed or reset, ends the other sessions and
revokes every API token of the account, and the page and the e-mail say so."""

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.auth import get_user
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import user_create
from accounts.tokens import api_token_create

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "purple monkey dishwasher 42"
NEW_PASSWORDS = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}


def test_the_email_changes_only_with_the_current_password(client, db):
    user = user_create(email="dana@example.com", display_name="Dana", password=PASSWORD)
    client.force_login(user)
    data = {"display_name": "Dana", "email": "mallory@example.com", "notify_by_email": "on"}
    for password in ("", "not the password"):
        response = client.post(reverse("profile"), {**data, "current_password": password})
        assert response.status_code == 200
        assert "Enter your current password" in response.content.decode()
        user.refresh_from_db()
        assert user.email == "dana@example.com"
    response = client.post(reverse("profile"), {**data, "current_password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "mallory@example.com"


def test_other_profile_fields_change_without_the_password(client, db):
    user = user_create(email="dana@example.com", display_name="Dana", password=PASSWORD)
    client.force_login(user)
    response = client.post(
        reverse("profile"), {"display_name": "Dana D.", "email": "Dana@Example.com"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.email, user.notify_by_email) == (
        "Dana D.",
        "dana@example.com",
        False,
    )


# A new password ends every other credential


@pytest.fixture
def dana(db):
    return user_create(email="dana@example.com", display_name="Dana", password=PASSWORD)


def api_status(secret: str) -> int:
    """What the API answers a request that carries only this token, no session."""
    return APIClient().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {secret}").status_code


def signed_in_elsewhere(user) -> Client:
    other = Client()
    other.force_login(user)
    return other


def test_a_password_change_revokes_every_api_token_and_ends_the_other_sessions(
    client, dana, customer, mailoutbox, django_capture_on_commit_callbacks
):
    secrets = [api_token_create(user=dana, name=name)[1] for name in ("laptop", "nightly-export")]
    carlas = api_token_create(user=customer, name="cli")[1]
    assert [api_status(secret) for secret in secrets] == [200, 200]
    elsewhere = signed_in_elsewhere(dana)
    client.force_login(dana)

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("password_change"), {"old_password": PASSWORD, **NEW_PASSWORDS}, follow=True
        )

    assert done.redirect_chain[-1][0] == reverse("password_change_done")
    page = done.content.decode()
    assert "Your password has been changed" in page
    assert "Your 2 API tokens were revoked" in page
    assert "create new ones on your profile page" in page
    assert [api_status(secret) for secret in secrets] == [401, 401]
    assert api_status(carlas) == 200  # someone else's token is untouched
    assert get_user(client) == dana  # this session goes on; the others end
    assert not get_user(elsewhere).is_authenticated
    profile = client.get(reverse("profile")).content.decode()
    assert "You have no API tokens." in profile and "nightly-export" not in profile
    [mail] = mailoutbox
    assert mail.to == ["dana@example.com"]
    assert mail.subject == "Your help desk password was changed"
    assert "password of your help desk account (dana@example.com) was changed" in mail.body
    assert "Your 2 API tokens were revoked with the old password" in mail.body
    assert "http://testserver/accounts/profile/" not in mail.body  # the configured address
    assert re.search(r"https?://\S+/accounts/profile/", mail.body)


def test_a_password_reset_revokes_every_api_token_and_ends_the_other_sessions(
    client, dana, customer, mailoutbox, django_capture_on_commit_callbacks
):
    secret = api_token_create(user=dana, name="laptop")[1]
    carlas = api_token_create(user=customer, name="cli")[1]
    assert api_status(secret) == 200
    elsewhere = signed_in_elsewhere(dana)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "dana@example.com"})
    [reset_mail] = mailoutbox
    link = re.search(r"https?://\S+/reset/\S+/", reset_mail.body)[0]
    form = client.get(urlsplit(link).path, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(form.redirect_chain[-1][0], NEW_PASSWORDS, follow=True)

    assert done.redirect_chain[-1][0] == reverse("password_reset_complete")
    page = done.content.decode()
    assert "Your password is set" in page
    assert "Your API token was revoked" in page
    assert "create a new one on your profile page" in page
    assert api_status(secret) == 401
    assert api_status(carlas) == 200
    assert not get_user(elsewhere).is_authenticated
    [_reset, notice] = mailoutbox
    assert notice.to == ["dana@example.com"]
    assert "was reset with the link we e-mailed" in notice.body
    assert "Your API token was revoked with the old password" in notice.body


def test_with_no_tokens_nothing_is_said_about_them_and_the_mail_says_when(
    client, dana, mailoutbox, django_capture_on_commit_callbacks
):
    # 09:15 UTC is 10:15 in Berlin, the help desk's zone, in March.
    with time_machine.travel(datetime(2026, 3, 2, 9, 15, tzinfo=UTC), tick=False):
        client.force_login(dana)
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(
                reverse("password_change"),
                {"old_password": PASSWORD, **NEW_PASSWORDS},
                follow=True,
            )
    assert "API token" not in done.content.decode()
    [mail] = mailoutbox
    assert "On March 2, 2026, 10:15 a.m., the password" in mail.body
    assert "API token" not in mail.body
    assert "If you did not do this, reset your password" in mail.body


def test_a_refused_password_change_keeps_the_tokens(client, dana):
    secret = api_token_create(user=dana, name="laptop")[1]
    client.force_login(dana)
    response = client.post(
        reverse("password_change"), {"old_password": "not the password", **NEW_PASSWORDS}
    )
    assert response.status_code == 200
    assert api_status(secret) == 200
