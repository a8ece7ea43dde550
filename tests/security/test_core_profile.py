"""Changing the e-mail address (the login, and where resets go) needs the current password."""

from django.urls import reverse

from accounts.services import user_create

PASSWORD = "correct horse battery staple"


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
