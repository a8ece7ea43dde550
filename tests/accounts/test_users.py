"""The custom user: e-mail login, a role, and the command that creates accounts."""

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from accounts.models import Role, User
from accounts.services import user_create

PASSWORD = "correct horse battery staple"


def test_the_email_is_the_login_whatever_its_case(db):
    user_create(email="Dana@Example.COM", display_name="Dana", role=Role.AGENT, password=PASSWORD)
    user = authenticate(username="dana@example.com", password=PASSWORD)
    assert user is not None and user.email == "dana@example.com"
    assert authenticate(username="DANA@example.com", password=PASSWORD) == user


def test_an_email_is_taken_regardless_of_case(db):
    user_create(email="dana@example.com", display_name="Dana")
    with pytest.raises(ValidationError):
        user_create(email="DANA@example.com", display_name="Other Dana")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (email, display_name, role, is_active, notify_by_email,"
            " date_joined, password, is_superuser) VALUES ('DANA@EXAMPLE.COM', 'x', 'customer',"
            " true, true, CURRENT_TIMESTAMP, '', false)"
        )


def test_the_database_refuses_an_unknown_role(db):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (email, display_name, role, is_active, notify_by_email,"
            " date_joined, password, is_superuser) VALUES ('x@example.com', 'x', 'admin',"
            " true, true, CURRENT_TIMESTAMP, '', false)"
        )


def test_a_weak_password_is_refused(db):
    with pytest.raises(ValidationError):
        user_create(email="e@example.com", display_name="E", password="short")
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("role", "customer", "agent", "manager", "staff"),
    [
        (Role.CUSTOMER, True, False, False, False),
        (Role.AGENT, False, True, False, False),
        (Role.MANAGER, False, True, True, True),
    ],
)
def test_roles_decide_what_a_user_is(db, role, customer, agent, manager, staff):
    user = user_create(email=f"{role}@example.com", display_name=str(role), role=role)
    assert (user.is_customer, user.is_agent, user.is_manager, user.is_staff) == (
        customer,
        agent,
        manager,
        staff,
    )


def test_the_command_creates_a_user_of_any_role(db, capsys):
    call_command(
        "create_user",
        "ops@example.com",
        "--name",
        "Olga Ops",
        "--role",
        "agent",
        "--password",
        PASSWORD,
    )
    user = User.objects.get(email="ops@example.com")
    assert (user.display_name, user.role, user.check_password(PASSWORD)) == (
        "Olga Ops",
        "agent",
        True,
    )
    assert "Created agent ops@example.com" in capsys.readouterr().out


def test_the_command_without_a_password_makes_an_account_that_cannot_sign_in_yet(db):
    call_command("create_user", "late@example.com", "--name", "Late", "--role", "manager")
    assert not User.objects.get(email="late@example.com").has_usable_password()


def test_the_command_explains_a_duplicate(db):
    user_create(email="dup@example.com", display_name="Dup")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_user", "dup@example.com", "--name", "Dup again")


def test_createsuperuser_makes_a_manager(db):
    user = User.objects.create_superuser("boss@example.com", PASSWORD, display_name="Boss")
    assert user.is_manager and user.is_superuser and user.is_staff
