"""Security events are structured records on "helpdesk.security": event, who, from where, and
the request id the response carried; the handler writes them as JSON lines."""

import json
import logging

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Role
from accounts.services import user_create
from helpdesk.security_log import JsonFormatter, log_permission_denied, log_transition_refused

PASSWORD = "correct horse battery staple"
ADDRESS = "203.0.113.9"


@pytest.fixture
def events(caplog):
    """The security records written during the test, as dicts of their fields."""
    logger = logging.getLogger("helpdesk.security")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="helpdesk.security")

    def read(name=None):
        seen = {}
        for record in caplog.records:
            fields = getattr(record, "security", None)
            if record.name == "helpdesk.security" and fields and id(record) not in seen:
                seen[id(record)] = {**fields, "level": record.levelname}
        found = list(seen.values())
        return [e for e in found if name is None or e["event"] == name]

    yield read
    logger.removeHandler(caplog.handler)


@pytest.fixture
def ann(db):
    return user_create(
        email="ann@example.com", display_name="Ann", role=Role.AGENT, password=PASSWORD
    )


def sign_in(client, password):
    return client.post(
        reverse("login"),
        {"username": "Ann@example.com", "password": password},
        REMOTE_ADDR=ADDRESS,
        HTTP_X_REQUEST_ID="req-0123456789",
    )


def test_a_failed_sign_in_is_logged_with_who_where_and_the_request(client, ann, events):
    response = sign_in(client, "wrong password")
    [event] = events("login_failed")
    assert event["email"] == "ann@example.com"
    assert event["user_id"] is None
    assert event["ip"] == ADDRESS
    assert event["request_id"] == response["X-Request-ID"] == "req-0123456789"
    assert event["level"] == "WARNING"
    assert PASSWORD not in json.dumps(events()) and "wrong password" not in json.dumps(events())


def test_a_successful_sign_in_and_the_sign_out_are_logged(client, ann, events):
    sign_in(client, PASSWORD)
    client.post(reverse("logout"), REMOTE_ADDR=ADDRESS)
    [signed_in] = events("login_succeeded")
    [signed_out] = events("logout")
    for event in (signed_in, signed_out):
        assert (event["user_id"], event["email"], event["ip"]) == (ann.pk, ann.email, ADDRESS)


def test_a_lockout_is_logged_once(client, ann, events):
    for _i in range(settings.AXES_FAILURE_LIMIT + 2):
        sign_in(client, "wrong password")
    [locked] = events("login_locked_out")
    assert locked["email"] == "ann@example.com" and locked["ip"] == ADDRESS


def test_a_refused_second_factor_is_logged(client, ann, events):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=ann, name="app", confirmed=True)
    sign_in(client, PASSWORD)
    client.post(reverse("login_verify"), {"code": "000000"}, REMOTE_ADDR=ADDRESS)
    [failed] = events("two_factor_failed")
    assert failed["user_id"] == ann.pk and failed["ip"] == ADDRESS and failed["stage"] == "login"
    assert events("login_succeeded") == []


def test_password_changes_and_resets_are_logged(
    client, ann, mailoutbox, events, django_capture_on_commit_callbacks
):
    client.force_login(ann)
    new = PASSWORD + " again"
    client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    [changed] = events("password_changed")
    assert changed["user_id"] == ann.pk
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "ann@example.com"}, REMOTE_ADDR=ADDRESS)
    [requested] = events("password_reset_requested")
    assert requested["email"] == "ann@example.com" and requested["ip"] == ADDRESS
    link = next(line for line in mailoutbox[-1].body.splitlines() if "/reset/" in line)
    path = link[link.index("/accounts/reset/") :].strip()
    form = client.get(path, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD})
    [completed] = events("password_reset_completed")
    assert completed["user_id"] == ann.pk


def test_a_role_refusal_is_logged_as_a_permission_denial(client, customer, events):
    client.force_login(customer)
    assert client.get(reverse("agent:queue")).status_code == 404
    [denied] = events("permission_denied")
    assert denied["user_id"] == customer.pk and denied["path"] == reverse("agent:queue")
    assert denied["level"] == "WARNING"


def test_the_helpers_for_other_apps_write_the_same_shape(rf, customer, events):
    request = rf.get("/api/v1/tickets/1/", REMOTE_ADDR=ADDRESS)
    request.user = customer
    request.request_id = "req-abcdef0123"
    log_permission_denied(request, reason="api")
    log_transition_refused(
        actor=customer, ticket_id=7, from_status="open", to_status="resolved", reason="not_allowed"
    )
    denied, refused = events()
    assert (denied["event"], denied["ip"], denied["request_id"]) == (
        "permission_denied",
        ADDRESS,
        "req-abcdef0123",
    )
    assert (refused["event"], refused["user_id"], refused["ticket_id"]) == (
        "transition_refused",
        customer.pk,
        7,
    )


def test_records_are_written_as_json_lines(client, ann, caplog, events):
    sign_in(client, "wrong password")
    record = next(
        r for r in caplog.records if getattr(r, "security", {}).get("event") == "login_failed"
    )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert {"time", "level", "logger", "event", "user_id", "email", "ip", "request_id"} <= set(data)
    assert data["logger"] == "helpdesk.security" and data["event"] == "login_failed"


def test_the_security_logger_writes_json(settings):
    config = settings.LOGGING
    handler = config["loggers"]["helpdesk.security"]["handlers"][0]
    formatter = config["handlers"][handler]["formatter"]
    assert config["formatters"][formatter]["()"] == "helpdesk.security_log.JsonFormatter"


def test_the_permission_helper_takes_an_api_request_too(customer, events):
    """tickets/api/exceptions.py hands it DRF's Request."""
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory, force_authenticate

    raw = APIRequestFactory().post("/api/v1/tickets/1/take/", REMOTE_ADDR=ADDRESS)
    force_authenticate(raw, user=customer)
    request = Request(raw)
    request.user  # noqa: B018  (authenticates, as a view would have)
    log_permission_denied(request, reason="permission_denied")
    [denied] = events("permission_denied")
    assert (denied["user_id"], denied["ip"], denied["method"], denied["path"]) == (
        customer.pk,
        ADDRESS,
        "POST",
        "/api/v1/tickets/1/take/",
    )


def test_a_refused_workflow_change_is_logged(client, customer, agent, make_ticket, events):
    """The workflow itself logs what it refuses, whichever page or API asked."""
    ticket = make_ticket()
    client.force_login(customer)
    response = client.post(
        reverse("api:ticket-transitions", args=[ticket.pk]),
        {"to": "resolved", "note": "Done?"},
        content_type="application/json",
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code in (403, 409)
    [refused] = events("transition_refused")
    assert (refused["user_id"], refused["ticket_id"], refused["to_status"]) == (
        customer.pk,
        ticket.pk,
        "resolved",
    )
    assert refused["reason"] == response.json()["code"]


def test_an_api_refusal_is_logged_as_a_permission_denial(client, customer, events):
    client.force_login(customer)
    response = client.get(reverse("api:report-summary"), REMOTE_ADDR=ADDRESS)
    assert response.status_code == 404  # managers only: others are not told it exists
    anonymous = client.__class__().get(reverse("api:ticket-list"), REMOTE_ADDR=ADDRESS)
    assert anonymous.status_code == 401
    assert [e["reason"] for e in events("permission_denied")][-1] == "not_authenticated"
