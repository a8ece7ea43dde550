"""Two-factor authentication for agents and managers: an authenticator app (TOTP) and backup
codes, on django-otp's devices.

- Enrolment: `totp_start` makes (or reuses) an unconfirmed device and gives its QR code;
  `totp_confirm` checks a code from the app, confirms the device and returns ten backup codes,
  shown once. `backup_codes_regenerate` replaces them; `two_factor_remove` (with the password)
  deletes both.
- Sign-in: after the password, someone with a confirmed app signs in only once `verify` accepts
  a code (accounts.views.LoginView and LoginVerifyView hold the half-way state in the session).
- Policy: managers may require it of all agents and managers (`policy_set`); the middleware
  (accounts.middleware) sends staff without an app to enrolment.

What the middleware needs on every request is kept in the session (`SESSION_STATE`), refreshed
at sign-in and at most once a minute, so ordinary pages cost no extra query.
"""

from __future__ import annotations

import base64
import io
import logging
import time
from base64 import b32encode
from typing import TypedDict

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from helpdesk.security_log import log_event

from .models import SecurityPolicy, User

APP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODE_COUNT = 10

# The session keys: the middleware's cached view of the user, and a sign-in half done.
SESSION_STATE = "hd_2fa"
SESSION_PENDING = "hd_2fa_pending"
# How long the cached state may be trusted; a policy change reaches open sessions within it.
STATE_TTL_SECONDS = 60

INVALID_CODE = _("That code is not right. Check the time on your phone and try again.")
THROTTLED = _("Too many wrong codes. Wait a little, then try again.")
WRONG_PASSWORD = _("Your password was not right.")
NOT_STAFF = _("Two-factor authentication is for agents and managers.")


class State(TypedDict):
    at: int
    staff: bool
    required: bool
    enrolled: bool


# --- Policy ---------------------------------------------------------------------------------


def policy() -> SecurityPolicy:
    return SecurityPolicy.objects.filter(pk=SecurityPolicy.SINGLETON_PK).first() or SecurityPolicy(
        pk=SecurityPolicy.SINGLETON_PK
    )


@transaction.atomic
def policy_set(*, require_staff_two_factor: bool, actor: User) -> SecurityPolicy:
    if not actor.is_manager:
        raise ValidationError(_("Only managers change the security policy."))
    current, _created = SecurityPolicy.objects.select_for_update().get_or_create(
        pk=SecurityPolicy.SINGLETON_PK
    )
    if current.require_staff_two_factor != require_staff_two_factor:
        current.require_staff_two_factor = require_staff_two_factor
        current.updated_by = actor
        current.save()
        log_event(
            "two_factor_policy_changed",
            user=actor,
            require_staff_two_factor=require_staff_two_factor,
        )
    return current


def is_required(user: User) -> bool:
    return user.is_agent and policy().require_staff_two_factor


# --- Devices ----------------------------------------------------------------------------------


def is_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def totp_start(*, user: User) -> TOTPDevice:
    """The app device being set up: an unconfirmed one, made now or kept from a first try."""
    if not user.is_agent:
        raise ValidationError(NOT_STAFF)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret as people type it into an app: base32 in groups of four."""
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as an SVG QR code in a data: URI (made here, no CDN, no script)."""
    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@transaction.atomic
def totp_confirm(*, user: User, token: str) -> list[str]:
    """Confirm the device being set up with a code from the app. Returns the new backup codes.

    Raises ValidationError (INVALID_CODE or THROTTLED) when the code is not accepted.
    """
    device = (
        TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).last()
        if user.is_agent
        else None
    )
    if device is None:
        raise ValidationError(_("Start the set-up again: there is no app waiting to be confirmed."))
    allowed, _data = device.verify_is_allowed()
    if not allowed:
        raise ValidationError(THROTTLED, code="throttled")
    if not device.verify_token(_digits(token)):
        log_event("two_factor_failed", user=user, stage="enrolment")
        raise ValidationError(INVALID_CODE, code="invalid")
    # One app per person: an earlier confirmed one is replaced by the one just confirmed.
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = backup_codes_regenerate(user=user)
    log_event("two_factor_enrolled", user=user)
    return codes


@transaction.atomic
def backup_codes_regenerate(*, user: User) -> list[str]:
    """Ten new single-use codes; the old ones stop working. Shown once: what is stored is a
    keyed digest of each (`_backup_digest`), so a copy of the database does not reveal them."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=_backup_digest(code)) for code in codes
    )
    log_event("two_factor_backup_codes_generated", user=user)
    return codes


@transaction.atomic
def two_factor_remove(*, user: User, password: str) -> None:
    """Remove the app and the backup codes; the password proves it is the person."""
    if not user.check_password(password):
        log_event("two_factor_remove_refused", user=user)
        raise ValidationError({"password": ValidationError(WRONG_PASSWORD, code="password")})
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    log_event("two_factor_removed", user=user)


def _digits(token: str) -> str:
    return "".join(token.split()).replace("-", "")


def _backup_digest(code: str) -> str:
    """What is stored for a backup code: an HMAC keyed by SECRET_KEY, cut to the 16 characters
    django-otp's token column holds (64 bits, more than the code's own 40)."""
    return salted_hmac("accounts.two_factor.backup_code", code.lower()).hexdigest()[:16]


def verify(*, user: User, token: str) -> Device:
    """The device that accepts `token` (a 6-digit app code or a backup code, used up).

    Raises ValidationError: INVALID_CODE, or THROTTLED while django-otp's back-off runs.
    """
    token = _digits(token)
    if token.isdigit() and len(token) == 6:
        devices: list[Device] = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    else:
        token = _backup_digest(token)
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
    for device in devices:
        allowed, _data = device.verify_is_allowed()
        if not allowed:
            raise ValidationError(THROTTLED, code="throttled")
        with transaction.atomic():
            if device.verify_token(token):
                return device
    raise ValidationError(INVALID_CODE, code="invalid")


# --- The session's view -----------------------------------------------------------------------


def state_for(user: User) -> State:
    staff = user.is_agent
    return {
        "at": int(time.time()),
        "staff": staff,
        "required": staff and is_required(user),
        "enrolled": staff and is_enrolled(user),
    }


def remember_state(request: HttpRequest, user: User) -> State:
    state = state_for(user)
    request.session[SESSION_STATE] = state
    return state


def session_state(request: HttpRequest) -> State:
    """The cached state, refreshed when older than STATE_TTL_SECONDS (loads the user then)."""
    state = request.session.get(SESSION_STATE)
    if not state or int(time.time()) - state.get("at", 0) >= STATE_TTL_SECONDS:
        state = remember_state(request, request.user)
    return state


def session_is_verified(request: HttpRequest) -> bool:
    """Whether this session passed the second step (django-otp's record of the device)."""
    return DEVICE_ID_SESSION_KEY in request.session


def pending_timeout() -> int:
    return settings.TWO_FACTOR_LOGIN_TIMEOUT


# --- Sign-in in two steps -------------------------------------------------------------------


class TooManyCodes(Exception):
    """Wrong codes reached TWO_FACTOR_MAX_ATTEMPTS: the half-done sign-in is dropped."""


def pending_start(request: HttpRequest, *, user: User, next_url: str) -> None:
    """The password was right for someone with an app: remember who, under a fresh session
    key, without signing anyone in."""
    request.session.cycle_key()
    request.session[SESSION_PENDING] = {
        "user": user.pk,
        "backend": user.backend,
        "at": int(time.time()),
        "tries": 0,
        "next": next_url,
    }
    log_event("login_password_accepted", request=request, user=user)


def pending_user(request: HttpRequest) -> User | None:
    """Who passed the password step in this session and still may enter a code."""
    pending = request.session.get(SESSION_PENDING)
    if pending and int(time.time()) - pending["at"] <= pending_timeout():
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
        if user is not None:
            return user
    request.session.pop(SESSION_PENDING, None)
    return None


def pending_complete(request: HttpRequest, *, user: User, code: str) -> tuple[Device, str]:
    """Check the code of the half-done sign-in and complete it: `user` is signed in, with the
    device verified. Returns the device and where the person was going.

    Raises ValidationError for a wrong code, TooManyCodes when they ran out of tries.
    """
    session = request.session
    pending = session[SESSION_PENDING]
    try:
        device = verify(user=user, token=code)
    except ValidationError:
        pending["tries"] += 1
        log_event(
            "two_factor_failed",
            request=request,
            user=user,
            level=logging.WARNING,
            stage="login",
            tries=pending["tries"],
        )
        if pending["tries"] >= settings.TWO_FACTOR_MAX_ATTEMPTS:
            session.pop(SESSION_PENDING, None)
            raise TooManyCodes() from None
        session[SESSION_PENDING] = pending
        raise
    session.pop(SESSION_PENDING, None)
    login(request, user, backend=pending["backend"])
    otp_login(request, device)
    log_event(
        "two_factor_succeeded",
        request=request,
        user=user,
        method="backup_code" if is_backup_code(device) else "app",
    )
    return device, pending["next"]


def is_backup_code(device: Device) -> bool:
    return isinstance(device, StaticDevice)
