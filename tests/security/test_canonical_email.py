"""One canonical identity: an e-mail address is stored, signed in with, locked out, throttled,
reset and registered under one spelling (accounts.identity.normalize_email), matched exactly.

The finding: after five wrong passwords locked victim.li@..., signing in as v\u0131ctim.li@...
(dotless i) worked on PostgreSQL, and every spelling had five fresh guesses: the lockout key
was the typed name lower-cased, the account lookup was email__iexact (UPPER() maps the dotless
i to I). Now a spelling either is the account's canonical address, and shares its lockout, or
is another address, which never reaches the account.

Every test that touches the database runs on the configured database and, marked `postgres`,
again on PostgreSQL (in CI), where the case rules of the database differ from Python's.
"""

import importlib
import io
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts.identity import normalize_email
from accounts.models import Role, User
from accounts.services import EMAIL_TAKEN, user_create, user_update_profile
from accounts.throttle import normalized_login
from tickets.models import Notification

PASSWORD = "correct horse battery staple"
ATTACKER = "203.0.113.66"
VICTIM = "victim.li@example.com"
KATE = "kate.ross@example.com"

# A spelling Django's EmailField accepts too (it refuses the full-width dot).
FULL_WIDTH_DOMAIN = "victim.li@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com"
# Spellings that are the victim's address: they share its lockout and reach its account.
VICTIM_SPELLINGS = [
    "VICTIM.LI@EXAMPLE.COM",
    " Victim.Li@Example.com\t",
    "\uff56\uff49\uff43\uff54\uff49\uff4d.li@example.com",  # full-width "victim"
    "\uff36\uff29\uff23\uff34\uff29\uff2d.LI\uff20\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com",
    "victim.li@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff43\uff4f\uff4d",
]
# Kelvin sign (U+212A) for K, long s (U+017F) for s.
KATE_SPELLINGS = [
    "\u212aate.ross@example.com",
    "kate.ro\u017f\u017f@example.com",
    "\u212aATE.RO\u017f\u017f@EXAMPLE.COM",
]
# Other addresses to str.casefold(), though a database's UPPER() or Python's re.IGNORECASE
# may take them for the victim's: they never reach the victim's account.
NOT_THE_VICTIM = [
    "v\u0131ctim.li@example.com",  # dotless i
    "V\u0130CTIM.LI@example.com",  # capital I with dot: folds to i + combining dot
]


@pytest.fixture(params=["configured", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request):
    """The configured database (SQLite locally), and PostgreSQL where there is one."""
    request.getfixturevalue("postgres" if request.param == "postgres" else "db")


@pytest.fixture
def victim(database):
    return user_create(email=VICTIM, display_name="Victim Li", role=Role.AGENT, password=PASSWORD)


@pytest.fixture
def kate(database):
    return user_create(email=KATE, display_name="Kate Ross", password=PASSWORD)


def sign_in(client, username, password=PASSWORD, address=ATTACKER):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def fail(client, username, times=1):
    for _i in range(times):
        response = sign_in(client, username, "wrong password")
    return response


# The rule itself


@pytest.mark.parametrize("spelling", VICTIM_SPELLINGS)
def test_every_spelling_of_an_address_has_one_canonical_form(spelling):
    assert normalize_email(spelling) == VICTIM


@pytest.mark.parametrize("spelling", KATE_SPELLINGS)
def test_the_kelvin_sign_and_the_long_s_fold_to_ascii(spelling):
    assert normalize_email(spelling) == KATE


@pytest.mark.parametrize("spelling", NOT_THE_VICTIM)
def test_a_dotless_or_dotted_i_is_another_address(spelling):
    assert normalize_email(spelling) != VICTIM


def test_the_domain_is_idna_encoded_and_the_form_is_stable():
    assert normalize_email("Anna@B\u00dcCHER.example") == "anna@xn--bcher-kva.example"
    assert normalize_email("anna@xn--bcher-kva.example") == "anna@xn--bcher-kva.example"
    assert normalize_email("Stra\u00dfe@example.com") == "strasse@example.com"
    for spelling in [*VICTIM_SPELLINGS, *KATE_SPELLINGS, *NOT_THE_VICTIM]:
        canonical = normalize_email(spelling)
        assert normalize_email(canonical) == canonical


@pytest.mark.parametrize(
    "address", ["a@xn--bcher-abc.com", "a@xn---bbk.com", "a@exa..mple.com", "nobody", "@x.com"]
)
def test_an_address_without_a_canonical_form_is_invalid(address):
    with pytest.raises(ValidationError) as refused:
        normalize_email(address)
    assert refused.value.code == "invalid"
    assert refused.value.messages == ["Enter a valid e-mail address."]


def test_the_lockout_key_is_the_canonical_address():
    assert {normalized_login(spelling) for spelling in VICTIM_SPELLINGS} == {VICTIM}
    assert normalized_login("  Not An Address ") == "not an address"


# Sign-in and lockout


def test_the_account_signs_in_with_any_spelling_of_its_address(victim, kate):
    for spellings, owner in ((VICTIM_SPELLINGS, victim), (KATE_SPELLINGS, kate)):
        for spelling in spellings:
            assert authenticate(username=spelling, password=PASSWORD) == owner, spelling
    for spelling in NOT_THE_VICTIM:
        assert authenticate(username=spelling, password=PASSWORD) is None
    assert authenticate(username="not an address", password=PASSWORD) is None


@pytest.mark.parametrize("spelling", VICTIM_SPELLINGS)
def test_a_locked_account_is_locked_under_every_spelling(client, victim, spelling):
    fail(client, VICTIM, settings.AXES_FAILURE_LIMIT)
    response = sign_in(client, spelling)
    assert response.status_code == 429 and signed_in_as(client) is None


@pytest.mark.parametrize("spelling", KATE_SPELLINGS)
def test_the_kelvin_sign_and_the_long_s_are_locked_too(client, kate, spelling):
    fail(client, KATE, settings.AXES_FAILURE_LIMIT)
    assert sign_in(client, spelling).status_code == 429 and signed_in_as(client) is None


def test_spellings_share_one_count_of_wrong_passwords(client, victim, kate):
    # Five guesses in five spellings are five guesses at one account: no fresh ones.
    for spelling in [VICTIM, *VICTIM_SPELLINGS][: settings.AXES_FAILURE_LIMIT - 1]:
        assert fail(client, spelling).status_code == 200
    assert fail(client, VICTIM_SPELLINGS[-1]).status_code == 429
    assert sign_in(client, VICTIM).status_code == 429
    spellings = [*KATE_SPELLINGS, "KATE.ROSS@example.com", KATE_SPELLINGS[0]]
    for spelling in spellings[: settings.AXES_FAILURE_LIMIT - 1]:
        assert fail(client, spelling).status_code == 200
    assert fail(client, spellings[settings.AXES_FAILURE_LIMIT - 1]).status_code == 429
    assert sign_in(client, KATE).status_code == 429


@pytest.mark.parametrize("spelling", NOT_THE_VICTIM)
def test_a_look_alike_spelling_never_signs_in_as_the_locked_victim(client, victim, spelling):
    fail(client, VICTIM, settings.AXES_FAILURE_LIMIT)
    # The right password under a look-alike name: not the victim's account, so no sign-in
    # (the finding: a 302 into the victim's account on PostgreSQL).
    for _guess in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, spelling)
        assert response.status_code == 200 and signed_in_as(client) is None
    # Nor did those attempts lift or reset the victim's lockout.
    assert sign_in(client, VICTIM).status_code == 429


def test_a_look_alike_spelling_is_no_guess_at_the_victim(client, victim):
    for spelling in NOT_THE_VICTIM:
        assert sign_in(client, spelling).status_code == 200
    assert signed_in_as(client) is None
    assert sign_in(client, VICTIM).status_code == 302
    assert signed_in_as(client) == str(victim.pk)


# Sign-up, profile, admin and the create_user command


def sign_up(client, email, address):
    return client.post(
        reverse("signup"), {"email": email, "display_name": "Mallory"}, REMOTE_ADDR=address
    )


def test_signing_up_with_another_spelling_of_a_known_address_makes_nothing_and_tells_the_owner(
    client, victim, kate
):
    spellings = ["VICTIM.LI@EXAMPLE.COM", FULL_WIDTH_DOMAIN, *KATE_SPELLINGS]
    for number, spelling in enumerate(spellings):
        response = type(client)().post(
            reverse("signup"),
            {"email": spelling, "display_name": "Mallory"},
            REMOTE_ADDR=f"192.0.2.{number + 1}",
        )
        assert response.status_code == 302, spelling
        assert response.url == reverse("signup_done"), spelling
    assert User.objects.count() == 2
    told = Notification.objects.filter(event="signup_attempt")
    assert sorted(told.values_list("recipient__email", flat=True)) == sorted(
        [VICTIM] * 2 + [KATE] * 3
    )


def test_the_services_refuse_another_spelling_of_a_known_address(victim, kate):
    with pytest.raises(ValidationError) as refused:
        user_create(email="\uff56ictim.li@example.com", display_name="Mallory")
    assert refused.value.message_dict == {"email": [EMAIL_TAKEN]}
    with pytest.raises(ValidationError) as refused:
        user_update_profile(
            user=kate,
            display_name=kate.display_name,
            email="Victim.Li@EXAMPLE.com",
            notify_by_email=True,
            current_password=PASSWORD,
        )
    assert refused.value.message_dict == {"email": [EMAIL_TAKEN]}
    kate.refresh_from_db()
    assert kate.email == KATE


def test_addresses_are_stored_canonical_on_every_road_in(client, database, manager):
    user_create(email="  \u212aATE.RO\u017f\u017f@B\u00dcCHER.example ", display_name="Kate")
    call_command("create_user", "Nova@\uff25xample.COM", "--name", "Nova", stdout=io.StringIO())
    User.objects.create_user(email="Ops@Example.COM", display_name="Ops")
    client.force_login(manager)
    client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "ADMIN\u212a@Example.com",
            "display_name": "Admin",
            "role": Role.AGENT,
            "password1": "a-long-admin-password-9",
            "password2": "a-long-admin-password-9",
        },
    )
    emails = set(User.objects.values_list("email", flat=True))
    assert emails == {
        manager.email,
        "kate.ross@xn--bcher-kva.example",
        "nova@example.com",
        "ops@example.com",
        "admink@example.com",
    }


def test_an_address_without_a_canonical_form_is_a_form_error_not_a_500(client, database, agent):
    response = sign_up(client, "mallory@xn--bcher-abc.com", ATTACKER)
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["Enter a valid e-mail address."]
    client.force_login(agent)
    response = client.post(
        reverse("profile"),
        {
            "display_name": agent.display_name,
            "email": "alex@xn---bbk.com",
            "notify_by_email": "on",
            "current_password": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["Enter a valid e-mail address."]
    with pytest.raises(CommandError, match="Enter a valid e-mail address"):
        call_command("create_user", "x@xn--bcher-abc.com", "--name", "X")
    sign_in_page = sign_in(type(client)(), "x@xn--bcher-abc.com")
    assert sign_in_page.status_code == 200


# Password reset


def reset(email, number):
    return Client().post(
        reverse("password_reset"), {"email": email}, REMOTE_ADDR=f"198.51.100.{number}"
    )


def test_a_password_reset_under_any_spelling_reaches_only_the_canonical_account(
    victim, kate, mailoutbox, django_capture_on_commit_callbacks
):
    # Someone registered a look-alike of the victim's address before such addresses were
    # refused (accounts.services.accounts_like).
    look_alike = User.objects.create_user(
        email=NOT_THE_VICTIM[0], display_name="Mallory", password=PASSWORD
    )
    cases = [
        *[(spelling, VICTIM) for spelling in ["VICTIM.LI@EXAMPLE.COM", FULL_WIDTH_DOMAIN]],
        *[(spelling, KATE) for spelling in KATE_SPELLINGS],
        (NOT_THE_VICTIM[0], look_alike.email),
        (NOT_THE_VICTIM[1], None),
    ]
    for number, (spelling, recipient) in enumerate(cases, start=1):
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert reset(spelling, number).status_code == 302
        assert [mail.to for mail in mailoutbox] == ([[recipient]] if recipient else []), spelling


def test_password_reset_requests_are_counted_per_canonical_address(
    client, victim, mailoutbox, django_capture_on_commit_callbacks
):
    limit = int(settings.PASSWORD_RESET_RATE.split("/")[0])
    spellings = ["VICTIM.LI@EXAMPLE.COM", FULL_WIDTH_DOMAIN, VICTIM, " Victim.li@example.com"]
    # Inside one window of the rate, whatever the real clock says.
    with (
        time_machine.travel(datetime(2026, 3, 4, 10, 15, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        for number in range(limit):
            response = client.post(
                reverse("password_reset"),
                {"email": spellings[number % len(spellings)]},
                REMOTE_ADDR=ATTACKER,
            )
            assert response.status_code == 302
        refused = client.post(
            reverse("password_reset"), {"email": "Victim.Li@Example.com"}, REMOTE_ADDR=ATTACKER
        )
    assert refused.status_code == 429
    assert len(mailoutbox) == limit
    assert {tuple(mail.to) for mail in mailoutbox} == {(VICTIM,)}
    assert re.search(r"/reset/\S+/", mailoutbox[0].body)


# The data migration


def canonicalise(**kwargs):
    migration = importlib.import_module("accounts.migrations.0004_canonical_email")
    return migration.canonicalise_emails(apps, **kwargs)


def raw_user(email):
    # Written around the services, as rows from before the canonical rule were.
    user = User(email=email, display_name=email[:20])
    user.set_unusable_password()
    user.save()
    return user


def test_the_migration_rewrites_addresses_canonical_and_reports_collisions(database, capsys):
    sharp_s = raw_user("Stra\u00dfe@Example.COM")
    kelvin = raw_user("\u212aate@example.com")
    canonical = raw_user("ok@example.com")
    victim = raw_user(VICTIM)
    full_width = raw_user("\uff56\uff49\uff43\uff54\uff49\uff4d.li@example.com")
    twin_a = raw_user("ANNA@B\u00dcCHER.example")
    twin_b = raw_user("anna@xn--bcher-kva.example")
    broken = raw_user("bad@xn--bcher-abc.com")

    report = canonicalise()

    assert sorted(report.rewritten) == sorted([sharp_s.pk, kelvin.pk])
    assert report.collisions == {
        VICTIM: [victim.pk, full_width.pk],
        "anna@xn--bcher-kva.example": [twin_a.pk, twin_b.pk],
    }
    assert report.invalid == [broken.pk]
    stored = dict(User.objects.values_list("pk", "email"))
    assert stored[sharp_s.pk] == "strasse@example.com"
    assert stored[kelvin.pk] == "kate@example.com"
    assert stored[canonical.pk] == "ok@example.com"
    # Colliding and broken rows are left exactly as they were, for a person to decide.
    assert stored[full_width.pk] == full_width.email
    assert stored[twin_a.pk] == twin_a.email
    assert stored[broken.pk] == broken.email
    printed = capsys.readouterr().out
    assert f"users {victim.pk}, {full_width.pk} all spell '{VICTIM}'" in printed
    assert f"users {broken.pk}: no canonical form" in printed
    # Run again, it has nothing left to rewrite.
    assert canonicalise().rewritten == []


def test_a_colliding_row_left_unchanged_cannot_sign_in(client, database):
    victim = user_create(email=VICTIM, display_name="Victim", password=PASSWORD)
    twin = raw_user("\uff56\uff49\uff43\uff54\uff49\uff4d.li@example.com")
    twin.set_password("the twin's password")
    twin.save()
    canonicalise()
    assert authenticate(username=twin.email, password="the twin's password") is None
    assert authenticate(username=VICTIM, password=PASSWORD) == victim
