"""The site answers, signs people in, and refuses to start unsafely configured."""

import os
import subprocess
import sys

import pytest
from django.urls import reverse

import tests.conftest as shared

PASSWORD = "correct horse battery staple"


def test_the_home_page_invites_a_visitor_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert reverse("login").encode() in response.content


def test_a_user_signs_in_with_their_email(client, db):
    from accounts.services import user_create

    user_create(email="dana@example.com", display_name="Dana Doe", password=PASSWORD)
    response = client.post(
        reverse("login"), {"username": "Dana@Example.com", "password": PASSWORD}, follow=True
    )
    assert response.context["user"].is_authenticated
    assert b"Dana Doe" in response.content


def test_a_wrong_password_is_explained_and_the_email_kept(client, db):
    response = client.post(reverse("login"), {"username": "x@example.com", "password": "nope"})
    assert response.status_code == 200
    assert b"correct email address and password" in response.content.replace(b"e-mail", b"email")
    assert b'value="x@example.com"' in response.content


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "helpdesk.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY and ALLOWED_HOSTS must be set" in result.stderr


def test_a_missing_service_fails_under_ci_and_skips_locally(monkeypatch):
    monkeypatch.setattr(shared, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        shared.require_service("Redis", "not running")
    monkeypatch.setattr(shared, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception):
        shared.require_service("Redis", "not running")
