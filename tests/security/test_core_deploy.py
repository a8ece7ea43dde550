"""The production configuration: `check --deploy` finds nothing with the environment the
README documents, cookies are `__Host-`, Secure and HttpOnly, Argon2 hashes passwords, and
the password rules apply wherever a password is set."""

import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.models import Role
from accounts.services import user_create

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"

# What "Running it in production" in the README exports (a real key of the required size).
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "helpdesk.example.com",
    "DATABASE_URL": "sqlite:///:memory:",
    "REDIS_URL": "redis://redis:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@mail.example.com:587",
    "SITE_URL": "https://helpdesk.example.com",
    "INBOUND_ADDRESS": "support@helpdesk.example.com",
    "INBOUND_IMAP_URL": "imaps://support%40helpdesk.example.com:secret@imap.example.com/INBOX",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "SESSION_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_in(env: dict[str, str], *names: str) -> list[str]:
    code = "; ".join(f"print(repr(settings.{name}))" for name in names)
    result = manage(
        "shell", "--no-imports", "-c", f"from django.conf import settings; {code}", env=env
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()


def test_the_documented_production_environment_passes_the_deployment_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_the_deployment_check_warns_about_an_http_site_url():
    env = {**PRODUCTION_ENV, "SITE_URL": "http://helpdesk.example.com"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "helpdesk.W001" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_production_settings_are_https_only_with_argon2():
    values = settings_in(
        PRODUCTION_ENV,
        "SESSION_COOKIE_NAME",
        "CSRF_COOKIE_NAME",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_IDLE_TIMEOUT",
        "PASSWORD_HASHERS[0]",
    )
    assert values == [
        "'__Host-sessionid'",
        "'__Host-csrftoken'",
        "True",
        "31536000",
        "True",
        "1800",
        "'django.contrib.auth.hashers.Argon2PasswordHasher'",
    ]


def test_behind_a_proxy_the_forwarded_scheme_is_trusted_only_when_configured():
    assert settings_in(PRODUCTION_ENV, "SECURE_PROXY_SSL_HEADER") == ["None"]
    env = {**PRODUCTION_ENV, "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}
    assert settings_in(env, "SECURE_PROXY_SSL_HEADER") == ["('HTTP_X_FORWARDED_PROTO', 'https')"]


def test_local_development_over_http_keeps_plain_cookie_names():
    env = {"DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:"}
    assert settings_in(env, "SESSION_COOKIE_NAME", "SESSION_COOKIE_SECURE") == [
        "'sessionid'",
        "False",
    ]


def test_the_session_and_csrf_cookies_are_host_prefixed_secure_and_http_only(client, db):
    user_create(email="dana@example.com", display_name="Dana", password=PASSWORD)
    page = client.get(reverse("login"))
    csrf = page.cookies["__Host-csrftoken"]
    response = client.post(reverse("login"), {"username": "dana@example.com", "password": PASSWORD})
    assert response.status_code == 302
    session = response.cookies["__Host-sessionid"]
    for cookie in (csrf, session):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["path"] == "/"
        assert cookie["domain"] == ""
        assert cookie["samesite"] == "Lax"
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies


def test_argon2_hashes_passwords_outside_the_tests(settings):
    """The suite hashes with MD5 for speed (tests/conftest.py); production uses argon2."""
    from helpdesk import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    from django.contrib.auth.hashers import make_password

    assert make_password(PASSWORD).startswith("argon2$argon2id$")


@pytest.mark.parametrize("weak", ["short-pass", "password1234", "123456789012"])
def test_the_create_user_command_refuses_a_weak_password(db, weak):
    with pytest.raises(CommandError):
        call_command(
            "create_user",
            "dana@example.com",
            "--name",
            "Dana",
            "--password",
            weak,
            stdout=StringIO(),
        )


def test_a_password_change_refuses_a_weak_password(client, db):
    user = user_create(email="dana@example.com", display_name="Dana", password=PASSWORD)
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "password1234",
            "new_password2": "password1234",
        },
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_admin_refuses_a_weak_password_for_a_new_user(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "eve@example.com",
            "display_name": "Eve",
            "role": Role.AGENT,
            "password1": "short",
            "password2": "short",
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    from accounts.models import User

    assert not User.objects.filter(email="eve@example.com").exists()
