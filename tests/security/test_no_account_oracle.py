"""No account oracle: the password reset and the sign-up answer alike, in the same time,
whether or not the address has an account; only the owner of the address hears which.

The finding: the reset mail was sent inside the request (1.5 s for a known address, 0.05 s for
an unknown one), and sign-up with a known address said "already exists". Now both requests
only write an outbox row (tickets.models.Notification), which a worker turns into a message
after the commit; the reset link's token is made then, so the row holds no secret.
"""

import importlib
import io
import re
import statistics
import time
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import EMAIL_LOOKS_TAKEN, user_create
from accounts.tokens import api_token_create
from tickets import delivery
from tickets.models import Notification

PASSWORD = "correct horse battery staple"
OWNER = "victim.li@example.com"
REQUESTS = 50
# Each message takes this long to "send": a mail sent inside the request shows at once.
SLOW_SMTP_SECONDS = 0.3
Event = Notification.Event


class SlowEmailBackend(EmailBackend):
    """An SMTP server that takes its time, as real ones do."""

    def send_messages(self, messages):
        time.sleep(SLOW_SMTP_SECONDS)
        return super().send_messages(messages)


@pytest.fixture
def slow_mail(settings):
    settings.EMAIL_BACKEND = f"{__name__}.SlowEmailBackend"
    # Many requests from one address: the limits are not what these tests are about.
    settings.PASSWORD_RESET_RATE = settings.PASSWORD_RESET_RATE_PER_ADDRESS = "10000/hour"
    settings.SIGNUP_RATE = settings.SIGNUP_RATE_PER_EMAIL = "10000/hour"


@pytest.fixture
def owner(db):
    return user_create(email=OWNER, display_name="Victim Li", password=PASSWORD)


def without_csrf(html: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html.decode())


def timed(post) -> float:
    started = time.perf_counter()
    post()
    return time.perf_counter() - started


def assert_alike_in_time(known: list[float], unknown: list[float]) -> None:
    """Medians within 3x of each other, plus 15 ms for a shared, busy machine. A message sent
    in the request (SLOW_SMTP_SECONDS) is far outside that."""
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    slower, faster = max(known_median, unknown_median), min(known_median, unknown_median)
    assert slower <= 3 * faster + 0.015, (known_median, unknown_median)


def answer(response) -> tuple:
    return response.status_code, response.get("Location"), without_csrf(response.content)


# The password reset


def test_a_reset_answers_alike_and_in_the_same_time_for_known_and_unknown_addresses(
    owner, slow_mail, django_capture_on_commit_callbacks
):
    client = Client()
    client.get(reverse("password_reset"))  # warm-up: templates, URL resolver
    known, unknown = [], []
    answers = set()
    # The requests' transactions commit inside the test's, so what they queue for after the
    # commit (handing the row to a worker) waits here, as it would wait for the broker.
    with django_capture_on_commit_callbacks(execute=False) as handed_over:
        for number in range(REQUESTS):
            # Interleaved, so that both see the same load on the machine.
            for email, times in ((OWNER, known), (f"nobody{number}@example.com", unknown)):

                def post(email=email):
                    answers.add(answer(client.post(reverse("password_reset"), {"email": email})))

                times.append(timed(post))
    assert answers == {(302, reverse("password_reset_done"), "")}
    assert_alike_in_time(known, unknown)
    assert mail.outbox == []  # nothing was sent by the requests themselves

    rows = Notification.objects.all()
    assert {(row.event, row.recipient_id, row.ticket_id) for row in rows} == {
        (Event.PASSWORD_RESET, owner.pk, None)
    }
    assert all(row.detail == {} for row in rows)
    assert rows.count() == len(handed_over) == REQUESTS


def test_the_reset_link_is_made_when_the_message_is_sent_and_works(
    client, owner, django_capture_on_commit_callbacks
):
    client.post(reverse("password_reset"), {"email": "Victim.Li@Example.com"})
    row = Notification.objects.get()
    assert delivery.deliver(notification_id=row.pk)
    [message] = mail.outbox
    assert message.to == [OWNER] and message.subject == "Reset your help desk password"
    link = re.search(r"https?://\S+/reset/(\S+)/(\S+)/", message.body)
    # The outbox row does not hold the token the link carries.
    stored = Notification.objects.filter(pk=row.pk).values().get()
    assert link.group(2) not in repr(stored)

    form_page = client.get(urlsplit(link.group(0)).path, follow=True)
    assert form_page.context["validlink"]
    new = PASSWORD + " 2"
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
        )
    assert done.url == reverse("password_reset_complete")
    owner.refresh_from_db()
    assert owner.check_password(new)
    # The owner is told, through the outbox too.
    told = Notification.objects.get(event=Event.PASSWORD_CHANGED)
    assert told.detail == {"how": "password_reset", "tokens_revoked": 0}
    assert "was reset with the link we e-mailed" in mail.outbox[-1].body


# Sign-up


def sign_up(client, email, name="Someone"):
    return client.post(reverse("signup"), {"email": email, "display_name": name})


def test_a_sign_up_with_a_known_address_answers_like_a_new_one_in_the_same_time(
    owner, slow_mail, django_capture_on_commit_callbacks
):
    client = Client()
    client.get(reverse("signup"))
    known, new = [], []
    answers = set()
    with django_capture_on_commit_callbacks(execute=False):
        for number in range(REQUESTS):
            for email, times in ((OWNER.upper(), known), (f"new{number}@example.com", new)):

                def post(email=email):
                    answers.add(answer(sign_up(client, email)))

                times.append(timed(post))
    assert answers == {(302, reverse("signup_done"), "")}
    assert_alike_in_time(known, new)
    assert mail.outbox == []
    # The same page follows, signed in nowhere.
    assert not client.session.get("_auth_user_id")

    # The owner's account is untouched and they hear of each attempt; the new ones exist.
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD) and owner.display_name == "Victim Li"
    attempts = Notification.objects.filter(event=Event.SIGNUP_ATTEMPT)
    assert [(row.recipient_id, row.detail) for row in attempts] == [(owner.pk, {})] * REQUESTS
    created = Notification.objects.filter(event=Event.ACCOUNT_CREATED)
    assert created.count() == REQUESTS == User.objects.count() - 1
    assert (
        not User.objects.exclude(pk=owner.pk)
        .filter(role=Role.CUSTOMER)
        .filter(password__startswith="md5")
        .exists()
    )


def test_the_owner_is_told_someone_tried_to_sign_up_with_their_address(
    client, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "VICTIM.LI@example.com", name="Mallory")
    [message] = mail.outbox
    assert message.to == [OWNER]
    assert message.subject == "Someone tried to create a help desk account with your address"
    assert "You already have one" in message.body
    assert "/accounts/login/" in message.body and "/accounts/password_reset/" in message.body
    assert "/reset/" not in message.body  # no link that sets a password


def test_a_deactivated_account_is_not_told_and_the_answer_is_the_same(client, owner):
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert answer(sign_up(client, OWNER)) == (302, reverse("signup_done"), "")
    assert not Notification.objects.exists()
    assert User.objects.count() == 1


# The limits count alike


def test_the_limits_refuse_at_the_same_count_for_known_and_unknown_addresses(owner, settings):
    settings.PASSWORD_RESET_RATE = settings.SIGNUP_RATE_PER_EMAIL = "3/hour"
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = settings.SIGNUP_RATE = "100/hour"
    for path in (reverse("password_reset"), reverse("signup")):
        for email, address in ((OWNER, "192.0.2.10"), ("nobody@example.com", "192.0.2.11")):
            statuses = [
                Client()
                .post(path, {"email": email, "display_name": "X"}, REMOTE_ADDR=address)
                .status_code
                for _i in range(4)
            ]
            assert statuses == [302, 302, 302, 429], (path, email)


# Look-alike addresses


# Those the sign-up form lets through (Django's EmailField takes a non-ASCII local part only
# when it matches ASCII ignoring case, as these do; any letter in the domain).
LOOK_ALIKES = [
    "v\u0131ctim.li@example.com",  # dotless i
    "V\u0130CTIM.LI@example.com",  # capital I with a dot
    "victim.li@ex\u0430mple.com",  # Cyrillic a in the domain
    "victim.li@\u00e9xample.com",  # e with an accent in the domain
]
# And those only a service's caller could send (the admin and create_user take them too).
SERVICE_LOOK_ALIKES = [
    *LOOK_ALIKES,
    "v\u0456ctim.li@example.com",  # Cyrillic i
    "victim.l\u00ed@example.com",  # i with an accent
]
# The same address (one canonical form): Kelvin sign, long s, full-width letters.
SAME_ADDRESS = ["\u212aate.ross@example.com", "kate.ro\u017f\u017f@example.com"]


@pytest.mark.parametrize("look_alike", LOOK_ALIKES)
def test_a_look_alike_address_is_not_registered_and_its_owner_is_told(
    client, owner, look_alike, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client, look_alike, name="Mallory")
    assert answer(response) == (302, reverse("signup_done"), "")
    assert list(User.objects.values_list("email", flat=True)) == [OWNER]
    [told] = Notification.objects.filter(event=Event.SIGNUP_ATTEMPT)
    assert told.recipient == owner and told.detail["look_alike"] != OWNER
    assert "looks like yours" in mail.outbox[0].body


def test_every_spelling_of_a_known_address_is_that_address(
    client, db, django_capture_on_commit_callbacks
):
    kate = user_create(email="kate.ross@example.com", display_name="Kate")
    for spelling in [*SAME_ADDRESS, "kate.ross@\uff45xample.com"]:  # and a full-width e
        assert answer(sign_up(client, spelling)) == (302, reverse("signup_done"), "")
    rows = Notification.objects.filter(event=Event.SIGNUP_ATTEMPT)
    assert [(row.recipient_id, row.detail) for row in rows] == [(kate.pk, {})] * 3
    assert User.objects.count() == 1


@pytest.mark.parametrize("look_alike", SERVICE_LOOK_ALIKES)
def test_the_services_and_the_create_user_command_refuse_a_look_alike(owner, look_alike):
    with pytest.raises(ValidationError) as refused:
        user_create(email=look_alike, display_name="Mallory")
    assert refused.value.message_dict == {"email": [EMAIL_LOOKS_TAKEN]}
    with pytest.raises(CommandError, match="looks like the address of an existing account"):
        call_command("create_user", look_alike, "--name", "Mallory", stdout=io.StringIO())
    assert User.objects.count() == 1


def test_the_admin_refuses_to_create_a_look_alike(client, owner, db):
    manager = user_create(email="mia@example.com", display_name="Mia", role=Role.MANAGER)
    client.force_login(manager)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": LOOK_ALIKES[0],
            "display_name": "Mallory",
            "role": Role.CUSTOMER,
            "usable_password": "true",
            "password1": "a-long-admin-password-9",
            "password2": "a-long-admin-password-9",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [EMAIL_LOOKS_TAKEN]
    assert User.objects.count() == 2


def test_a_different_address_is_still_welcome(client, owner):
    assert answer(sign_up(client, "victor.li@example.com")) == (302, reverse("signup_done"), "")
    assert User.objects.filter(email="victor.li@example.com").exists()


# The outbox's own rule


@pytest.mark.parametrize("event", sorted(Notification.ACCOUNT_EVENTS))
def test_the_database_refuses_an_account_event_with_a_ticket_and_a_ticket_event_without(
    owner, make_ticket, event
):
    ticket = make_ticket()
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(event=event, recipient=owner, ticket=ticket)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(event=Event.RESOLVED, recipient=owner, ticket=None)


# Every password path revokes the API tokens


def test_a_password_set_in_the_admin_revokes_the_tokens_and_tells_the_owner(
    client, owner, django_capture_on_commit_callbacks
):
    api_token_create(user=owner, name="laptop")
    manager = user_create(email="mia@example.com", display_name="Mia", role=Role.MANAGER)
    client.force_login(manager)
    new = "a-brand-new-password-77"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:auth_user_password_change", args=[owner.pk]),
            {"usable_password": "true", "password1": new, "password2": new},
        )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(new)
    assert not owner.api_tokens.exists()
    told = Notification.objects.get(event=Event.PASSWORD_CHANGED)
    assert told.detail == {"how": "password_set_by_manager", "tokens_revoked": 1}
    assert "a manager of the help desk set a new password" in mail.outbox[-1].body


def test_the_changepassword_command_finds_the_canonical_address_and_revokes_the_tokens(
    owner, monkeypatch
):
    api_token_create(user=owner, name="laptop")
    new = "a-brand-new-password-77"
    monkeypatch.setattr("getpass.getpass", lambda prompt="": new)
    call_command("changepassword", "VICTIM.LI@Example.com", stdout=io.StringIO())
    owner.refresh_from_db()
    assert owner.check_password(new)
    assert not owner.api_tokens.exists()
    assert Notification.objects.get(event=Event.PASSWORD_CHANGED).detail["tokens_revoked"] == 1


def test_revoking_the_tokens_of_many_users_costs_the_same_queries_as_of_a_few(client, db):
    manager = user_create(email="mia@example.com", display_name="Mia", role=Role.MANAGER)
    client.force_login(manager)
    client.get("/admin/accounts/user/")  # warm-up: the session's upkeep

    def revoke(count: int, batch: str) -> int:
        users = [
            user_create(email=f"{batch}{n}@example.com", display_name=f"U{n}") for n in range(count)
        ]
        for user in users:
            api_token_create(user=user, name="a")
            api_token_create(user=user, name="b")
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/admin/accounts/user/",
                {"action": "revoke_api_tokens", "_selected_action": [u.pk for u in users]},
            )
        assert response.status_code == 302
        assert not User.objects.filter(pk__in=[u.pk for u in users], api_tokens__isnull=False)
        return len(queries)

    assert revoke(2, "few") == revoke(12, "many")


def test_the_migration_keeps_a_skeleton_beside_every_stored_address(db):
    user = User.objects.create_user(email="v\u0131ctim.li@example.com", display_name="Old")
    User.objects.filter(pk=user.pk).update(email_skeleton="")  # as before the migration
    migration = importlib.import_module("accounts.migrations.0006_email_skeleton")
    migration.fill_skeletons(apps, None)
    assert User.objects.get(pk=user.pk).email_skeleton == "victim.li@example.com"
