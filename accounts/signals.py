"""Sign-in, sign-out and lockout: what the session remembers, and the security log."""

from __future__ import annotations

import logging
import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from helpdesk.middleware import SESSION_LOGIN_AT, SESSION_SEEN_AT
from helpdesk.security_log import log_event

from . import throttle, two_factor


@receiver(user_logged_in, dispatch_uid="accounts.signed_in")
def signed_in(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_SEEN_AT] = now
    two_factor.remember_state(request, user)
    log_event("login_succeeded", request=request, user=user)


@receiver(user_logged_out, dispatch_uid="accounts.signed_out")
def signed_out(sender, request, user, **kwargs) -> None:
    if request is not None:
        log_event("logout", request=request, user=user)


@receiver(user_login_failed, dispatch_uid="accounts.sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django hands the credentials with the password already masked; only the login is kept.
    username = throttle.normalized_login(credentials.get("username"))
    log_event(
        "login_failed",
        request=request,
        email=username,
        level=logging.WARNING,
        locked_out=bool(getattr(request, "axes_locked_out", False)),
    )


@receiver(user_locked_out, dispatch_uid="accounts.locked_out")
def locked_out(sender, request, username, ip_address, **kwargs) -> None:
    # Sent when the lockout starts and again for each attempt during it: log the start.
    if throttle.lockout_record(username, ip_address):
        log_event("login_locked_out", request=request, email=username, level=logging.WARNING)
