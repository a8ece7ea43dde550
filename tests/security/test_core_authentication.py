"""One method per request: the API takes a live `Bearer` token, or — with no Authorization
header at all — the session, in the two-factor state pages ask for. Any other Authorization
header is answered 401 with a Bearer challenge and is never signed in by its cookie; pages do
not read the header."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import authentication, two_factor
from accounts.tokens import api_token_create
from tickets import services
from tickets.models import Comment
from tickets.status import Status

# Another scheme, a malformed Bearer header, a Bearer "token" that is none, an empty header.
NOT_A_TOKEN = ["Token x", "Basic dXNlcjpwdw==", "Foo", "Bearer", "Bearer not-a-token", ""]
NOTE = "Customer is on the legacy VPN client, internal only"
MOMENT = datetime(2031, 3, 4, 9, 30, tzinfo=UTC)


@pytest.fixture
def policy_on(manager):
    two_factor.policy_set(require_staff_two_factor=True, actor=manager)


@pytest.fixture
def worked(make_ticket, agent):
    """A ticket in progress with an internal note, and an open one nobody has taken."""
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=agent, body=NOTE, internal=True)
    return ticket, make_ticket(Status.OPEN, subject="Printer on fire")


def session_of(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def passed_two_factor(user) -> APIClient:
    """A session that went through the code step with the user's app."""
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    client = session_of(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def assert_refused(response):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer ")
    assert response.json()["code"] == "authentication_failed"
    assert NOTE not in response.content.decode()
    assert "VPN" not in response.content.decode()


def read_and_write(client, header: str, worked) -> None:
    """Everything the session could read or change, asked with `header`: all refused."""
    ticket, unassigned = worked
    extra = {"HTTP_AUTHORIZATION": header}
    for url in (
        reverse("api:me"),
        reverse("api:ticket-list"),
        reverse("api:ticket-detail", args=[ticket.pk]),
        reverse("api:ticket-comments", args=[ticket.pk]),
    ):
        assert_refused(client.get(url, **extra))
    assert_refused(client.post(reverse("api:ticket-take", args=[unassigned.pk]), **extra))
    assert_refused(
        client.post(
            reverse("api:ticket-comments", args=[ticket.pk]),
            {"body": "Signed in by the cookie", "internal": True},
            format="json",
            **extra,
        )
    )
    unassigned.refresh_from_db()
    assert unassigned.assignee_id is None
    assert not Comment.objects.filter(body="Signed in by the cookie").exists()


@pytest.mark.parametrize("header", NOT_A_TOKEN)
def test_a_staff_session_short_of_two_factor_is_not_signed_in_by_another_scheme(
    header, agent, policy_on, worked
):
    client = session_of(agent)
    assert client.get(reverse("api:me")).json()["code"] == "two_factor_required"
    read_and_write(client, header, worked)


@pytest.mark.parametrize("header", NOT_A_TOKEN)
def test_a_session_from_before_the_enrolment_is_not_signed_in_by_another_scheme(
    header, agent, worked
):
    with time_machine.travel(MOMENT, tick=False) as clock:
        client = session_of(agent)
        assert client.get(reverse("api:me")).status_code == 200
        TOTPDevice.objects.create(user=agent, name="Authenticator app", confirmed=True)
        clock.shift(two_factor.STATE_TTL_SECONDS + 1)  # the session's view of it is renewed
        read_and_write(client, header, worked)
        # Without a header the session is the one asked, and it is signed out.
        response = client.get(reverse("api:me"))
        assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer ")
        assert response.json()["code"] == "not_authenticated"
        assert client.get(reverse("api:me")).json()["code"] == "not_authenticated"


@pytest.mark.parametrize("header", NOT_A_TOKEN)
def test_no_session_is_signed_in_by_another_scheme(header, customer, agent, make_ticket):
    make_ticket()
    for person in (customer, agent):
        client = session_of(person)
        assert client.get(reverse("api:ticket-list")).status_code == 200
        assert_refused(client.get(reverse("api:ticket-list"), HTTP_AUTHORIZATION=header))


def test_a_live_token_signs_in_its_owner_whatever_the_session(agent, customer, policy_on):
    _token, agents = api_token_create(user=agent, name="script")
    _token, carlas = api_token_create(user=customer, name="laptop")
    client = session_of(agent)  # short of two-factor: the session alone is refused
    assert client.get(reverse("api:me")).status_code == 403
    for raw, person in ((agents, agent), (carlas, customer)):
        response = client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"bearer  {raw}")
        assert response.status_code == 200 and response.json()["email"] == person.email


def test_a_session_that_passed_two_factor_works_without_a_header(agent, policy_on, worked):
    client = passed_two_factor(agent)
    ticket, _unassigned = worked
    comments = client.get(reverse("api:ticket-comments", args=[ticket.pk]))
    assert comments.status_code == 200 and NOTE in comments.content.decode()
    assert_refused(client.get(reverse("api:me"), HTTP_AUTHORIZATION="Basic dXNlcjpwdw=="))


def test_pages_do_not_read_the_authorization_header(agent, customer, other_agent, policy_on):
    foo = {"HTTP_AUTHORIZATION": "Foo"}
    assert session_of(customer).get(reverse("portal:ticket_list"), **foo).status_code == 200
    assert passed_two_factor(agent).get(reverse("agent:queue"), **foo).status_code == 200
    # Two-factor still applies to the session of the page.
    pending = session_of(other_agent).get(reverse("agent:queue"), **foo)
    assert pending.status_code == 302 and pending.url == reverse("two_factor_setup")


def test_pages_sign_out_a_session_from_before_the_enrolment_whatever_the_header(agent):
    with time_machine.travel(MOMENT, tick=False) as clock:
        client = session_of(agent)
        assert client.get(reverse("agent:queue")).status_code == 200
        TOTPDevice.objects.create(user=agent, name="Authenticator app", confirmed=True)
        clock.shift(two_factor.STATE_TTL_SECONDS + 1)
        response = client.get(reverse("agent:queue"), HTTP_AUTHORIZATION="Bearer not-a-token")
        assert response.status_code == 302 and reverse("login") in response.url
        assert "_auth_user_id" not in client.session


def test_the_api_refuses_another_scheme_even_without_the_middleware(settings, customer):
    """The API's own authentication reads the same decision: the session class is never
    reached by a request with an Authorization header."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "TwoFactorMiddleware" not in m]
    client = session_of(customer)
    assert client.get(reverse("api:me")).status_code == 200
    assert_refused(client.get(reverse("api:me"), HTTP_AUTHORIZATION="Token x"))


def test_the_token_is_looked_up_once_per_request(customer, monkeypatch):
    _token, raw = api_token_create(user=customer, name="laptop")
    calls = []
    lookup = authentication.api_token_authenticate
    monkeypatch.setattr(
        authentication, "api_token_authenticate", lambda token: calls.append(token) or lookup(token)
    )
    response = APIClient().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and calls == [raw]
