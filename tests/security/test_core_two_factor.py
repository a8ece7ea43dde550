"""Two-factor authentication for agents and managers: set-up with a QR code, the two-step
sign-in, backup codes, removal, and the managers' policy that makes it compulsory."""

import base64
import re
import time

import pytest
import time_machine
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import two_factor
from accounts.models import Role
from accounts.services import user_create
from accounts.tokens import api_token_create

PASSWORD = "correct horse battery staple"


def code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """What the phone shows now (or `steps_ahead` 30-second steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


@pytest.fixture
def ann(db):
    """An agent who signs in with a password."""
    return user_create(
        email="ann@example.com", display_name="Ann", role=Role.AGENT, password=PASSWORD
    )


def enrol(client, user) -> list[str]:
    """Set up an app through the pages, as a person would; returns the backup codes."""
    client.force_login(user)
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("two_factor_setup"), {"code": code(device)})
    assert response.status_code == 200
    return re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())


def sign_in(client, email=None, password=PASSWORD):
    return client.post(
        reverse("login"), {"username": email or "ann@example.com", "password": password}
    )


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_the_set_up_page_shows_a_qr_code_as_svg_and_the_key(client, ann):
    client.force_login(ann)
    html = client.get(reverse("two_factor_setup")).content.decode()
    uri = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', html).group(1)
    svg = base64.b64decode(uri).decode()
    assert "<svg" in svg and "<script" not in svg
    device = TOTPDevice.objects.get(user=ann)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert "".join(re.search(r'id="totp-secret">([^<]+)<', html).group(1).split()) == secret
    assert device.confirmed is False


def test_enrolment_confirms_the_app_and_shows_ten_backup_codes_once(client, ann):
    codes = enrol(client, ann)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=ann).confirmed
    # Stored only as digests.
    assert not StaticToken.objects.filter(token__in=codes).exists()
    status = client.get(reverse("two_factor")).content.decode()
    assert codes[0] not in status and "10 unused backup codes" in status


def test_a_wrong_code_does_not_confirm_the_app(client, ann):
    client.force_login(ann)
    client.get(reverse("two_factor_setup"))
    response = client.post(reverse("two_factor_setup"), {"code": "000000"})
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=ann, confirmed=True).exists()


def test_customers_cannot_set_up_two_factor(client, customer):
    client.force_login(customer)
    assert client.get(reverse("two_factor_setup")).status_code == 404


def test_with_an_app_the_password_alone_does_not_sign_in(client, ann):
    enrol(client, ann)
    client.logout()
    response = sign_in(client)
    assert response.status_code == 302 and response.url == reverse("login_verify")
    assert signed_in_user_id(client) is None
    # Nothing behind the sign-in opens yet.
    assert client.get(reverse("agent:queue")).status_code == 302
    assert client.get(reverse("api:me")).status_code in (401, 403)


def test_the_code_completes_the_sign_in(client, ann):
    enrol(client, ann)
    client.logout()
    sign_in(client)
    device = TOTPDevice.objects.get(user=ann)
    response = client.post(reverse("login_verify"), {"code": code(device, steps_ahead=1)})
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(ann.pk)
    assert client.get(reverse("agent:queue")).status_code == 200


def test_a_code_is_not_accepted_twice(client, ann):
    enrol(client, ann)
    device = TOTPDevice.objects.get(user=ann)
    used = code(device, steps_ahead=1)
    client.logout()
    sign_in(client)
    client.post(reverse("login_verify"), {"code": used})
    client.logout()
    sign_in(client)
    response = client.post(reverse("login_verify"), {"code": used})
    assert response.status_code == 200 and signed_in_user_id(client) is None


def test_a_wrong_code_is_refused_and_too_many_start_over(client, ann, settings):
    enrol(client, ann)
    client.logout()
    sign_in(client)
    response = client.post(reverse("login_verify"), {"code": "123456"})
    assert response.status_code == 200 and "not right" in response.content.decode()
    assert signed_in_user_id(client) is None
    for _i in range(settings.TWO_FACTOR_MAX_ATTEMPTS - 1):
        response = client.post(reverse("login_verify"), {"code": "12345678"})
    assert response.status_code == 302 and response.url == reverse("login")
    # The password has to be given again.
    assert client.get(reverse("login_verify")).status_code == 302


def test_a_backup_code_signs_in_once(client, ann):
    codes = enrol(client, ann)
    client.logout()
    sign_in(client)
    response = client.post(reverse("login_verify"), {"code": codes[0].upper()})
    assert response.status_code == 302 and signed_in_user_id(client) == str(ann.pk)
    client.logout()
    sign_in(client)
    response = client.post(reverse("login_verify"), {"code": codes[0]})
    assert response.status_code == 200 and signed_in_user_id(client) is None


def test_the_code_step_expires(client, ann, settings):
    enrol(client, ann)
    client.logout()
    with time_machine.travel(time.time(), tick=False) as clock:
        sign_in(client)
        clock.shift(settings.TWO_FACTOR_LOGIN_TIMEOUT + 1)
        device = TOTPDevice.objects.get(user=ann)
        response = client.post(reverse("login_verify"), {"code": code(device, steps_ahead=1)})
    assert response.status_code == 302 and response.url == reverse("login")
    assert signed_in_user_id(client) is None


def test_the_admin_sign_in_form_is_not_a_way_around_the_code(client, ann):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url == reverse("login") + "?next=/admin/"


def test_a_session_from_before_the_app_was_set_up_is_signed_out(client, ann):
    enrol(client, ann)
    other = type(client)()
    other.force_login(ann)  # e.g. a browser signed in before, without the code step
    response = other.get(reverse("agent:queue"))
    assert response.status_code == 302 and reverse("login") in response.url
    assert other.session.get("_auth_user_id") is None
    # The session that passed the code keeps working.
    assert client.get(reverse("agent:queue")).status_code == 200


def test_removing_two_factor_needs_the_password(client, ann):
    enrol(client, ann)
    response = client.post(reverse("two_factor_remove"), {"password": "not my password"})
    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=ann).exists()
    response = client.post(reverse("two_factor_remove"), {"password": PASSWORD})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=ann).exists()
    assert not StaticToken.objects.filter(device__user=ann).exists()
    client.logout()
    assert sign_in(client).url == "/"


def test_new_backup_codes_replace_the_old_ones(client, ann):
    old = enrol(client, ann)
    response = client.post(reverse("two_factor_backup_codes"))
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(new) == 10 and not set(old) & set(new)
    client.logout()
    sign_in(client)
    with time_machine.travel(time.time(), tick=False) as clock:
        assert client.post(reverse("login_verify"), {"code": old[1]}).status_code == 200
        # A wrong code makes the next try wait a moment (django-otp's back-off).
        throttled = client.post(reverse("login_verify"), {"code": new[1]})
        assert "Too many wrong codes" in throttled.content.decode()
        clock.shift(10)
        assert client.post(reverse("login_verify"), {"code": new[1]}).status_code == 302


# --- The policy -------------------------------------------------------------------------------


def require(manager, client, on=True):
    client.force_login(manager)
    response = client.post(
        reverse("security_policy"), {"require_staff_two_factor": "on"} if on else {}
    )
    assert response.status_code == 302
    client.logout()


def test_only_managers_see_the_policy_page(client, agent, manager):
    client.force_login(agent)
    assert client.get(reverse("security_policy")).status_code == 404
    client.force_login(manager)
    assert client.get(reverse("security_policy")).status_code == 200


def test_the_policy_is_off_by_default(client, agent):
    assert two_factor.policy().require_staff_two_factor is False
    client.force_login(agent)
    assert client.get(reverse("agent:queue")).status_code == 200


def test_the_policy_sends_staff_without_an_app_to_set_one_up(client, agent, manager):
    require(manager, client)
    for person in (agent, manager):
        client.force_login(person)
        response = client.get(reverse("agent:queue"))
        assert response.status_code == 302 and response.url == reverse("two_factor_setup")
        assert client.get(reverse("profile")).status_code == 302
        assert client.get(reverse("two_factor_setup")).status_code == 200
        api = client.get(reverse("api:me"))
        assert api.status_code == 403 and api.json()["code"] == "two_factor_required"


def test_the_policy_lets_staff_in_once_they_have_set_up_an_app(client, ann, manager):
    require(manager, client)
    enrol(client, ann)
    assert client.get(reverse("agent:queue")).status_code == 200


def test_the_policy_does_not_concern_customers(client, customer, manager):
    require(manager, client)
    client.force_login(customer)
    assert client.get(reverse("portal:ticket_list")).status_code == 200


def test_the_policy_reaches_sessions_that_were_already_open(client, agent, manager):
    with time_machine.travel(time.time(), tick=False) as clock:
        client.force_login(agent)
        assert client.get(reverse("agent:queue")).status_code == 200
        other = type(client)()
        require(manager, other)
        clock.shift(two_factor.STATE_TTL_SECONDS + 1)
        assert client.get(reverse("agent:queue")).status_code == 302


def test_api_tokens_keep_working_under_the_policy(client, agent, manager):
    _token, raw = api_token_create(user=agent, name="script")
    require(manager, client)
    response = APIClient().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200


def test_a_token_is_made_only_from_a_session_that_passed_the_code(client, ann):
    enrol(client, ann)
    assert (
        client.post(reverse("api_token_new"), {"name": "a", "expires_in_days": "30"}).status_code
        == 200
    )
    # A session without the code step (which the middleware also signs out) gets no token.
    session = client.session
    session.pop("otp_device_id")
    session.save()
    client.post(reverse("api_token_new"), {"name": "b", "expires_in_days": "30"})
    assert list(ann.api_tokens.values_list("name", flat=True)) == ["a"]
