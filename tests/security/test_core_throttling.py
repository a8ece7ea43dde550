"""Sign-in lockout (django-axes) by account and address together, with a cool-off; password
reset and sign-up limits; the API's tokens are not concerned."""

import time

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import user_create
from accounts.tokens import api_token_create

PASSWORD = "correct horse battery staple"
ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.7"


@pytest.fixture
def ann(db):
    return user_create(
        email="ann@example.com", display_name="Ann", role=Role.AGENT, password=PASSWORD
    )


def sign_in(client, password, address, username="ann@example.com"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def fail(client, times, address=ATTACKER, username="ann@example.com"):
    for _i in range(times):
        response = sign_in(client, "wrong password", address, username)
    return response


def test_wrong_passwords_below_the_limit_just_fail(client, ann):
    response = fail(client, settings.AXES_FAILURE_LIMIT - 1)
    assert response.status_code == 200
    assert sign_in(client, PASSWORD, ATTACKER).status_code == 302


def test_the_limit_locks_the_account_from_that_address_with_a_429(client, ann):
    response = fail(client, settings.AXES_FAILURE_LIMIT)
    assert response.status_code == 429
    html = response.content.decode()
    assert "too many failed attempts" in html and "Try again in 15 minutes" in html
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    # Even the right password is refused while it lasts.
    assert sign_in(client, PASSWORD, ATTACKER).status_code == 429


def test_the_owner_signs_in_from_another_address_during_a_lockout(client, ann):
    fail(client, settings.AXES_FAILURE_LIMIT)
    office = type(client)()
    response = sign_in(office, PASSWORD, OFFICE)
    assert response.status_code == 302 and office.session["_auth_user_id"] == str(ann.pk)


def test_other_accounts_from_the_locked_address_are_not_locked(client, ann):
    user_create(email="bo@example.com", display_name="Bo", role=Role.AGENT, password=PASSWORD)
    fail(client, settings.AXES_FAILURE_LIMIT)
    assert sign_in(client, PASSWORD, ATTACKER, "bo@example.com").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, ann):
    with time_machine.travel(time.time(), tick=False) as clock:
        fail(client, settings.AXES_FAILURE_LIMIT)
        clock.shift(settings.AXES_COOLOFF_TIME.total_seconds() - 60)
        assert sign_in(client, PASSWORD, ATTACKER).status_code == 429
        clock.shift(61)
        assert sign_in(client, PASSWORD, ATTACKER).status_code == 302


def test_guesses_during_a_lockout_do_not_prolong_it(client, ann):
    with time_machine.travel(time.time(), tick=False) as clock:
        fail(client, settings.AXES_FAILURE_LIMIT)
        for _minute in range(14):
            clock.shift(60)
            assert fail(client, 1).status_code == 429
        clock.shift(61)
        assert sign_in(client, PASSWORD, ATTACKER).status_code == 302


def test_changing_the_case_of_the_address_is_the_same_account(client, ann):
    for variant in ("ann@example.com", "Ann@Example.com", "ANN@EXAMPLE.COM ", "aNn@example.com"):
        fail(client, 1, username=variant)
    assert fail(client, 1, username="ann@EXAMPLE.com").status_code == 429


def test_api_tokens_are_not_concerned_by_a_lockout(client, ann):
    _token, raw = api_token_create(user=ann, name="script")
    fail(client, settings.AXES_FAILURE_LIMIT)
    response = APIClient().get(
        reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR=ATTACKER
    )
    assert response.status_code == 200


def reset(client, email, address=ATTACKER):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_password_resets_are_limited_per_address_and_email(
    client, ann, mailoutbox, django_capture_on_commit_callbacks
):
    limit = int(settings.PASSWORD_RESET_RATE.split("/")[0])
    with django_capture_on_commit_callbacks(execute=True):
        for _i in range(limit):
            assert reset(client, "ann@example.com").status_code == 302
    refused = reset(client, "Ann@example.com")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Password reset requests" in refused.content.decode()
    assert len(mailoutbox) == limit
    # The owner, elsewhere, can still ask.
    assert reset(client, "ann@example.com", OFFICE).status_code == 302


def test_password_resets_are_limited_per_address_across_emails(client, db):
    limit = int(settings.PASSWORD_RESET_RATE_PER_ADDRESS.split("/")[0])
    for number in range(limit):
        assert reset(client, f"nobody{number}@example.com").status_code == 302
    assert reset(client, "someone-else@example.com").status_code == 429


def test_sign_ups_are_limited_per_address(client, db):
    limit = int(settings.SIGNUP_RATE.split("/")[0])

    def sign_up(number, address=ATTACKER):
        return type(client)().post(
            reverse("signup"),
            {
                "email": f"bot{number}@example.com",
                "display_name": "Bot",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
            REMOTE_ADDR=address,
        )

    for number in range(limit):
        assert sign_up(number).status_code == 302
    refused = sign_up(limit)
    assert refused.status_code == 429 and "Creating accounts" in refused.content.decode()
    assert sign_up(limit + 1, OFFICE).status_code == 302


def test_the_limits_reset_after_their_window(client, db):
    limit = int(settings.PASSWORD_RESET_RATE.split("/")[0])
    with time_machine.travel(time.time(), tick=False) as clock:
        for _i in range(limit + 1):
            last = reset(client, "ann@example.com")
        assert last.status_code == 429
        clock.shift(int(last["Retry-After"]) + 1)
        assert reset(client, "ann@example.com").status_code == 302
