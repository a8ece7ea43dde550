"""Role checks for views. A page someone may not use answers 404, as if it did not exist."""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme

from helpdesk.security_log import log_permission_denied

View = Callable[..., HttpResponse]


def return_page(request: HttpRequest) -> str:
    """Where to come back to after signing in. For a page, the page. For a form sent while
    signed out (the session expired while a reply was typed), the page the form was on: the
    URL it was sent to answers POST only, and following it after sign-in would be a 405. That
    page is the same-site Referer, else the parent path if it is a page, else home."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith("/") and path != request.path and not path.startswith("/accounts/"):
            return path
    parent = request.path.rstrip("/").rsplit("/", 1)[0] + "/"
    try:
        resolve(parent)
    except Resolver404:
        return "/"
    return parent


def signed_in_required(view: View) -> View:
    """login_required, coming back to return_page() after signing in."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(return_page(request))
        return view(request, *args, **kwargs)

    return wrapped


def _role_required(test: Callable, view: View) -> View:
    @signed_in_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not test(request.user):
            log_permission_denied(request, reason="role", view=view.__name__)
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def customer_required(view: View) -> View:
    return _role_required(lambda user: user.is_customer, view)


def agent_required(view: View) -> View:
    return _role_required(lambda user: user.is_agent, view)


def manager_required(view: View) -> View:
    return _role_required(lambda user: user.is_manager, view)
