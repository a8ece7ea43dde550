"""The account pages: sign-up, sign-in, password reset and change, and the profile."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import EMAIL_TAKEN, user_create, user_update_profile
from tests.security.conftest import axes_follows_settings, fresh_counters

# Sign-ups and resets here come from one address: each test counts them afresh, not in the
# shared Redis of the whole run (where the per-address limits would soon refuse them).
pytestmark = pytest.mark.usefixtures("fresh_counters")
__all__ = ["axes_follows_settings", "fresh_counters"]  # fixtures, used by name

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "purple monkey dishwasher 42"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_up(client, **overrides):
    data = {"email": "dana@example.com", "display_name": "Dana Doe", **overrides}
    return client.post(reverse("signup"), data)


def signed_in_user(client):
    return get_user(client)


# Sign-up


def test_signing_up_makes_a_customer_who_chooses_a_password_through_the_mailed_link(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client)
    assert response.status_code == 302
    assert response.url == reverse("signup_done")
    assert "Check your e-mail" in client.get(response.url).content.decode()
    user = User.objects.get()
    assert (user.email, user.display_name, user.role) == (
        "dana@example.com",
        "Dana Doe",
        "customer",
    )
    # Nobody can sign in before the owner of the mailbox chooses a password.
    assert not user.has_usable_password()
    assert not signed_in_user(client).is_authenticated
    [mail] = mailoutbox
    assert mail.to == ["dana@example.com"]
    assert mail.subject == "Choose a password for your help desk account"
    link = re.search(r"https?://\S+/reset/\S+/", mail.body).group(0)

    form_page = client.get(urlsplit(link).path, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": PASSWORD, "new_password2": PASSWORD},
        )
    assert done.url == reverse("password_reset_complete")
    # A first password is no change to warn about.
    assert len(mailoutbox) == 1
    signed_in = client.post(
        reverse("login"), {"username": "dana@example.com", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert signed_in_user(client) == user


def test_the_first_password_is_checked_like_any_other(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client)
    link = re.search(r"https?://\S+/reset/\S+/", mailoutbox[0].body).group(0)
    form_page = client.get(urlsplit(link).path, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "password1234", "new_password2": "password1234"},
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    assert not User.objects.get().has_usable_password()


def test_a_role_posted_with_the_sign_up_is_ignored(client, db):
    sign_up(client, role=Role.MANAGER)
    user = User.objects.get()
    assert user.role == Role.CUSTOMER
    assert not user.is_staff


def test_sign_up_answers_404_when_disabled_and_the_login_page_does_not_offer_it(
    client, db, settings
):
    settings.SIGNUP_ENABLED = False
    assert client.get(reverse("signup")).status_code == 404
    assert sign_up(client).status_code == 404
    assert not User.objects.exists()
    login_page = client.get(reverse("login")).content.decode()
    assert reverse("signup") not in login_page


def test_the_login_page_offers_sign_up_and_a_password_reset(client, db):
    login_page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("signup")}"' in login_page
    assert f'href="{reverse("password_reset")}"' in login_page


def test_a_signed_in_user_visiting_sign_up_is_sent_home(client, customer):
    client.force_login(customer)
    response = client.get(reverse("signup"))
    assert response.status_code == 302
    assert response.url == "/"


def test_the_sign_up_page_costs_few_queries(client, db, django_assert_max_num_queries):
    # An anonymous visitor without a session: no queries at all.
    with django_assert_max_num_queries(0):
        assert client.get(reverse("signup")).status_code == 200
    # signup_request: savepoint, is the address (or a look-alike) in use?, savepoint, insert
    # the user, release, insert the outbox row, release. No session, no sign-in.
    with django_assert_max_num_queries(7):
        assert sign_up(client).status_code == 302


# Signing out


def test_signing_out_shows_a_page_of_our_own(client, customer):
    client.force_login(customer)
    response = client.post(reverse("logout"))
    assert response.status_code == 200
    assert "You are signed out" in response.content.decode()
    assert not signed_in_user(client).is_authenticated


# Password reset and change


def test_a_password_reset_link_works_end_to_end(
    client, customer, mailoutbox, django_capture_on_commit_callbacks
):
    # Carla's account was made for her without a password: a reset is how she sets one.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "Carla@Example.com"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["carla@example.com"]
    assert mail.subject == "Reset your help desk password"
    assert "Hello Carla Customer," in mail.body
    link = re.search(r"https?://\S+/reset/\S+/", mail.body).group(0)

    form_page = client.get(urlsplit(link).path, follow=True)
    assert form_page.context["validlink"]
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.url == reverse("password_reset_complete")

    signed_in = client.post(
        reverse("login"), {"username": "carla@example.com", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert signed_in_user(client) == customer
    # The link is spent.
    client.logout()
    assert not client.get(urlsplit(link).path, follow=True).context["validlink"]


def test_a_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    client, db, mailoutbox
):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.url == reverse("password_reset_done")
    assert mailoutbox == []


def test_a_deactivated_account_gets_no_password_reset(client, customer, mailoutbox):
    User.objects.filter(pk=customer.pk).update(is_active=False)
    client.post(reverse("password_reset"), {"email": customer.email})
    assert mailoutbox == []


def test_a_signed_in_user_changes_their_password_and_stays_signed_in(client, db):
    user = user_create(email="dana@example.com", display_name="Dana", password=PASSWORD)
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.url == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert signed_in_user(client) == user


# Profile


def test_the_profile_updates_name_email_and_notifications(client, customer):
    customer.set_password(PASSWORD)
    customer.save()
    client.force_login(customer)
    response = client.post(
        reverse("profile"),
        {
            "display_name": " Carla C. ",
            "email": "Carla.C@Example.com",
            "current_password": PASSWORD,  # a new address needs the password
        },  # box unticked
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.display_name, customer.email, customer.notify_by_email) == (
        "Carla C.",
        "carla.c@example.com",
        False,
    )
    page = client.get(response.url).content.decode()
    assert "Your profile has been saved." in page
    assert 'value="carla.c@example.com"' in page
    assert reverse("password_change") in page


def test_the_profile_refuses_a_neighbours_email_and_keeps_what_was_typed(
    client, customer, neighbour
):
    client.force_login(customer)
    response = client.post(
        reverse("profile"),
        {"display_name": "Carla New", "email": "NICK@example.com", "notify_by_email": "on"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert EMAIL_TAKEN in html
    assert 'value="NICK@example.com"' in html
    assert 'value="Carla New"' in html
    # Nothing was saved, and the page header still shows the name she has.
    assert "Carla Customer · " in html
    customer.refresh_from_db()
    assert (customer.email, customer.display_name) == ("carla@example.com", "Carla Customer")


def test_the_profile_explains_that_essential_messages_still_arrive(client, customer):
    client.force_login(customer)
    html = client.get(reverse("profile")).content.decode()
    assert "such as the resolution of a ticket" in html
    assert 'name="notify_by_email"' in html and "checked" in html


def test_the_profile_requires_signing_in(client, db):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse('profile')}"


@pytest.mark.parametrize("persona", ["customer", "agent", "manager"])
def test_everyone_can_open_their_profile(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(reverse("profile"))
    assert response.status_code == 200
    assert f'value="{user.email}"' in response.content.decode()


def test_the_profile_page_costs_three_queries(client, customer, django_assert_max_num_queries):
    client.force_login(customer)
    # 1 the session  2 the signed-in user  3 their API tokens.
    with django_assert_max_num_queries(3):
        assert client.get(reverse("profile")).status_code == 200


# The profile service


def test_updating_a_profile_keeps_the_role(customer):
    user = user_update_profile(
        user=customer, display_name="Carla", email="carla@example.com", notify_by_email=True
    )
    user.refresh_from_db()
    assert (user.display_name, user.role) == ("Carla", Role.CUSTOMER)


def test_a_refused_profile_update_leaves_the_user_untouched(customer, neighbour):
    with pytest.raises(ValidationError) as refused:
        user_update_profile(
            user=customer, display_name="Carla", email="Nick@Example.com", notify_by_email=False
        )
    assert refused.value.message_dict == {"email": [EMAIL_TAKEN]}
    assert (customer.display_name, customer.email, customer.notify_by_email) == (
        "Carla Customer",
        "carla@example.com",
        True,
    )


def test_a_blank_name_or_a_malformed_email_is_refused_by_field(customer):
    with pytest.raises(ValidationError) as refused:
        user_update_profile(user=customer, display_name=" ", email="nope", notify_by_email=True)
    assert set(refused.value.message_dict) == {"display_name", "email"}


def test_an_unchanged_profile_writes_nothing(customer, django_assert_num_queries):
    with django_assert_num_queries(0):
        user_update_profile(
            user=customer,
            display_name="Carla Customer",
            email="CARLA@example.com",
            notify_by_email=True,
        )
